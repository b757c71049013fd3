import { execFile } from "node:child_process";
import { appendFile, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The import rule of .dependency-cruiser.cjs (README, "Code map"), run as `npm run check:layers` runs
// it: on the real tree, and on a copy of it with a back-import, a folder cycle, a module cycle and a
// module in no layer planted, so the rule .ci/run relies on is seen to fail.

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const configFile = join(root, ".dependency-cruiser.cjs");
const cruiser = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const { layers } = createRequire(import.meta.url)(configFile) as { layers: { name: string; paths: string[] }[] };

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function violationsIn(tree: string): Promise<Violation[]> {
  // Exits non-zero when it finds violations: the JSON on stdout says which.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [cruiser, "src", "--config", configFile, "--output-type", "json"],
    { cwd: tree, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  return (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

describe("imports point down the layers", () => {
  let copy: string;

  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), "layers-"));
    await cp(join(root, "src"), join(copy, "src"), { recursive: true });
    await cp(join(root, "tsconfig.json"), join(copy, "tsconfig.json"));
  });
  afterAll(async () => {
    await rm(copy, { recursive: true, force: true });
  });

  it("puts every module of src/ in exactly one layer", async () => {
    const modules = (await filesUnder(join(root, "src"))).filter((file) => /\.(ts|js)$/.test(file));
    const layersOf = (file: string) =>
      layers.filter((layer) => layer.paths.some((path) => (path.endsWith("/") ? file.startsWith(path) : file === path)));
    const misplaced = modules.filter((file) => layersOf(file).length !== 1);
    expect(modules.length).toBeGreaterThan(100);
    expect(misplaced).toEqual([]);
  });

  it("finds no violation in the real tree", async () => {
    expect(await violationsIn(root)).toEqual([]);
  });

  it("fails on a planted back-import, folder cycle, module cycle and module in no layer, naming each rule", async () => {
    // LINE protocol importing a feature: a back-import.
    await writeFile(
      join(copy, "src/line/planted-back-import.ts"),
      'export { createConversationEngine } from "../flows/conversation-engine.js";\n',
    );
    // richmenu → kpi inside the features layer is allowed one way; kpi → richmenu as well closes a cycle.
    await writeFile(join(copy, "src/richmenu/planted-one-way.ts"), 'export { kpiAnswerFor } from "../kpi/kpi-answer.js";\n');
    await writeFile(join(copy, "src/kpi/planted-way-back.ts"), 'export { kpiAnswerFor as viaRichmenu } from "../richmenu/planted-one-way.js";\n');
    // A folder written in no layer.
    await mkdir(join(copy, "src/unlisted"));
    await writeFile(join(copy, "src/unlisted/planted.ts"), "export const planted = 1;\n");
    await writeFile(join(copy, "src/events/planted-unlisted.ts"), 'export { planted } from "../unlisted/planted.js";\n');

    // The worker's end of an event importing the worker back: a module cycle.
    await appendFile(join(copy, "src/inbox/finish-event.ts"), '\nimport "./inbox-worker.js"; // planted\n');

    const violations = await violationsIn(copy);
    const found = violations.map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`);
    expect(found).toContain("layer-line-protocol-and-storage-imports-up: src/line/planted-back-import.ts → src/flows/conversation-engine.ts");
    expect(found).toContain("folder-cycle: src/kpi → src/richmenu");
    expect(found).toContain("module-in-no-layer: src/events/planted-unlisted.ts → src/unlisted/planted.ts");
    expect(found.filter((violation) => violation.startsWith("module-cycle: "))).toEqual([
      "module-cycle: src/inbox/finish-event.ts → src/inbox/inbox-worker.ts",
    ]);
    // Nothing else: each module-level violation is a planted file (the back-import closes folder cycles too).
    const moduleLevel = violations.filter((violation) => violation.rule.name !== "folder-cycle");
    const plantedIn = (from: string) => from.includes("planted") || from === "src/inbox/finish-event.ts";
    expect(moduleLevel.map((violation) => violation.from).filter((from) => !plantedIn(from))).toEqual([]);
  });
});
