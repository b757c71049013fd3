import { DataDirInUseError, lockDataDir } from "../../src/store/data-dir-lock.js";

// A process that tries to take a data directory's lock at a given moment, for the race tests:
//   node --import tsx tests/support/take-data-dir-lock.ts <dir> <start at, epoch ms> <hold ms>
// prints "took" or "in use", holds the lock for a while, and exits without releasing it (the exit
// hook must).
const [dir, startAt, holdMs] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
try {
  await lockDataDir(dir!);
  process.stdout.write("took\n");
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  process.exit(0);
} catch (error) {
  if (!(error instanceof DataDirInUseError)) throw error;
  process.stdout.write("in use\n");
}
