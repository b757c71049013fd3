import { cellBounds, type Bounds, type MenuLayout } from "./menu-layout.js";

// The rich menu image as an HTML page of exactly the menu's pixel size, for a headless browser to
// photograph (npm run richmenu:render). Many residents are elderly: labels are bold, as large as
// the cell allows, and drawn in colours the city chose for high contrast. The page is also the
// image's fingerprint: the PNG is stale when this HTML changes (see render-record.ts).

// Labels smaller than this (in image pixels; about 16 pt on a phone 390 pt wide when the image is
// 2500 px) are refused as unreadable: shorten the label or widen its cell.
export const MIN_LABEL_PX = 100;
const MAX_LABEL_PX = 150;
const NOTE_RATIO = 0.5;

// Font size that fits `label` on one line in a cell: CJK glyphs are about one em wide.
export function labelFontSize(label: string, bounds: Bounds, isTab: boolean): number {
  const byWidth = (bounds.width * 0.86) / Math.max(widthInEms(label), 1);
  const byHeight = bounds.height * (isTab ? 0.42 : 0.24);
  return Math.floor(Math.min(MAX_LABEL_PX, byWidth, byHeight));
}

export interface PlacedCell {
  bounds: Bounds;
  label: string;
  note: string | undefined;
  kind: "tab" | "current-tab" | "button";
  fontSize: number;
}

export function placedCells(menu: MenuLayout): PlacedCell[] {
  const bounds = cellBounds(menu);
  return menu.rows.flatMap((row, rowIndex) =>
    row.cells.map((cell, cellIndex) => {
      const kind = cell.current ? "current-tab" : cell.action?.type === "richmenuswitch" ? "tab" : "button";
      const at = bounds[rowIndex]![cellIndex]!;
      return { bounds: at, label: cell.label, note: cell.note, kind, fontSize: labelFontSize(cell.label, at, kind !== "button") } as PlacedCell;
    }),
  );
}

export function menuHtml(menu: MenuLayout): string {
  const { width, height } = menu.size;
  const c = menu.colours;
  const border = Math.max(4, Math.round(width / 400));
  const cells = placedCells(menu)
    .map((cell) => {
      const { x, y, width: w, height: h } = cell.bounds;
      const [background, text] =
        cell.kind === "current-tab" ? [c.currentTab, c.currentTabText] : cell.kind === "tab" ? [c.tab, c.tabText] : [c.cell, c.cellText];
      const note = cell.note ? `<div class="note" style="font-size:${Math.round(cell.fontSize * NOTE_RATIO)}px">${escapeHtml(cell.note)}</div>` : "";
      return (
        `<div class="cell" style="left:${x}px;top:${y}px;width:${w}px;height:${h}px;background:${background};color:${text}">` +
        `<div class="label" style="font-size:${cell.fontSize}px">${escapeHtml(cell.label)}</div>${note}</div>`
      );
    })
    .join("\n");
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><style>
html, body { margin: 0; padding: 0; width: ${width}px; height: ${height}px; overflow: hidden; background: ${c.background}; }
body { position: relative; font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; }
.cell { position: absolute; box-sizing: border-box; border: ${border}px solid ${c.border}; display: flex; flex-direction: column; align-items: center; justify-content: center; text-align: center; }
.label { font-weight: 700; line-height: 1.15; white-space: nowrap; }
.note { font-weight: 500; line-height: 1.2; margin-top: 0.4em; white-space: nowrap; }
</style></head><body>
${cells}
</body></html>
`;
}

// Japanese glyphs are one em wide; ASCII letters and digits about 0.6 em.
function widthInEms(text: string): number {
  return [...text].reduce((sum, char) => sum + (/[\x20-\x7e]/.test(char) ? 0.6 : 1), 0);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// Labels and notes that would come out too small to read, or wider than their cell.
export function readabilityProblems(menu: MenuLayout): string[] {
  return placedCells(menu).flatMap((cell) => {
    const problems: string[] = [];
    if (cell.fontSize < MIN_LABEL_PX) {
      problems.push(`the label 「${cell.label}」 would be drawn ${cell.fontSize} px high, under the ${MIN_LABEL_PX} px residents can read: shorten it or widen its cell`);
    }
    if (cell.note && widthInEms(cell.note) * Math.round(cell.fontSize * NOTE_RATIO) > cell.bounds.width * 0.9) {
      problems.push(`the note 「${cell.note}」 is wider than its cell: shorten it`);
    }
    return problems;
  });
}
