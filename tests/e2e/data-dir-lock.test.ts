import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE_NAME } from "../../src/store/data-dir-lock.js";
import { StaffClient } from "../support/staff-client.js";
import { runCli, serverUrl, spawnServer, type ServerProcess } from "../support/spawned-processes.js";
import { adminQuery } from "../support/test-store.js";
import { waitFor } from "../support/webhook-client.js";

// One process at a time on the embedded database's folder: the real server process, then the real
// command-line tools and a second server on the same DATA_DIR. Without the lock, staff:create
// "succeeds" into a copy the server later overwrites, and the folder is left damaged.
const PASSWORD = "sagara-castle-2026";
const newStaffArgs = (login: string) => ["--login", login, "--name", "人吉 太郎", "--department", "商工観光課"];

describe("the embedded database's folder while the server runs", () => {
  let dataDir: string;
  let server: ServerProcess;
  let url: string;
  const env = () => ({ PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "info" });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-lock-"));
    server = spawnServer(env());
    url = await serverUrl(server);
  });
  afterAll(async () => {
    if (server.child.exitCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it("staff:create refuses in Japanese, creates nothing, and the server keeps working", async () => {
    const result = await runCli("staff-create", newStaffArgs("yamada"), { env: { DATA_DIR: dataDir }, input: `${PASSWORD}\n` });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("作成しました");
    expect(result.stderr).toContain("サーバー（npm start");
    expect(result.stderr).toContain("何も変更せずに終了しました");
    expect(result.stderr).toContain("Ctrl+C");
    expect(result.stderr).toContain("Postgres");
    expect(result.stderr).not.toMatch(/\n\s+at /);

    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const browser = new StaffClient(url);
    expect((await browser.login("yamada", PASSWORD)).status).toBe(401);
  });

  it("db:migrate and db:seed refuse the same way", async () => {
    for (const tool of ["migrate", "seed"]) {
      const result = await runCli(tool, [], { env: { DATA_DIR: dataDir } });
      expect(result.code, tool).toBe(1);
      expect(result.stderr, tool).toContain("何も変更せずに終了しました");
      expect(result.stderr, tool).not.toMatch(/\n\s+at /);
    }
  });

  it("a second server on the same folder refuses to start, and the first keeps serving", async () => {
    const second = spawnServer(env());
    try {
      const outcome = await waitFor(
        async () => (second.output().includes("bot started") ? "started" : second.child.exitCode !== null && `exit ${second.child.exitCode}`),
        "the second server to start or stop",
        60_000,
      );
      expect(outcome).toBe("exit 1");
    } finally {
      if (second.child.exitCode === null) second.child.kill("SIGKILL");
    }
    expect(second.output()).toContain("サーバーを起動しませんでした");
    expect(second.output()).toContain("サーバーはすでに起動しています");
    expect(second.output()).not.toContain("bot started");
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it("after the server stops, staff:create works, and the restarted server lets the new account log in", async () => {
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(false);

    const created = await runCli("staff-create", newStaffArgs("yamada"), { env: { DATA_DIR: dataDir }, input: `${PASSWORD}\n` });
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("職員アカウント「yamada」を作成しました（管理者）");
    const another = await runCli("staff-create", newStaffArgs("kuma"), { env: { DATA_DIR: dataDir }, input: `${PASSWORD}\n` });
    expect(another.code).toBe(0);

    server = spawnServer(env());
    url = await serverUrl(server);
    const browser = new StaffClient(url);
    const login = await browser.login("yamada", PASSWORD);
    expect(login.status).toBe(303);
    const inbox = await browser.request("/staff/inquiries");
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain("人吉 太郎");
    // Logging in wrote a session and audit rows: the folder takes new rows without key clashes.
    expect((await new StaffClient(url).login("kuma", PASSWORD)).status).toBe(303);
  });

  it("starts again at once after the server was killed with kill -9 (the lock it left is stale)", async () => {
    server.child.kill("SIGKILL");
    await server.exited;
    expect(existsSync(path.join(dataDir, LOCK_FILE_NAME))).toBe(true);

    server = spawnServer(env());
    url = await serverUrl(server);
    expect((await new StaffClient(url).login("yamada", PASSWORD)).status).toBe(303);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});

// On Postgres the server and the tools share the database server: staff:create works while the
// bot runs. A database of its own, dropped afterwards.
const postgresUrl = process.env.TEST_DATABASE_URL;
describe.runIf(postgresUrl)("staff:create while the server runs on Postgres", () => {
  const database = `t_lock_${randomBytes(4).toString("hex")}`;
  let databaseUrl: string;
  let server: ServerProcess;

  beforeAll(async () => {
    await adminQuery(postgresUrl!, `create database ${database}`);
    const parsed = new URL(postgresUrl!);
    parsed.pathname = `/${database}`;
    databaseUrl = parsed.toString();
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await adminQuery(postgresUrl!, `drop database if exists ${database} with (force)`);
  });

  it("creates the account, which logs in at once", async () => {
    server = spawnServer({ PORT: "0", DATABASE_URL: databaseUrl, LOG_LEVEL: "info" });
    const url = await serverUrl(server);
    const result = await runCli("staff-create", newStaffArgs("yamada"), { env: { DATABASE_URL: databaseUrl }, input: `${PASSWORD}\n` });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect((await new StaffClient(url).login("yamada", PASSWORD)).status).toBe(303);
  });
});
