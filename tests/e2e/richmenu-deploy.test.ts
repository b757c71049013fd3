import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultRichMenuDir } from "../../src/richmenu/load-rich-menus.js";
import { renderMenuImages } from "../../src/richmenu/render-images.js";
import { runRichMenuDeploy } from "../../src/richmenu/run-deploy.js";
import { browserTestsEnabled } from "../support/browser.js";
import { FakeLineApi } from "../support/fake-line-api.js";
import { TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET } from "../support/webhook-client.js";

// npm run richmenu:deploy against the fake LINE API, which keeps menus, images, aliases, the
// default and per-user links as LINE does and checks every JSON body against LINE's OpenAPI
// document. Deploying is idempotent: a second run sends nothing that changes anything.
const repoRoot = path.resolve(defaultRichMenuDir, "..", "..");

describe("rich menu deploy", () => {
  let lineApi: FakeLineApi;
  let seedsCopy: string;
  const lines: string[] = [];
  const env = () => ({
    LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    LINE_API_BASE_URL: lineApi.url,
    LINE_DATA_API_BASE_URL: lineApi.dataUrl,
  });
  const deploy = (dir = defaultRichMenuDir) => runRichMenuDeploy({ env: env(), dir, say: (line) => lines.push(line), batchPollMs: 0 });
  const changes = () => lineApi.requests.filter((request) => request.method !== "GET");
  const menuNamed = (aliasId: string) => [...lineApi.richMenus.menus.values()].filter((menu) => menu.name.startsWith(`${aliasId}@`));
  const editSeed = async (file: string, from: string, to: string) => {
    const yaml = await readFile(path.join(seedsCopy, file), "utf8");
    expect(yaml).toContain(from);
    await writeFile(path.join(seedsCopy, file), yaml.replace(from, to));
  };

  beforeEach(async () => {
    lineApi = await new FakeLineApi().start();
    seedsCopy = await mkdtemp(path.join(tmpdir(), "hitoyoshi-richmenus-"));
    await cp(defaultRichMenuDir, seedsCopy, { recursive: true });
    lines.length = 0;
  });
  afterEach(async () => {
    await lineApi.stop();
    await rm(seedsCopy, { recursive: true, force: true });
    expect(lineApi.invalidBodies).toEqual([]);
  });

  it("creates both menus with their images, aliases and the default; a second run creates nothing twice", async () => {
    const first = await deploy();
    expect(first.created).toHaveLength(2);
    expect(first.uploaded).toHaveLength(2);
    expect(first.aliasesCreated.sort()).toEqual(["hitoyoshi-main", "hitoyoshi-relocation"]);

    const state = lineApi.richMenus;
    const [main] = menuNamed("hitoyoshi-main");
    const [relocation] = menuNamed("hitoyoshi-relocation");
    expect(state.menus.size).toBe(2);
    expect(state.aliases.get("hitoyoshi-main")).toBe(main!.richMenuId);
    expect(state.aliases.get("hitoyoshi-relocation")).toBe(relocation!.richMenuId);
    expect(state.defaultMenuId).toBe(main!.richMenuId);
    expect(first.defaultSet).toBe(main!.richMenuId);
    // The committed PNGs went up unchanged, through the data API host only.
    expect(state.images.get(main!.richMenuId)!.bytes.equals(await readFile(path.join(defaultRichMenuDir, "main.png")))).toBe(true);
    expect(state.images.get(relocation!.richMenuId)!.bytes.equals(await readFile(path.join(defaultRichMenuDir, "relocation.png")))).toBe(true);
    const uploads = lineApi.requests.filter((request) => request.method === "POST" && request.path.endsWith("/content"));
    expect(uploads.map((request) => [request.host, request.headers["content-type"]])).toEqual([
      ["data", "image/png"],
      ["data", "image/png"],
    ]);
    // Both objects were validated before the first was created.
    const paths = changes().map((request) => request.path);
    expect(paths.slice(0, 3)).toEqual(["/v2/bot/richmenu/validate", "/v2/bot/richmenu/validate", "/v2/bot/richmenu"]);
    expect(lineApi.requests.every((request) => request.headers.authorization === `Bearer ${TEST_ACCESS_TOKEN}`)).toBe(true);
    // The tabs switch between the two aliases.
    const tabOf = (menu: typeof main) => menu!.areas.find((area) => area.action.type === "richmenuswitch")!.action;
    expect(tabOf(main)).toMatchObject({ richMenuAliasId: "hitoyoshi-relocation", label: "移住をお考えの方へ" });
    expect(tabOf(relocation)).toMatchObject({ richMenuAliasId: "hitoyoshi-main", label: "くらしのメニュー" });
    expect(main!.chatBarText).toBe("メニュー");

    const changesBefore = changes().length;
    const second = await deploy();
    expect(changes().length).toBe(changesBefore);
    expect(second).toMatchObject({ created: [], uploaded: [], aliasesCreated: [], aliasesMoved: [], defaultSet: null, deleted: [] });
    expect(second.unchanged).toHaveLength(2);
    expect(state.menus.size).toBe(2);
    expect(lines.at(-1)).toBe("done: 0 created, 0 images uploaded, 0 aliases set, default unchanged, 0 old deleted, 2 unchanged");
  });

  it.runIf(browserTestsEnabled)("a changed label makes one new menu (re-rendered), moves its alias and linked residents, then deletes the old one", async () => {
    await deploy(seedsCopy);
    const [oldRelocation] = menuNamed("hitoyoshi-relocation");
    const [main] = menuNamed("hitoyoshi-main");
    lineApi.richMenus.userLinks.set("U00000000000000000000000000000001", oldRelocation!.richMenuId);

    await editSeed("relocation.yaml", "label: 空き家を探す", "label: 空き家バンク");
    await expect(deploy(seedsCopy)).rejects.toThrow(/relocation\.png was not rendered from the current relocation\.yaml: run npm run richmenu:render/);
    await renderMenuImages(seedsCopy);
    const before = lineApi.requests.length;
    const report = await deploy(seedsCopy);

    expect(report).toMatchObject({ uploaded: [expect.stringMatching(/^hitoyoshi-relocation@/)], aliasesCreated: [], aliasesMoved: ["hitoyoshi-relocation"], defaultSet: null });
    expect(report.created).toHaveLength(1);
    expect(report.deleted).toEqual([oldRelocation!.name]);
    const [newRelocation] = menuNamed("hitoyoshi-relocation");
    expect(menuNamed("hitoyoshi-relocation")).toHaveLength(1);
    expect(newRelocation!.richMenuId).not.toBe(oldRelocation!.richMenuId);
    expect(newRelocation!.areas.map((area) => area.action.label)).toContain("空き家バンク");
    expect(menuNamed("hitoyoshi-main")).toEqual([main]);
    expect(lineApi.richMenus.aliases.get("hitoyoshi-relocation")).toBe(newRelocation!.richMenuId);
    expect(lineApi.richMenus.userLinks.get("U00000000000000000000000000000001")).toBe(newRelocation!.richMenuId);
    // Deleted only after the alias and the linked residents had moved.
    const order = lineApi.requests.slice(before).filter((request) => request.method !== "GET").map((request) => `${request.method} ${request.path}`);
    expect(order).toEqual([
      "POST /v2/bot/richmenu/validate",
      "POST /v2/bot/richmenu",
      `POST /v2/bot/richmenu/${newRelocation!.richMenuId}/content`,
      "POST /v2/bot/richmenu/alias/hitoyoshi-relocation",
      "POST /v2/bot/richmenu/batch",
      `DELETE /v2/bot/richmenu/${oldRelocation!.richMenuId}`,
    ]);
  });

  it("a changed action of the default menu needs no re-render: the new menu becomes the default before the old one goes", async () => {
    await deploy(seedsCopy);
    const [oldMain] = menuNamed("hitoyoshi-main");
    await editSeed("main.yaml", "text: KPI一覧", "text: 市の目標を教えて");
    const report = await deploy(seedsCopy);
    const [newMain] = menuNamed("hitoyoshi-main");
    expect(report.created).toHaveLength(1);
    expect(report.deleted).toEqual([oldMain!.name]);
    expect(report.defaultSet).toBe(newMain!.richMenuId);
    expect(lineApi.richMenus.defaultMenuId).toBe(newMain!.richMenuId);
    expect(lineApi.richMenus.menus.size).toBe(2);
    expect(newMain!.areas.map((area) => area.action.text)).toContain("市の目標を教えて");
  });

  it.each([
    ["the first image upload", /^\/v2\/bot\/richmenu\/[^/]+\/content$/, 0],
    ["the second menu's creation", "/v2/bot/richmenu", 1],
    ["the second alias", "/v2/bot/richmenu/alias", 1],
    ["setting the default", /^\/v2\/bot\/user\/all\/richmenu\/.+/, 0],
  ] as const)("a 500 on %s stops the run with a clear error; the next run converges without duplicates", async (_what, failing, afterMatches) => {
    lineApi.failNext(failing, 500, { message: "scripted 500" }, afterMatches);
    await expect(deploy()).rejects.toThrow(/failed: LINE answered 500/);
    const report = await deploy();
    const state = lineApi.richMenus;
    const [main] = menuNamed("hitoyoshi-main");
    const [relocation] = menuNamed("hitoyoshi-relocation");
    expect(state.menus.size).toBe(2);
    for (const menu of state.menus.values()) expect(state.images.has(menu.richMenuId)).toBe(true);
    expect(state.aliases.get("hitoyoshi-main")).toBe(main!.richMenuId);
    expect(state.aliases.get("hitoyoshi-relocation")).toBe(relocation!.richMenuId);
    expect(state.defaultMenuId).toBe(main!.richMenuId);
    expect(report.created.length).toBeLessThan(2);
    expect(report.deleted).toEqual([]);
    const changesBefore = changes().length;
    await deploy();
    expect(changes().length).toBe(changesBefore);
  });

  it("leaves menus it did not make alone", async () => {
    const foreign = { size: { width: 2500, height: 843 }, selected: false, name: "campaign-2026", chatBarText: "キャンペーン", areas: [] };
    lineApi.richMenus.menus.set("richmenu-foreign", { richMenuId: "richmenu-foreign", ...foreign });
    await deploy();
    await deploy();
    expect(lineApi.richMenus.menus.has("richmenu-foreign")).toBe(true);
    expect(lineApi.requests.some((request) => request.method === "DELETE")).toBe(false);
  });

  it("refuses a bad layout before calling LINE, naming the file and the problem", async () => {
    await editSeed("main.yaml", "chatBarText: メニュー", "chatBarText: メニューはこちらからお選びください");
    await expect(deploy(seedsCopy)).rejects.toThrow(/main\.yaml is not valid:\n\s+chatBarText: .*14/);
    expect(lineApi.requests).toEqual([]);
  });

  it("npm run richmenu:deploy prints what it did, and says what to set when the token is missing", async () => {
    const run = promisify(execFile);
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const cli = path.join(repoRoot, "src", "cli", "richmenu-deploy.ts");
    const done = await run(tsx, [cli], { cwd: repoRoot, env: { PATH: process.env.PATH, ...env() } });
    expect(done.stdout).toMatch(/hitoyoshi-main: created richmenu-[0-9a-f]+/);
    expect(done.stdout).toMatch(/hitoyoshi-main: set as the default menu for everyone/);
    expect(done.stdout).toContain("done: 2 created, 2 images uploaded, 2 aliases set, default set, 0 old deleted, 0 unchanged");

    const missing = await run(tsx, [cli], { cwd: repoRoot, env: { PATH: process.env.PATH, LINE_API_BASE_URL: lineApi.url } }).catch((error: { code: number; stderr: string }) => error);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toContain("LINE_CHANNEL_ACCESS_TOKEN is missing");
  });
});
