import { readdir, readFile } from "node:fs/promises";

// Who used the CPU during a measured window (Linux /proc): the machine as a whole, this process
// (the load generator), the bot under test, Postgres (the backends serving the bench's database and
// its shared background processes, when the bench says which those are; otherwise every Postgres
// process, other users' included), and everything else. The
// bench shares a small machine; "other" says whether something outside it competed for the cores,
// which would make the latencies measured meaningless. Shares are of all cores together (1 = every
// core busy the whole window). Elsewhere than Linux every share is NaN.

export interface CpuSnapshot {
  total: number;
  idle: number;
  generator: number;
  bot: number;
  // Per process: one that ended within the window has no end figure, so its time counts as "other".
  postgres: Map<number, number>;
}

export interface CpuShares {
  machine: number;
  generator: number;
  bot: number;
  postgres: number;
  other: number;
}

async function processTicks(pid: string): Promise<{ comm: string; ticks: number } | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // utime and stime: fields 14 and 15 of the line, 12th and 13th after the command name.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null; // the process ended in the meantime
  }
}

export async function cpuSnapshot(botPid: number, postgresPids: Set<number> | null = null): Promise<CpuSnapshot | null> {
  try {
    const cpu = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
    const stats = await Promise.all(pids.map(async (pid) => ({ pid: Number(pid), stat: await processTicks(pid) })));
    let generator = 0;
    let bot = 0;
    const postgres = new Map<number, number>();
    for (const { pid, stat } of stats) {
      if (!stat) continue;
      if (pid === process.pid) generator += stat.ticks;
      else if (pid === botPid) bot += stat.ticks;
      else if (stat.comm === "postgres" && (postgresPids === null || postgresPids.has(pid))) postgres.set(pid, stat.ticks);
    }
    return { total: cpu.reduce((sum, value) => sum + value, 0), idle: (cpu[3] ?? 0) + (cpu[4] ?? 0), generator, bot, postgres };
  } catch {
    return null;
  }
}

export function cpuBetween(before: CpuSnapshot | null, after: CpuSnapshot | null): CpuShares {
  if (!before || !after || after.total <= before.total) {
    return { machine: Number.NaN, generator: Number.NaN, bot: Number.NaN, postgres: Number.NaN, other: Number.NaN };
  }
  const total = after.total - before.total;
  const machine = 1 - (after.idle - before.idle) / total;
  const generator = (after.generator - before.generator) / total;
  const bot = (after.bot - before.bot) / total;
  let postgresTicks = 0;
  for (const [pid, ticks] of after.postgres) postgresTicks += ticks - (before.postgres.get(pid) ?? 0);
  const postgres = postgresTicks / total;
  return { machine, generator, bot, postgres, other: Math.max(0, machine - generator - bot - postgres) };
}
