import { createHash, randomUUID } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, readFile, realpath, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { z } from "zod";

// One process at a time on an embedded (PGlite) data directory: two PGlite instances on one
// directory each have their own buffers, WAL position and transaction ids, with no locking between
// them, so they overwrite each other's pages: one's writes are lost and the directory is left
// damaged (an index that no longer matches its table: "duplicate key" on an empty table).
//
// The lock is a file created exclusively in the data directory, naming its process (pid, host,
// and on Linux the boot and the process's start time). It is removed on close and at exit; after
// kill -9 it stays, and the next process sees that its owner is gone and takes it over at once.
// (An mtime-refreshed lock such as proper-lockfile's would make that restart wait, and would
// declare the lock lost whenever a long PGlite statement blocks the event loop.)

export const LOCK_FILE_NAME = "in-use.lock";

const ownerSchema = z.object({
  pid: z.number().int().positive(),
  hostname: z.string(),
  // Linux only: a pid is unique within one boot, and the start time tells a reused pid apart.
  bootId: z.string().optional(),
  startTicks: z.string().optional(),
  startedAt: z.string(),
  // The script the owner runs (src/main.ts for the server), to tell the operator what to stop.
  script: z.string(),
  // Also names the breaker file (removeStale), so only a plain token.
  nonce: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
});
export type LockOwner = z.infer<typeof ownerSchema>;

// Why the lock could not be taken. "running": its owner is alive on this machine; "this-process":
// this process has the directory open already; "other-host": the owner is on another machine
// (a shared folder), whose processes cannot be checked from here.
export type LockConflict = "running" | "this-process" | "other-host";

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly owner: LockOwner,
    readonly conflict: LockConflict,
  ) {
    super(`the embedded database in ${dataDir} is in use by process ${owner.pid} on ${owner.hostname} (${owner.script}, since ${owner.startedAt}); lock file ${lockFile}`);
    this.name = "DataDirInUseError";
  }
}

export interface DataDirLock {
  readonly file: string;
  release(): Promise<void>;
}

// Nonces of the lock and breaker files this process has written (or is writing): a file with
// this pid and one of these is ours; with this pid and another nonce, it was left by an earlier
// process that had the same pid (a restarted container starts its processes with the same pids).
const ownNonces = new Set<string>();
// The locks this process holds, by file, to remove at exit.
const held = new Map<string, string>();
let exitHookInstalled = false;

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const absolute = await realpath(dataDir);
  const file = path.join(absolute, LOCK_FILE_NAME);
  const me = describeThisProcess();
  ownNonces.add(me.nonce);
  try {
    // Each round either takes the lock, finds a live owner, or removes one stale file; losing a
    // race to another starting process only means another round.
    for (let round = 0; round < 50; round++) {
      if (await createExclusively(file, me)) {
        held.set(file, me.nonce);
        installExitHook();
        return { file, release: () => release(file, me.nonce) };
      }
      const found = await readLockFile(file);
      if (!found) continue;
      const state = found.owner ? ownerState(found.owner) : "gone";
      if (found.owner && state !== "gone") throw new DataDirInUseError(absolute, file, found.owner, state);
      await removeStale(file, found.identity, me, 0);
      await pause(round);
    }
    throw new Error(`could not take ${file}: other processes kept taking and leaving it; try again`);
  } catch (error) {
    ownNonces.delete(me.nonce);
    throw error;
  }
}

async function release(file: string, nonce: string): Promise<void> {
  if (held.get(file) !== nonce) return;
  const found = await readLockFile(file);
  if (found?.identity === nonce) await unlink(file).catch(ignoreMissing);
  held.delete(file);
  ownNonces.delete(nonce);
}

// The file appears with its whole content or not at all: it is written under a name of its own,
// then hard-linked to the lock's name, which fails if that name exists.
async function createExclusively(file: string, owner: LockOwner): Promise<boolean> {
  const draft = `${file}.${owner.nonce}.tmp`;
  await writeFile(draft, `${JSON.stringify(owner)}\n`, { mode: 0o644 });
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(draft).catch(ignoreMissing);
  }
}

interface LockFileContent {
  // The owner's nonce; for a file that is not a lock we wrote (hand-edited, truncated by a full
  // disk), a hash of its bytes. Removal checks it, so only the file judged stale is removed.
  identity: string;
  owner: LockOwner | null;
}

async function readLockFile(file: string): Promise<LockFileContent | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
  const owner = parseOwner(text);
  return owner ? { identity: owner.nonce, owner } : { identity: `bytes-${createHash("sha256").update(text).digest("hex").slice(0, 16)}`, owner: null };
}

function parseOwner(text: string): LockOwner | null {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

// Two processes that both find the same stale file must not both remove "the lock": the second
// would remove the fresh lock the first has just taken. So a stale file is removed only by the
// process that creates its breaker (`<file>.break-<identity>`) exclusively, after checking that
// the file still has that identity; nobody else can remove it meanwhile. A breaker left by a
// process killed while removing is itself stale and removed the same way.
async function removeStale(file: string, identity: string, me: LockOwner, depth: number): Promise<void> {
  if (depth > 3) throw new Error(`could not remove the stale lock ${file}: remove it by hand if no process uses the directory`);
  const breaker = `${file}.break-${identity}`;
  const breakerOwner = { ...me, nonce: randomUUID() };
  ownNonces.add(breakerOwner.nonce);
  try {
    if (!(await createExclusively(breaker, breakerOwner))) {
      const other = await readLockFile(breaker);
      if (other && (!other.owner || ownerState(other.owner) === "gone")) await removeStale(breaker, other.identity, me, depth + 1);
      return;
    }
    try {
      const current = await readLockFile(file);
      if (current?.identity === identity) await unlink(file).catch(ignoreMissing);
    } finally {
      await unlink(breaker).catch(ignoreMissing);
    }
  } finally {
    ownNonces.delete(breakerOwner.nonce);
  }
}

type OwnerState = LockConflict | "gone";

function ownerState(owner: LockOwner): OwnerState {
  if (owner.hostname !== hostname()) return "other-host";
  if (owner.pid === process.pid) return ownNonces.has(owner.nonce) ? "this-process" : "gone";
  const linux = linuxProcessIdentity("self");
  if (linux && owner.bootId && linux.bootId !== owner.bootId) return "gone";
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if (errorCode(error) === "ESRCH") return "gone";
  }
  if (owner.startTicks) {
    const now = linuxProcessIdentity(owner.pid);
    if (now && now.startTicks !== owner.startTicks) return "gone";
  }
  return "running";
}

function describeThisProcess(): LockOwner {
  const linux = linuxProcessIdentity("self");
  return {
    pid: process.pid,
    hostname: hostname(),
    ...(linux ? { bootId: linux.bootId, startTicks: linux.startTicks } : {}),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    script: process.argv[1] ? path.relative(process.cwd(), process.argv[1]) || process.argv[1] : "node",
    nonce: randomUUID(),
  };
}

// /proc/<pid>/stat field 22 is the process's start time in clock ticks since boot (proc(5)).
// Elsewhere (macOS) there is no cheap equivalent: a reused pid then keeps the lock until that
// process ends, and the message names the pid and the file.
function linuxProcessIdentity(pid: number | "self"): { bootId: string; startTicks: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const afterName = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = afterName[19];
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return startTicks ? { bootId, startTicks } : null;
  } catch {
    return null;
  }
}

// A process that ends without closing its store (process.exit(), an uncaught error) still removes
// its lock; one ended by a signal it does not handle, or by kill -9, leaves a lock that the next
// process finds stale.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [file, nonce] of held) {
      try {
        if (parseOwner(readFileSync(file, "utf8"))?.nonce === nonce) unlinkSync(file);
      } catch {
        // Gone already, or the directory was removed: nothing to release.
      }
    }
  });
}

const pause = (round: number) => new Promise((resolve) => setTimeout(resolve, Math.min(5 * (round + 1), 50)));

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function ignoreMissing(error: unknown): void {
  if (errorCode(error) !== "ENOENT") throw error;
}
