import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { closedLoop, openLoop, percentile, type RunResult } from "./load.js";

// npm run bench:webhook — our webhook (signature, checks, durable inbox insert) against a bare
// express + @line/bot-sdk handler that acks without storing, in the same run, on real Postgres.
// Servers run as child processes; this process only generates load (2 cores: one each, roughly).

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const benchDb = "hitoyoshi_bench";
const secret = "bench-channel-secret";
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function startChild(script: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) return { url, child };
    if (Date.now() > deadline) throw new Error(`${script} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
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

async function storedEvents(): Promise<number> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl() });
  await client.connect();
  try {
    return Number((await client.query("select count(*) as n from inbox_events")).rows[0].n);
  } finally {
    await client.end();
  }
}

const line = (name: string, result: RunResult) => {
  const rate = result.ok / result.seconds;
  return {
    name,
    rate,
    text: `${name.padEnd(34)} ${rate.toFixed(0).padStart(6)} ev/s  p50 ${percentile(result.latenciesMs, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(result.latenciesMs, 99).toFixed(1).padStart(6)} ms  max ${Math.max(...result.latenciesMs).toFixed(1).padStart(7)} ms  errors ${result.errors}`,
  };
};

async function ourServer(role: "web" | "all", fakeLineApi: string) {
  await admin(`drop database if exists ${benchDb}`);
  await admin(`create database ${benchDb}`);
  return startChild("src/main.ts", {
    DATABASE_URL: benchDatabaseUrl(),
    LINE_CHANNEL_SECRET: secret,
    LINE_CHANNEL_ACCESS_TOKEN: "bench-access-token",
    LINE_API_BASE_URL: fakeLineApi,
    APP_ROLE: role,
  });
}

async function main(): Promise<void> {
  console.log(`bench:webhook — ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}, ${seconds} s per run`);
  const fake = await startChild("tests/bench/fake-line-api-server.ts", {});
  const report: string[] = [];
  const results: Record<string, { rate: number; p99: number; errors: number }> = {};
  const record = (key: string, name: string, result: RunResult) => {
    const entry = line(name, result);
    report.push(entry.text);
    console.log(entry.text);
    results[key] = { rate: entry.rate, p99: percentile(result.latenciesMs, 99), errors: result.errors };
  };

  const bare = await startChild("tests/bench/bare-webhook-server.ts", { LINE_CHANNEL_SECRET: secret });
  await closedLoop(bare.url, secret, 32, 2);
  record("bareMax", "bare: max throughput (64 in flight)", await closedLoop(bare.url, secret, 64, seconds));
  record("bare1000", "bare: at 1000 ev/s", await openLoop(bare.url, secret, 1000, seconds));
  await stopChild(bare.child);

  for (const role of ["web", "all"] as const) {
    const ours = await ourServer(role, fake.url);
    const warmUp = await closedLoop(ours.url, secret, 32, 2);
    const max = await closedLoop(ours.url, secret, 64, seconds);
    record(`${role}Max`, `ours (${role}): max throughput`, max);
    const fixed = await openLoop(ours.url, secret, 1000, seconds);
    record(`${role}1000`, `ours (${role}): at 1000 ev/s`, fixed);
    const acked = warmUp.ok + max.ok + fixed.ok;
    const stored = await storedEvents();
    console.log(`  ours (${role}): ${acked} events acked, ${stored} in the inbox: ${stored === acked ? "every acked event stored once" : "MISMATCH"}`);
    await stopChild(ours.child);
  }
  await stopChild(fake.child);

  const ratio = (key: string) => (results[key]!.rate / results.bareMax!.rate) * 100;
  console.log("\nsummary");
  console.log(`throughput: ours (web) ${results.webMax!.rate.toFixed(0)} ev/s, bare ${results.bareMax!.rate.toFixed(0)} ev/s, ratio ${ratio("webMax").toFixed(0)}% (target ≥ 75%): ${ratio("webMax") >= 75 ? "PASS" : "MISS"}`);
  console.log(`throughput: ours (all, worker replying too) ${results.allMax!.rate.toFixed(0)} ev/s, ratio ${ratio("allMax").toFixed(0)}%`);
  for (const key of ["web1000", "all1000"]) {
    const p99 = results[key]!.p99;
    console.log(`p99 ack latency at 1000 ev/s, ours (${key.replace("1000", "")}): ${p99.toFixed(1)} ms (bare ${results.bare1000!.p99.toFixed(1)} ms; target < 50 ms): ${p99 < 50 ? "PASS" : "MISS"}`);
  }
}

const cleanup = () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
