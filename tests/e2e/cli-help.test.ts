import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/spawned-processes.js";

// Every tool in src/cli, as an operator runs it: --help (and -h) prints its usage in Japanese and
// exits 0; a wrong option prints what is wrong and the usage, exits 2, never a stack trace, and
// touches nothing (DATA_DIR points at a folder that must not appear).
const TOOLS = ["staff-create", "migrate", "seed", "classify", "eval-intents", "richmenu-render", "richmenu-deploy"];
const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
const stackTrace = /\n\s+at /;

describe("the command-line tools' usage", () => {
  it.each(TOOLS)("%s --help prints its usage in Japanese and exits 0", async (tool) => {
    const { code, stdout, stderr } = await runCli(tool, ["--help"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(japanese);
    expect(stdout).toContain("使い方:");
    expect(stdout).toContain("例:");
    expect(stdout).toContain("-h, --help");
  });

  it("answers -h like --help", async () => {
    const [short, long] = await Promise.all([runCli("staff-create", ["-h"]), runCli("staff-create", ["--help"])]);
    expect(short).toEqual(long);
    expect(short.stdout).toContain("npm run staff:create -- --login <職員ID>");
  });

  it.each(TOOLS)("%s refuses an unknown option in Japanese, with its usage, and changes nothing", async (tool) => {
    const dataDir = path.join(tmpdir(), `hitoyoshi-untouched-${randomUUID()}`);
    const { code, stdout, stderr } = await runCli(tool, ["--no-such-option"], { env: { DATA_DIR: dataDir } });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("「--no-such-option」というオプションはありません。");
    expect(stderr).toContain("使い方:");
    expect(stderr).not.toMatch(stackTrace);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("staff:create names what is missing or wrong before it opens the database", async () => {
    const dataDir = path.join(tmpdir(), `hitoyoshi-untouched-${randomUUID()}`);
    const env = { DATA_DIR: dataDir };
    const missing = await runCli("staff-create", ["--login", "tanaka"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--name、--department を指定してください。");
    const noValue = await runCli("staff-create", ["--name", "田中", "--department", "商工観光課", "--login"], { env });
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain("--login のあとに値を書いてください。");
    const role = await runCli("staff-create", ["--login", "tanaka", "--name", "田中", "--department", "商工観光課", "--role", "boss"], { env });
    expect(role.code).toBe(2);
    expect(role.stderr).toContain("--role には admin か staff を指定してください（「boss」は使えません）。");
    const extra = await runCli("richmenu-render", ["a", "b"], { env });
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain("余分な引数「b」があります。");
    for (const result of [missing, noValue, role, extra]) expect(result.stderr).not.toMatch(stackTrace);
    expect(existsSync(dataDir)).toBe(false);
  });
});
