import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Kysely, PostgresDialect, type CompiledQuery } from "kysely";
import pg from "pg";
import { countInquiriesByStatus, listInquiries } from "../../src/staff/inquiries/inquiry-queries.js";
import { parseCaseFilters } from "../../src/staff/cases/case-filters.js";
import { dashboardData } from "../../src/staff/kpi/kpi-dashboard-data.js";
import { countReportsByStatus, listReports, parseReportFilters } from "../../src/staff/reports/report-queries.js";
import type { StaffPrincipal } from "../../src/staff/sessions.js";
import { createStaffAccount } from "../../src/staff/staff-accounts.js";
import { seedIfEmpty } from "../../src/seeds/seed-if-empty.js";
import type { Database } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { STAFF_PASSWORD, StaffClient } from "../support/staff-client.js";
import { percentile } from "../support/numbers.js";
import { BENCH_WORDS, generateStaffBenchData, REPORT_CATEGORY_LABELS, type BenchSize } from "./staff-bench-data.js";
import { freePort } from "./free-port.js";

// bench:staff — the staff console's inboxes and KPI dashboard at city scale in real Postgres:
// 1,000,000 inquiries and 5,000,000 messages (BENCH_SCALE=0.1 for a tenth). Requests go through
// the real HTTP console as a logged-in admin or department staff member; the baseline is /healthz
// through the same HTTP path in the same run. Prints the figures and the plan of every query the
// pages rely on (EXPLAIN ANALYZE, BUFFERS). Target: p95 under 200 ms for each.
// BENCH_KEEP=1 keeps the generated database; BENCH_REUSE=1 measures a kept one again.

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const benchDb = "hitoyoshi_staff_bench";
const scale = Number(process.env.BENCH_SCALE ?? 1);
const size: BenchSize = { users: 300_000 * scale, messages: 5_000_000 * scale, inquiries: 1_000_000 * scale, reports: 200_000 * scale };
const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const keep = process.env.BENCH_KEEP === "1" || process.env.BENCH_REUSE === "1";
const reuse = process.env.BENCH_REUSE === "1";
const DEPARTMENT = "地域コミュニティ課";

function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

// Fresh database with the schema, the seeds and two staff accounts, then the generated rows.
async function prepareDatabase(): Promise<void> {
  const exists = await withClient(adminUrl, async (client) => (await client.query("select 1 from pg_database where datname = $1", [benchDb])).rowCount === 1);
  if (reuse && exists) {
    console.log(`reusing ${benchDb}`);
    return;
  }
  await withClient(adminUrl, async (client) => {
    await client.query(`drop database if exists ${benchDb}`);
    await client.query(`create database ${benchDb}`);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl(benchDb), max: 2 }) }) });
  await migrateToLatest(db);
  await seedIfEmpty(db);
  await createStaffAccount(db, { loginId: "bench-admin", displayName: "管理者", department: "情報政策課", role: "admin" }, STAFF_PASSWORD);
  await createStaffAccount(db, { loginId: "bench-staff", displayName: "地域担当", department: DEPARTMENT, role: "staff" }, STAFF_PASSWORD);
  await db.destroy();
  const started = performance.now();
  await withClient(databaseUrl(benchDb), (client) => generateStaffBenchData(client, size, (step) => console.log(`  generated ${step}`)));
  console.log(`data generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}


async function startConsole(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), LOG_LEVEL: "warn", DATABASE_URL: databaseUrl(benchDb), APP_ROLE: "web" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (!(await fetch(`${url}/readyz`).then((response) => response.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`the console exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error("the console did not become ready");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, child };
}

interface Scenario {
  name: string;
  who: "admin" | "staff" | "none";
  path: string;
  // The queries the page relies on, run again in-process for their plans.
  queries?: (db: Kysely<Database>, staff: StaffPrincipal) => Promise<unknown>;
}

function inbox(name: string, query: string, who: "admin" | "staff" = "admin"): Scenario {
  const filters = parseCaseFilters(Object.fromEntries(new URLSearchParams(query)));
  return {
    name,
    who,
    path: `/staff/inquiries${query ? `?${query}` : ""}`,
    queries: (db, staff) => Promise.all([listInquiries(db, staff, filters), countInquiriesByStatus(db, staff, filters)]),
  };
}

function reportInbox(name: string, query: string, who: "admin" | "staff" = "admin"): Scenario {
  const filters = parseReportFilters(Object.fromEntries(new URLSearchParams(query)), REPORT_CATEGORY_LABELS);
  return {
    name,
    who,
    path: `/staff/reports${query ? `?${query}` : ""}`,
    queries: (db, staff) => Promise.all([listReports(db, staff, filters), countReportsByStatus(db, staff, filters)]),
  };
}

const q = (text: string) => `q=${encodeURIComponent(text)}`;
const scenarios: Scenario[] = [
  { name: "baseline: /healthz", who: "none", path: "/healthz" },
  inbox("inbox, no filter (admin)", ""),
  inbox("inbox, no filter (department staff)", "", "staff"),
  inbox("status 対応中", "status=in_progress"),
  inbox("status 新規, department staff", "status=new", "staff"),
  inbox("intent 移住相談", "category=relocation"),
  inbox("department 商工観光課", `department=${encodeURIComponent("商工観光課")}`),
  inbox("date range (one month)", `from=${daysAgo(90)}&to=${daysAgo(60)}`),
  inbox(`free text, rare word ${BENCH_WORDS.rare}`, q(BENCH_WORDS.rare)),
  inbox(`free text, common word ${BENCH_WORDS.common}`, q(BENCH_WORDS.common)),
  inbox(`free text, 2 characters ${BENCH_WORDS.twoChars}`, q(BENCH_WORDS.twoChars)),
  inbox(`free text, no match ${BENCH_WORDS.none}`, q(BENCH_WORDS.none)),
  inbox(`free text, rare word, department staff`, q(BENCH_WORDS.rare), "staff"),
  inbox("paging deep (page 100)", "page=100"),
  inbox("1-character text (refused)", q("道")),
  reportInbox("report inbox, no filter", ""),
  reportInbox("report inbox, category 道路", `category=${encodeURIComponent("道路")}`),
  reportInbox(`report inbox, free text ${BENCH_WORDS.twoChars}`, q(BENCH_WORDS.twoChars)),
  reportInbox(`report inbox, free text ${BENCH_WORDS.rare}`, q(BENCH_WORDS.rare)),
  { name: "KPI dashboard", who: "admin", path: "/staff/kpi", queries: (db) => dashboardData(db, new Date(), []) },
];

function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

async function measure(client: StaffClient, path: string): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds + 3; round++) {
    const started = performance.now();
    const response = await client.request(path);
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    if (round >= 3) times.push(elapsed); // three warm-up requests
  }
  return times;
}

// EXPLAIN (ANALYZE, BUFFERS) of each query a scenario's page runs, compiled by the app's own code.
async function plans(scenario: Scenario, principal: StaffPrincipal): Promise<string[]> {
  const compiled: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl(benchDb), max: 1, options: "-c jit=off" }); // as the app connects
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (event) => void compiled.push(event.query) });
  await scenario.queries!(db, principal);
  await db.destroy();
  return withClient(databaseUrl(benchDb), async (client) => {
    const out: string[] = [];
    for (const query of compiled) {
      const { rows } = await client.query(`explain (analyze, buffers) ${query.sql}`, query.parameters as unknown[]);
      const lines = rows.map((row: Record<string, string>) => row["QUERY PLAN"]!);
      out.push(`  ${query.sql.replace(/\s+/g, " ").slice(0, 160)}…`, ...lines.filter((line) => !/^\s+(Output|Sort Key|Recheck Cond|Heap Blocks|Planning:)/.test(line)).map((line) => `    ${line}`));
    }
    return out;
  });
}

async function principalOf(loginId: string): Promise<StaffPrincipal> {
  return withClient(databaseUrl(benchDb), async (client) => {
    const { rows } = await client.query("select id, login_id, display_name, department, role from staff_users where login_id = $1", [loginId]);
    const row = rows[0] as { id: string; login_id: string; display_name: string; department: string; role: "admin" | "staff" };
    return { id: row.id, loginId: row.login_id, displayName: row.display_name, department: row.department, role: row.role, csrfToken: "", sessionId: "" };
  });
}

async function main(): Promise<void> {
  await prepareDatabase();
  const counts = await withClient(databaseUrl(benchDb), async (client) => {
    const { rows } = await client.query("select (select count(*) from inquiries) as inquiries, (select count(*) from messages) as messages, (select count(*) from reports) as reports, (select count(*) from line_users) as users");
    return rows[0] as Record<string, string>;
  });
  console.log(`data: ${Object.entries(counts).map(([name, n]) => `${Number(n).toLocaleString()} ${name}`).join(", ")}`);
  const { url, child } = await startConsole();
  try {
    const clients = { admin: new StaffClient(url), staff: new StaffClient(url), none: new StaffClient(url) };
    await clients.admin.login("bench-admin");
    await clients.staff.login("bench-staff");
    const principals = { admin: await principalOf("bench-admin"), staff: await principalOf("bench-staff") };
    const results: { name: string; p50: number; p95: number }[] = [];
    for (const scenario of scenarios) {
      const times = await measure(clients[scenario.who], scenario.path);
      results.push({ name: scenario.name, p50: percentile(times, 50), p95: percentile(times, 95) });
      if (scenario.queries && scenario.who !== "none") {
        console.log(`\n## ${scenario.name}: ${scenario.path}`);
        for (const line of await plans(scenario, principals[scenario.who])) console.log(line);
      }
    }
    const baseline = results[0]!;
    console.log(`\n${"request".padEnd(44)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p95 / baseline".padStart(15)}  target p95 < 200 ms`);
    for (const result of results) {
      console.log(
        `${result.name.padEnd(44)} ${result.p50.toFixed(1).padStart(8)} ${result.p95.toFixed(1).padStart(8)} ${(result.p95 / baseline.p95).toFixed(1).padStart(14)}×  ${result.p95 < 200 ? "ok" : "SLOW"}`,
      );
    }
    console.log(`(${rounds} requests each after 3 warm-up, one at a time; ${Number(counts.inquiries).toLocaleString()} inquiries, ${Number(counts.messages).toLocaleString()} messages)`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    if (!keep) await withClient(adminUrl, (client) => client.query(`drop database if exists ${benchDb}`));
  }
}

await main();
