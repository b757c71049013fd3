import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { freePort } from "./free-port.js";

// The processes of bench:webhook: servers run as child processes (this process only generates
// load), on a database of the machine's Postgres that each measured server starts fresh.

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const benchDb = "hitoyoshi_bench";
export const benchSecret = "bench-channel-secret";
const children: ChildProcess[] = [];
const stopping = new Set<ChildProcess>();

export async function startChild(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  preload: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", ...preload.flatMap((module) => ["--import", module]), script], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  child.once("exit", (code, signal) => {
    if (!stopping.has(child)) console.error(`${script} exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited with ${child.signalCode ?? child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) return { url, child };
    if (Date.now() > deadline) throw new Error(`${script} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

// Kills every child still running (the bench ends or is interrupted).
export function killChildren(): void {
  for (const child of children) stopping.add(child);
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
}

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

function benchDatabaseUrl(): string {
  const url = new URL(adminUrl);
  url.pathname = `/${benchDb}`;
  return url.toString();
}

async function benchQuery(text: string): Promise<number> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl() });
  await client.connect();
  try {
    return Number((await client.query(text)).rows[0].n);
  } finally {
    await client.end();
  }
}

export const storedEvents = () => benchQuery("select count(*) as n from inbox_events");
export const unfinishedEvents = () => benchQuery("select count(*) as n from inbox_events where status in ('pending', 'processing')");

// Our bot (src/main.ts) in `role`, on the bench database: made afresh unless `freshDatabase` is false
// (a second process on the same database).
export async function ourServer(
  role: "web" | "all",
  fakeLineApi: string,
  options: { nodeArgs?: string[]; env?: Record<string, string>; preload?: string[]; freshDatabase?: boolean } = {},
) {
  if (options.freshDatabase !== false) {
    await admin(`drop database if exists ${benchDb}`);
    await admin(`create database ${benchDb}`);
  }
  return startChild(
    "src/main.ts",
    {
      DATABASE_URL: benchDatabaseUrl(),
      LINE_CHANNEL_SECRET: benchSecret,
      LINE_CHANNEL_ACCESS_TOKEN: "bench-access-token",
      LINE_API_BASE_URL: fakeLineApi,
      LINE_DATA_API_BASE_URL: fakeLineApi,
      APP_ROLE: role,
      ...options.env,
    },
    options.nodeArgs,
    options.preload,
  );
}

// The Postgres processes working for the bench: the backends of its database and the shared
// background ones (no database); other users' backends count as "other".
export async function benchPostgresPids(): Promise<Set<number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1 or datname is null", [benchDb]);
    return new Set(rows.map((row) => row.pid));
  } finally {
    await client.end();
  }
}
