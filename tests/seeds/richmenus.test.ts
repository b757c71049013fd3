import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadRouterData } from "../../src/intents/load-router-data.js";
import { createRouter } from "../../src/intents/router.js";
import { defaultRichMenuDir, loadRichMenus, menuSetProblems, type LoadedMenu } from "../../src/richmenu/load-rich-menus.js";
import { menuHtml, MIN_LABEL_PX, placedCells, readabilityProblems } from "../../src/richmenu/menu-html.js";
import { inside, menuLayoutSchema, type Bounds, overlap, RICH_MENU_LIMITS, type MenuLayout } from "../../src/richmenu/menu-layout.js";
import { desiredMenus } from "../../src/richmenu/rich-menu-object.js";
import { pngSize, sha256 } from "../../src/richmenu/render-record.js";
import { messagingSchemaErrors } from "../support/line-openapi.js";

// seeds/richmenus: the layouts are valid for LINE, every tap does something the bot understands,
// and each committed PNG is the current rendering of its YAML.
describe("rich menu seeds", () => {
  let menus: LoadedMenu[];
  let rawMain: Record<string, unknown>;
  beforeAll(async () => {
    menus = await loadRichMenus();
    rawMain = parse(await readFile(path.join(defaultRichMenuDir, "main.yaml"), "utf8"));
  });
  const layout = (changes: (raw: any) => void): ReturnType<typeof menuLayoutSchema.safeParse> => {
    const raw = structuredClone(rawMain) as any;
    changes(raw);
    return menuLayoutSchema.safeParse(raw);
  };
  const messagesOf = (result: ReturnType<typeof menuLayoutSchema.safeParse>) => (result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));

  it("are main (the default, alias hitoyoshi-main) and relocation (alias hitoyoshi-relocation), tabbed to each other", () => {
    expect(menus.map((menu) => [menu.name, menu.layout.aliasId, menu.layout.default])).toEqual([
      ["main", "hitoyoshi-main", true],
      ["relocation", "hitoyoshi-relocation", false],
    ]);
    const tabs = (menu: LoadedMenu) => menu.layout.rows[0]!.cells.map((cell) => (cell.current ? "current" : cell.action));
    expect(tabs(menus[0]!)).toEqual(["current", { type: "richmenuswitch", to: "relocation" }]);
    expect(tabs(menus[1]!)).toEqual([{ type: "richmenuswitch", to: "main" }, "current"]);
  });

  it("each committed PNG is the rendering of the current YAML, at the YAML's size and under LINE's 1 MB", async () => {
    const files = (await readdir(defaultRichMenuDir)).sort();
    expect(files).toEqual(["main.png", "main.render.json", "main.yaml", "relocation.png", "relocation.render.json", "relocation.yaml"]);
    for (const menu of menus) {
      const png = await readFile(path.join(defaultRichMenuDir, `${menu.name}.png`));
      expect(pngSize(png)).toEqual(menu.layout.size);
      expect(png.length).toBeLessThan(RICH_MENU_LIMITS.maxImageBytes);
      const record = JSON.parse(await readFile(path.join(defaultRichMenuDir, `${menu.name}.render.json`), "utf8"));
      expect(record).toEqual({ htmlSha256: sha256(menuHtml(menu.layout)), imageSha256: sha256(png), ...menu.layout.size });
    }
  });

  it("draws every label at least MIN_LABEL_PX high and every tap area inside the image, none overlapping", () => {
    for (const [index, menu] of menus.entries()) {
      const cells = placedCells(menu.layout);
      for (const cell of cells) expect(cell.fontSize, cell.label).toBeGreaterThanOrEqual(MIN_LABEL_PX);
      const image = { x: 0, y: 0, ...menu.layout.size };
      const areas = (desiredMenus(menus)[index]!.request.areas ?? []).map((area) => area.bounds as Bounds);
      expect(areas.length).toBeLessThanOrEqual(RICH_MENU_LIMITS.maxAreas);
      for (const [at, bounds] of areas.entries()) {
        expect(inside(bounds, image)).toBe(true);
        for (const other of areas.slice(at + 1)) expect(overlap(bounds, other)).toBe(false);
      }
      // The areas tile the image: nothing tappable is left without an area but the current tab.
      const covered = areas.reduce((sum, bounds) => sum + bounds.width * bounds.height, 0);
      const currentTab = cells.find((cell) => cell.kind === "current-tab")!.bounds;
      expect(covered + currentTab.width * currentTab.height).toBe(menu.layout.size.width * menu.layout.size.height);
    }
  });

  it("become rich menu objects LINE's OpenAPI document accepts, named by a fingerprint of object and image", () => {
    const desired = desiredMenus(menus);
    for (const menu of desired) {
      expect(messagingSchemaErrors("POST", "/v2/bot/richmenu", menu.request)).toEqual([]);
      expect(menu.request.name).toMatch(new RegExp(`^${menu.aliasId}@[0-9a-f]{16}$`));
    }
    const again = desiredMenus(menus);
    expect(again.map((menu) => menu.name)).toEqual(desired.map((menu) => menu.name));
    const otherImage = desiredMenus(menus.map((menu) => ({ ...menu, image: Buffer.concat([menu.image, Buffer.from([0])]) })));
    expect(otherImage.map((menu) => menu.name)).not.toEqual(desired.map((menu) => menu.name));
  });

  it("send message texts the intent router understands as the intent the YAML names", async () => {
    const router = createRouter(await loadRouterData());
    const messages = menus.flatMap((menu) => menu.layout.rows.flatMap((row) => row.cells.flatMap((cell) => (cell.action?.type === "message" && cell.action.intent ? [cell.action] : []))));
    expect(messages.length).toBeGreaterThanOrEqual(4);
    for (const action of messages) {
      const understood = router.classify(action.text);
      expect({ text: action.text, intent: understood.intent, ambiguous: understood.ambiguous }).toEqual({ text: action.text, intent: action.intent, ambiguous: false });
    }
  });

  it("refuse what LINE or a resident's eyes would not take, naming the field", () => {
    expect(messagesOf(layout((raw) => (raw.chatBarText = "メニューはこちらからどうぞ、タップ")))).toEqual([expect.stringMatching(/^chatBarText: .*14/)]);
    expect(messagesOf(layout((raw) => (raw.rows[1].cells[0].label = "とても長いラベルはスクリーンリーダーでも二十文字を超えます")))).toEqual([expect.stringMatching(/^rows\.1\.cells\.0\.label: .*20/)]);
    expect(messagesOf(layout((raw) => (raw.size = { width: 2500, height: 1800 })))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^size: width ÷ height is 1\.39/), expect.stringMatching(/^rows: the rows are 1686 px high in all; they must fill the image's 1800 px/)]),
    );
    expect(messagesOf(layout((raw) => (raw.size = { width: 3000, height: 1686 })))).toEqual([expect.stringMatching(/^size\.width: .*2500/)]);
    expect(messagesOf(layout((raw) => (raw.rows[1].cells[0].width = 2600)))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^rows\.1\.cells: the cells' widths/), expect.stringMatching(/is not inside the 2500×1686 image/)]),
    );
    expect(messagesOf(layout((raw) => (raw.aliasId = "Hitoyoshi Main")))).toEqual([expect.stringMatching(/^aliasId: .*alias ids/)]);
    expect(messagesOf(layout((raw) => (raw.rows[0].cells[0].action = { type: "message", text: "x" })))).toEqual([expect.stringMatching(/^rows\.0\.cells\.0: a cell needs an action, or `current: true`/)]);
    expect(messagesOf(layout((raw) => (raw.rows[1].cells[0].action = { type: "uri", uri: "http://example.jp" })))).toEqual([expect.stringMatching(/uri: must be an https: or tel: URI/)]);
    const tooMany = layout((raw) => {
      raw.rows = [raw.rows[0], ...Array.from({ length: 4 }, () => ({ height: 359, cells: Array.from({ length: 6 }, () => ({ label: "通報", action: { type: "message", text: "通報したい" } })) }))];
      raw.rows[4].height = 1686 - 250 - 359 * 3;
    });
    expect(messagesOf(tooMany)).toEqual([expect.stringMatching(/^rows: 25 tap areas; LINE takes at most 20/)]);

    const parsed = menuLayoutSchema.parse(rawMain);
    const cramped = structuredClone(parsed);
    cramped.rows[1]!.cells[0]!.label = "道路や街灯の不具合を通報";
    expect(readabilityProblems(cramped)).toEqual([expect.stringMatching(/「道路や街灯の不具合を通報」 would be drawn \d+ px high, under the 100 px residents can read/)]);
  });

  it("fit together: one default, unique alias ids, tabs to menus that exist", () => {
    const main = menus[0]!;
    const relocation = menus[1]!;
    expect(menuSetProblems([main, relocation])).toEqual([]);
    expect(menuSetProblems([main])).toEqual([`main.yaml: the tab 「移住をお考えの方へ」 switches to "relocation", but there is no relocation.yaml`]);
    const twin: LoadedMenu = { ...relocation, layout: { ...relocation.layout, aliasId: main.layout.aliasId, default: true } as MenuLayout };
    expect(menuSetProblems([main, twin])).toEqual([
      "relocation.yaml and main.yaml both use the alias id hitoyoshi-main",
      "exactly one menu must have default: true (now: main, relocation)",
    ]);
  });
});
