import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { closedLoop, openLoop, percentile, type RunResult } from "./load.js";
import { baselineConversations, floorConversations, mixedConversations } from "./conversation-scripts.js";
import { conversationLoad, RecordingLineApi, type ConversationLoadResult } from "./reply-latency.js";
import { freePort } from "./free-port.js";

// npm run bench:webhook — our webhook (signature, checks, durable inbox insert) against a bare
// express + @line/bot-sdk handler that acks without storing, in the same run, on real Postgres.
// Servers run as child processes; this process only generates load (2 cores: one each, roughly).
// Then ack → reply: residents following scripted conversations (conversation-scripts.ts) at a
// fixed event rate, with the LINE API stand-in in this process (reply-latency.ts): first against the
// floor (floor-reply-server.ts: express + the SDK, ack and reply at once, no database), the baseline
// the figures are compared with; then against ours (all) for its simplest single-turn traffic and
// for the mixed flows, in the same run. The bot's statements to Postgres are counted
// (count-queries.ts) and its CPU time measured, per event of the measured window.
// BENCH_SECONDS (default 8) per measured run; BENCH_ONLY=ack or BENCH_ONLY=reply runs one part;
// BENCH_REPLY_RATE (default 200 ev/s) and BENCH_THINK_MS (default 500) shape the ack → reply part.

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const benchDb = "hitoyoshi_bench";
const secret = "bench-channel-secret";
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const only = process.env.BENCH_ONLY ?? "";
const replyRate = Number(process.env.BENCH_REPLY_RATE ?? 200);
const thinkMs = Number(process.env.BENCH_THINK_MS ?? 500);
// BENCH_FRESH_WARMUP_SECONDS (default 6): warm-up of a freshly started server before its first measured run.
const freshWarmUpSeconds = Number(process.env.BENCH_FRESH_WARMUP_SECONDS ?? 6);
// BENCH_BOT_NODE_ARGS: node options for the bot of the ack → reply part, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
// for a V8 CPU profile of it (open the .cpuprofile in Chrome DevTools).
const botNodeArgs = (process.env.BENCH_BOT_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
const children: ChildProcess[] = [];
const stopping = new Set<ChildProcess>();


async function startChild(
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

async function stopChild(child: ChildProcess): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
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

async function ourServer(role: "web" | "all", fakeLineApi: string, nodeArgs: string[] = [], extraEnv: Record<string, string> = {}, preload: string[] = []) {
  await admin(`drop database if exists ${benchDb}`);
  await admin(`create database ${benchDb}`);
  return startChild(
    "src/main.ts",
    {
      DATABASE_URL: benchDatabaseUrl(),
      LINE_CHANNEL_SECRET: secret,
      LINE_CHANNEL_ACCESS_TOKEN: "bench-access-token",
      LINE_API_BASE_URL: fakeLineApi,
      LINE_DATA_API_BASE_URL: fakeLineApi,
      APP_ROLE: role,
      ...extraEnv,
    },
    nodeArgs,
    preload,
  );
}

// The Postgres processes working for the bench: the backends of its database and the shared
// background ones (no database); other users' backends count as "other".
async function benchPostgresPids(): Promise<Set<number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>("select pid from pg_stat_activity where datname = $1 or datname is null", [benchDb]);
    return new Set(rows.map((row) => row.pid));
  } finally {
    await client.end();
  }
}

// Statements the bot sent so far: count-queries.ts writes its count on SIGUSR2.
function queryCounter(pid: number, file: string): () => Promise<number> {
  return async () => {
    const before = await readFile(file, "utf8").catch(() => "");
    process.kill(pid, "SIGUSR2");
    for (let tries = 0; tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      const text = await readFile(file, "utf8").catch(() => "");
      if (text !== "" && text !== before) return Number(text);
    }
    return Number((await readFile(file, "utf8").catch(() => "NaN")) || Number.NaN);
  };
}

const ms = (value: number) => value.toFixed(1).padStart(7);
// CPU milliseconds of the process under test per event, over the measured window.
const cpuPerEvent = (result: ConversationLoadResult, events: number) => (result.cpu.bot * cpus().length * result.seconds * 1000) / events;
// padEnd by display width: CJK characters take two columns in a terminal.
const padCells = (text: string, width: number) => text + " ".repeat(Math.max(0, width - [...text].reduce((sum, char) => sum + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(char) ? 2 : 1), 0)));
const pct = (share: number) => `${(share * 100).toFixed(0)}%`;

function replyHeader(): string {
  return `${"traffic".padEnd(34)} ${"sent".padStart(5)} ${"acked".padStart(6)} ${"replied".padStart(7)} ${"missing".padStart(7)}  ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)} ${"max".padStart(7)}  ${"ack p99".padStart(7)}  ${"answered/s".padStart(10)}   CPU of ${cpus().length} cores: machine = generator + bot + postgres + other`;
}

function replyRow(name: string, result: ConversationLoadResult): string {
  const l = result.ackToReplyMs;
  const { cpu } = result;
  return `${name.padEnd(34)} ${String(result.sent).padStart(5)} ${String(result.acked).padStart(6)} ${String(result.replied).padStart(7)} ${String(result.missing).padStart(7)}  ${ms(percentile(l, 50))} ${ms(percentile(l, 95))} ${ms(percentile(l, 99))} ${ms(l.length ? Math.max(...l) : Number.NaN)}  ${ms(percentile(result.dueToAckMs, 99))}  ${(result.repliesInWindow / result.seconds).toFixed(0).padStart(10)}   ${pct(cpu.machine)} = ${pct(cpu.generator)} + ${pct(cpu.bot)} + ${pct(cpu.postgres)} + ${pct(cpu.other)}`;
}

// ack → reply, on a fresh database, for the baseline and then the mixed flows, against one bot.
async function replyLatency(): Promise<string[]> {
  const lineApi = await new RecordingLineApi().start();
  try {
    return await replyLatencyAgainst(lineApi);
  } finally {
    await lineApi.stop();
  }
}

async function replyLatencyAgainst(lineApi: RecordingLineApi): Promise<string[]> {
  // The first run against a freshly started server warms it up longer (its code is not compiled
  // yet, the database's tables are new and its statements not prepared): steady state is measured.
  const common = { rate: replyRate, seconds, warmUpSeconds: 2, thinkMs, graceMs: 60_000, quietMs: 5_000, postgresPids: benchPostgresPids };
  const fresh = { ...common, warmUpSeconds: freshWarmUpSeconds };
  console.log(`\nack → reply: the webhook's 200 reaching the load generator → the reply request reaching the fake LINE API (same process, same clock)`);
  console.log(`${replyRate} ev/s open loop, ${seconds} s measured after a warm-up at the same rate (${freshWarmUpSeconds} s on a freshly started server, 2 s otherwise), residents pause ${thinkMs} ms between an answer and their next step; ms`);
  console.log(replyHeader());
  const floorServer = await startChild("tests/bench/floor-reply-server.ts", { LINE_CHANNEL_SECRET: secret, LINE_API_BASE_URL: lineApi.url });
  const floor = await conversationLoad(floorServer.url, secret, lineApi, floorConversations, { ...fresh, botPid: floorServer.child.pid ?? -1, seed: 3 });
  console.log(replyRow("floor: express + SDK, no database", floor));
  await stopChild(floorServer.child);

  const countFile = path.join(tmpdir(), `bench-queries-${process.pid}.txt`);
  const ours = await ourServer("all", lineApi.url, botNodeArgs, { BENCH_QUERY_COUNT_FILE: countFile }, ["./tests/bench/count-queries.ts"]);
  const options = { ...common, botPid: ours.child.pid ?? -1, queryCount: queryCounter(ours.child.pid ?? -1, countFile) };
  const baseline = await conversationLoad(ours.url, secret, lineApi, baselineConversations, { ...options, warmUpSeconds: freshWarmUpSeconds, seed: 1 });
  console.log(replyRow("ours (all): stickers, greetings", baseline));
  const mixed = await conversationLoad(ours.url, secret, lineApi, mixedConversations, { ...options, seed: 2 });
  console.log(replyRow("ours (all): mixed flows", mixed));
  await stopChild(ours.child);
  await rm(countFile, { force: true });

  console.log(`mixed flows by conversation:`);
  for (const conversation of mixedConversations) {
    const l = mixed.ackToReplyByConversation.get(conversation.name) ?? [];
    console.log(`  ${padCells(conversation.name, 40)} ${String(l.length).padStart(5)} events  p50 ${ms(percentile(l, 50))}  p99 ${ms(percentile(l, 99))}  max ${ms(l.length ? Math.max(...l) : Number.NaN)}`);
  }
  for (const [name, result] of [["floor", floor], ["ours: stickers, greetings", baseline], ["ours: mixed flows", mixed]] as const) {
    console.log(
      `${name}: ${result.conversationsStarted} conversations started, ${result.conversationsFinished} finished, ${result.deviations} script deviations; ` +
        `${result.ackErrors} ack errors, ${result.pushes} pushes, ${result.missingAll} missing replies incl. warm-up, ${result.repliesBeforeAck} replies before their ack, ` +
        `${result.duplicateReplies} duplicate and ${result.unknownReplies} unknown or late replies; replies still coming ${result.drainSeconds.toFixed(1)} s after the last ack; load generator event-loop delay p99 ${result.generatorLoopDelayP99Ms.toFixed(1)} ms; ` +
        `the ${name === "floor" ? "floor server" : "bot"} used ${pct(result.cpu.bot * cpus().length)} of one core: ${cpuPerEvent(result, result.sent).toFixed(1)} ms CPU per event sent in the window (${result.sent}), ${cpuPerEvent(result, result.repliesInWindow).toFixed(1)} per reply sent in it (${result.repliesInWindow})` +
        (Number.isNaN(result.queriesInWindow) ? "" : `; ${(result.queriesInWindow / result.repliesInWindow).toFixed(1)} database round trips per reply sent in the window (${result.queriesInWindow} statements)`),
    );
    for (const example of result.deviationExamples) console.log(`  deviation: ${example}`);
  }

  const p99 = percentile(mixed.ackToReplyMs, 99);
  const floorP99 = percentile(floor.ackToReplyMs, 99);
  const simpleP99 = percentile(baseline.ackToReplyMs, 99);
  const missing = mixed.missingAll + baseline.missingAll + mixed.ackErrors + baseline.ackErrors + floor.missingAll + floor.ackErrors;
  const deviations = mixed.deviations + baseline.deviations;
  const other = Math.max(mixed.cpu.other, baseline.cpu.other, floor.cpu.other);
  const answered = mixed.repliesInWindow / mixed.seconds;
  return [
    `p99 ack → reply at ${replyRate} ev/s, mixed flows: ${p99.toFixed(1)} ms (floor ${floorP99.toFixed(1)} ms, ×${(p99 / floorP99).toFixed(2)}; ours on stickers/greetings ${simpleP99.toFixed(1)} ms; target < 100 ms): ${p99 < 100 ? "PASS" : "MISS"}` +
      (other > 0.1 ? ` — NOT REPRESENTATIVE: other processes used ${pct(other)} of the CPU during the run` : ""),
    `CPU per event, mixed flows: bot ${cpuPerEvent(mixed, mixed.sent).toFixed(1)} ms (floor server ${cpuPerEvent(floor, floor.sent).toFixed(1)} ms), Postgres ${((mixed.cpu.postgres * cpus().length * mixed.seconds * 1000) / mixed.sent).toFixed(1)} ms (per event sent in the window); ${(mixed.queriesInWindow / mixed.repliesInWindow).toFixed(1)} database round trips per reply sent in it`,
    ...(answered < 0.95 * replyRate
      ? [`  the bot answered ${answered.toFixed(0)} of the ${replyRate} ev/s sent: overloaded, its backlog (and so this latency) grows with the length of the run`]
      : []),
    `replies: ${mixed.replied + baseline.replied} of ${mixed.sent + baseline.sent} measured events answered; ${missing} missing or not acked, ${deviations} script deviations (target 0): ${missing === 0 && deviations === 0 ? "PASS" : "MISS"}`,
  ];
}

async function main(): Promise<void> {
  console.log(`bench:webhook — ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}, ${seconds} s per run`);
  if (only === "reply") {
    const summary = await replyLatency();
    console.log("\nsummary");
    for (const text of summary) console.log(text);
    return;
  }
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
  const replySummary = only === "ack" ? [] : await replyLatency();

  const ratio = (key: string) => (results[key]!.rate / results.bareMax!.rate) * 100;
  console.log("\nsummary");
  console.log(`throughput: ours (web) ${results.webMax!.rate.toFixed(0)} ev/s, bare ${results.bareMax!.rate.toFixed(0)} ev/s, ratio ${ratio("webMax").toFixed(0)}% (target ≥ 75%): ${ratio("webMax") >= 75 ? "PASS" : "MISS"}`);
  console.log(`throughput: ours (all, worker replying too) ${results.allMax!.rate.toFixed(0)} ev/s, ratio ${ratio("allMax").toFixed(0)}%`);
  for (const key of ["web1000", "all1000"]) {
    const p99 = results[key]!.p99;
    console.log(`p99 ack latency at 1000 ev/s, ours (${key.replace("1000", "")}): ${p99.toFixed(1)} ms (bare ${results.bare1000!.p99.toFixed(1)} ms; target < 50 ms): ${p99 < 50 ? "PASS" : "MISS"}`);
  }
  for (const text of replySummary) console.log(text);
}

const cleanup = () => {
  for (const child of children) stopping.add(child);
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
