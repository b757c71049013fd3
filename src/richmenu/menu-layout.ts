import { z } from "zod";
import { INTENTS } from "../intents/intent-names.js";

// One rich menu as the city writes it in seeds/richmenus/<name>.yaml: a size, colours and rows of
// cells, each cell a tap area with a label drawn on the image and one action. Limits are LINE's
// (Messaging API reference, "Rich menu object", "Requirements for rich menu image", "Action
// objects"); the ones the OpenAPI document leaves out are checked here so that a bad edit fails
// before anything is sent.

// Image: 800–2500 px wide, at least 250 px high, width ÷ height at least 1.45.
export const RICH_MENU_LIMITS = {
  minWidth: 800,
  maxWidth: 2500,
  minHeight: 250,
  minAspectRatio: 1.45,
  maxAreas: 20,
  maxChatBarText: 14,
  maxActionLabel: 20,
  maxImageBytes: 1024 * 1024,
} as const;

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, "must be a colour like #1d4e89");
const menuName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "must be lower-case letters, digits and hyphens");

const messageAction = z.strictObject({
  type: z.literal("message"),
  text: z.string().trim().min(1).max(300),
  // The intent the router must find in `text` (checked by the tests); absent for words another
  // flow answers before the router (such as 「設定」).
  intent: z.enum(INTENTS).optional(),
});

const postbackAction = z.strictObject({
  type: z.literal("postback"),
  // "v1|<flow>|<action>|<argument>" as the conversation engine reads it (src/line/postback-data.ts).
  flow: z.string().regex(/^[a-z_]{1,32}$/),
  action: z.string().regex(/^[a-z_]{1,32}$/),
  argument: z.string().max(200).default(""),
  // Shown in the chat as the resident's own words, so the conversation reads naturally.
  displayText: z.string().trim().min(1).max(300),
});

const uriAction = z.strictObject({
  type: z.literal("uri"),
  uri: z.string().max(1000).regex(/^(https:\/\/|tel:)\S+$/, "must be an https: or tel: URI"),
});

const switchAction = z.strictObject({
  type: z.literal("richmenuswitch"),
  // The name of the other menu (its YAML file); its alias id is looked up when the menus are loaded.
  to: menuName,
});

export const cellActionSchema = z.discriminatedUnion("type", [messageAction, postbackAction, uriAction, switchAction]);
export type CellAction = z.infer<typeof cellActionSchema>;

const cellSchema = z
  .strictObject({
    // Drawn large on the image and read aloud by the phone's screen reader (LINE: at most 20).
    label: z.string().trim().min(1).max(RICH_MENU_LIMITS.maxActionLabel),
    // A smaller second line on the image.
    note: z.string().trim().min(1).max(30).optional(),
    // Width in pixels; cells without one share what the others leave.
    width: z.number().int().positive().optional(),
    // The tab of the menu itself: drawn highlighted, no tap area.
    current: z.boolean().default(false),
    action: cellActionSchema.optional(),
  })
  .refine((cell) => cell.current !== (cell.action !== undefined), "a cell needs an action, or `current: true` for the menu's own tab (and then no action)");

const rowSchema = z.strictObject({
  height: z.number().int().positive(),
  cells: z.array(cellSchema).min(1).max(6),
});

export const menuLayoutSchema = z
  .strictObject({
    aliasId: z.string().regex(/^[a-z0-9_-]{1,32}$/, "must be 1–32 of a-z, 0-9, _ and - (LINE's rule for alias ids)"),
    default: z.boolean().default(false),
    chatBarText: z.string().trim().min(1).max(RICH_MENU_LIMITS.maxChatBarText),
    // Whether the menu opens by itself when the chat is opened.
    selected: z.boolean().default(true),
    size: z.strictObject({
      width: z.number().int().min(RICH_MENU_LIMITS.minWidth).max(RICH_MENU_LIMITS.maxWidth),
      height: z.number().int().min(RICH_MENU_LIMITS.minHeight),
    }),
    colours: z.strictObject({
      background: colour,
      cell: colour,
      cellText: colour,
      tab: colour,
      tabText: colour,
      currentTab: colour,
      currentTabText: colour,
      border: colour,
    }),
    rows: z.array(rowSchema).min(1),
  })
  .superRefine((menu, context) => {
    for (const problem of layoutProblems(menu)) context.addIssue({ code: "custom", message: problem.message, path: problem.path });
  });

export type MenuLayout = z.infer<typeof menuLayoutSchema>;

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

// Where each cell lies: rows stacked from the top, cells left to right, cells without a width
// sharing the rest of their row equally (the last one taking the odd pixels).
export function cellBounds(menu: Pick<MenuLayout, "rows" | "size">): Bounds[][] {
  const width = menu.size.width;
  let y = 0;
  return menu.rows.map((row) => {
    const fixed = row.cells.reduce((sum, cell) => sum + (cell.width ?? 0), 0);
    const flexible = row.cells.filter((cell) => cell.width === undefined).length;
    const share = flexible > 0 ? Math.floor((width - fixed) / flexible) : 0;
    let x = 0;
    let seenFlexible = 0;
    const placed = row.cells.map((cell) => {
      let cellWidth = cell.width ?? share;
      if (cell.width === undefined && ++seenFlexible === flexible) cellWidth = width - fixed - share * (flexible - 1);
      const bounds = { x, y, width: cellWidth, height: row.height };
      x += cellWidth;
      return bounds;
    });
    y += row.height;
    return placed;
  });
}

// What LINE would reject or what would look broken: a size LINE refuses, rows that do not fill the
// image, areas outside it or on top of each other, more areas than LINE takes.
export function layoutProblems(menu: MenuLayout): { message: string; path: (string | number)[] }[] {
  const problems: { message: string; path: (string | number)[] }[] = [];
  const { width, height } = menu.size;
  if (width / height < RICH_MENU_LIMITS.minAspectRatio) {
    problems.push({ path: ["size"], message: `width ÷ height is ${(width / height).toFixed(2)}; LINE needs at least ${RICH_MENU_LIMITS.minAspectRatio} (2500×1686 and 2500×843 are the usual sizes)` });
  }
  const rowsHeight = menu.rows.reduce((sum, row) => sum + row.height, 0);
  if (rowsHeight !== height) problems.push({ path: ["rows"], message: `the rows are ${rowsHeight} px high in all; they must fill the image's ${height} px` });
  menu.rows.forEach((row, rowIndex) => {
    const fixed = row.cells.reduce((sum, cell) => sum + (cell.width ?? 0), 0);
    const flexible = row.cells.some((cell) => cell.width === undefined);
    if (fixed > width || (!flexible && fixed !== width) || (flexible && fixed >= width)) {
      problems.push({ path: ["rows", rowIndex, "cells"], message: `the cells' widths (${fixed} px fixed) must fill the image's ${width} px` });
    }
  });
  const areas = cellBounds(menu).flatMap((row, rowIndex) =>
    row.flatMap((bounds, cellIndex) => (menu.rows[rowIndex]!.cells[cellIndex]!.action ? [{ bounds, path: ["rows", rowIndex, "cells", cellIndex] }] : [])),
  );
  if (areas.length > RICH_MENU_LIMITS.maxAreas) problems.push({ path: ["rows"], message: `${areas.length} tap areas; LINE takes at most ${RICH_MENU_LIMITS.maxAreas}` });
  for (const area of areas) {
    if (!inside(area.bounds, { x: 0, y: 0, width, height })) problems.push({ path: area.path, message: `the area ${describe(area.bounds)} is not inside the ${width}×${height} image` });
  }
  for (const [index, area] of areas.entries()) {
    for (const other of areas.slice(index + 1)) {
      if (overlap(area.bounds, other.bounds)) problems.push({ path: other.path, message: `the area ${describe(other.bounds)} overlaps ${describe(area.bounds)}` });
    }
  }
  return problems;
}

export function inside(inner: Bounds, outer: Bounds): boolean {
  return inner.width > 0 && inner.height > 0 && inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

export function overlap(a: Bounds, b: Bounds): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function describe(bounds: Bounds): string {
  return `(${bounds.x},${bounds.y} ${bounds.width}×${bounds.height})`;
}
