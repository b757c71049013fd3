import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/connect.js";
import { DataDirInUseError, LOCK_FILE_NAME, lockDataDir, type LockOwner } from "../../src/store/data-dir-lock.js";
import { repoRoot } from "../support/spawned-processes.js";

const onLinux = existsSync("/proc/self/stat");

function startTicksOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
}

function owner(fields: Partial<LockOwner>): LockOwner {
  return { pid: 1, hostname: hostname(), startedAt: new Date().toISOString(), script: "src/main.ts", nonce: randomUUID(), ...fields };
}

// A pid that belonged to a process which has ended.
async function pidOfEndedProcess(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid!;
}

describe("the data directory lock", () => {
  let dir: string;
  let lockFile: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-lock-"));
    lockFile = path.join(dir, LOCK_FILE_NAME);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeLock = (content: LockOwner | string) => writeFile(lockFile, typeof content === "string" ? content : JSON.stringify(content));
  const lockedBy = async () => JSON.parse(await readFile(lockFile, "utf8")) as LockOwner;

  it("is held once: a second open in the same process is refused until the first releases", async () => {
    const lock = await lockDataDir(dir);
    expect((await lockedBy()).pid).toBe(process.pid);
    const refused = await lockDataDir(dir).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as DataDirInUseError).conflict).toBe("this-process");
    await lock.release();
    expect(existsSync(lockFile)).toBe(false);
    await (await lockDataDir(dir)).release();
  });

  it("is taken over at once when its process has ended (kill -9)", async () => {
    await writeLock(owner({ pid: await pidOfEndedProcess() }));
    const lock = await lockDataDir(dir);
    expect((await lockedBy()).pid).toBe(process.pid);
    await lock.release();
  });

  it("is taken over when it names this process's pid but was not written by it (a restarted container)", async () => {
    await writeLock(owner({ pid: process.pid }));
    await (await lockDataDir(dir)).release();
  });

  it("is taken over when it is not a lock file at all (truncated, hand-edited)", async () => {
    await writeLock("");
    await (await lockDataDir(dir)).release();
    await writeLock("{not json");
    await (await lockDataDir(dir)).release();
  });

  it.runIf(onLinux)("tells a live owner from a reused pid by the process's start time", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
    try {
      const pid = child.pid!;
      const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
      await writeLock(owner({ pid, bootId, startTicks: startTicksOf(pid) }));
      const refused = await lockDataDir(dir).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect((refused as DataDirInUseError).conflict).toBe("running");
      expect((refused as DataDirInUseError).owner.pid).toBe(pid);

      await writeLock(owner({ pid, bootId, startTicks: "1" }));
      await (await lockDataDir(dir)).release();
      await writeLock(owner({ pid, bootId: "an-earlier-boot", startTicks: startTicksOf(pid) }));
      await (await lockDataDir(dir)).release();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("is not taken from a process on another machine, whose liveness cannot be checked", async () => {
    await writeLock(owner({ pid: await pidOfEndedProcess(), hostname: `not-${hostname()}` }));
    const refused = await lockDataDir(dir).catch((error: unknown) => error);
    expect((refused as DataDirInUseError).conflict).toBe("other-host");
    expect(existsSync(lockFile)).toBe(true);
  });

  it("is taken over even when a process died while removing the same stale lock", async () => {
    const stale = owner({ pid: await pidOfEndedProcess() });
    await writeLock(stale);
    await writeFile(`${lockFile}.break-${stale.nonce}`, JSON.stringify(owner({ pid: await pidOfEndedProcess() })));
    await (await lockDataDir(dir)).release();
    expect(await readdir(dir)).toEqual([]);
  });

  // Processes starting together, with no lock or a stale one: exactly one takes it, and the one
  // that took it removes it when it exits without closing.
  it.each([
    ["no lock", false],
    ["a stale lock", true],
  ])("goes to exactly one of four processes starting at once, with %s", async (_, stale) => {
    if (stale) await writeLock(owner({ pid: await pidOfEndedProcess() }));
    const startAt = Date.now() + 4_000;
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ["--import", "tsx", "tests/support/take-data-dir-lock.ts", dir, String(startAt), "1500"], { cwd: repoRoot });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        return new Promise<string>((resolve) => child.on("close", () => resolve(output.trim())));
      }),
    );
    expect(outcomes.sort()).toEqual(["in use", "in use", "in use", "took"]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("is taken by openStore for a data directory and given back by close", async () => {
    const store = await openStore({ kind: "pglite", dataDir: dir });
    try {
      expect((await lockedBy()).pid).toBe(process.pid);
      await expect(openStore({ kind: "pglite", dataDir: dir })).rejects.toBeInstanceOf(DataDirInUseError);
    } finally {
      await store.close();
    }
    expect(existsSync(lockFile)).toBe(false);
  });
});
