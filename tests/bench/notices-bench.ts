import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { openStore } from "../../src/store/connect.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { LINE_RATE_LIMITS } from "../../src/notices/rate-limiter.js";
import { MULTICAST_MAX_RECIPIENTS } from "../../src/notices/notice-delivery.js";
import { approvedNotice } from "../support/notices.js";
import { addEventFans } from "../support/residents.js";
import { adminQuery } from "../support/test-store.js";

// npm run bench:notices — a segment notice delivered to a local fake LINE API on real Postgres, at
// two segment sizes (BENCH_SIZES, default 10000,100000). The delivering process is a child of its
// own, so its resident memory is measured alone. The baseline is LINE's rate limit: multicast
// batches of 500 at 200 requests per second cannot go faster than batches / 200 s (the floor);
// the ratio duration / floor says how much of the time is ours.
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const sizes = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);

// The fake LINE API: answers multicast at once and counts recipients; every other path 200 too.
let recipients = 0;
let requests = 0;
const lineApi = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (req.url === "/v2/bot/message/multicast") {
      requests += 1;
      recipients += (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { to: string[] }).to.length;
    }
    const body = req.url === "/v2/bot/message/quota" ? '{"type":"none"}' : req.url === "/v2/bot/message/quota/consumption" ? '{"totalUsage":0}' : "{}";
    res.writeHead(200, { "content-type": "application/json" }).end(body);
  });
});
lineApi.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => lineApi.listen(0, "127.0.0.1", resolve));
const lineApiUrl = `http://127.0.0.1:${(lineApi.address() as AddressInfo).port}`;

const admin = (text: string) => adminQuery(databaseUrl, text);

function runDelivery(schema: string): Promise<{ durationMs: number; rssBeforeMb: number; rssPeakMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "tests/bench/notices-delivery-run.ts"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, BENCH_SCHEMA: schema, LINE_API_BASE_URL: lineApiUrl },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(output.trim().split("\n").at(-1)!)) : reject(new Error(`delivery process exited with ${code}`))));
  });
}

const rows: string[] = [];
for (const size of sizes) {
  const schema = `bench_notices_${randomBytes(4).toString("hex")}`;
  await admin(`create schema ${schema}`);
  try {
    const store = await openStore({ kind: "postgres", url: databaseUrl, schema });
    await migrateToLatest(store.db);
    await addEventFans(store.db, size);
    // Statistics as autovacuum would have them on tables that grew over months.
    await sql`analyze`.execute(store.db);
    await approvedNotice(store.db, { audience: { interests: ["events"] } });
    await store.close();
    recipients = 0;
    requests = 0;
    const result = await runDelivery(schema);
    if (recipients !== size) throw new Error(`${size} residents in the segment, but LINE received ${recipients}`);
    const batches = Math.ceil(size / MULTICAST_MAX_RECIPIENTS);
    const floorMs = (batches / LINE_RATE_LIMITS.multicast.perSecond) * 1000;
    rows.push(
      [
        size.toLocaleString("en-US").padStart(9),
        String(requests).padStart(7),
        `${(result.durationMs / 1000).toFixed(2)} s`.padStart(9),
        `${(batches / (result.durationMs / 1000)).toFixed(1)}`.padStart(10),
        `${(floorMs / 1000).toFixed(2)} s`.padStart(9),
        `${(result.durationMs / floorMs).toFixed(2)}×`.padStart(8),
        `${result.rssBeforeMb.toFixed(0)} MB`.padStart(9),
        `${result.rssPeakMb.toFixed(0)} MB`.padStart(9),
      ].join("  "),
    );
  } finally {
    await admin(`drop schema if exists ${schema} cascade`);
  }
}
lineApi.close();
console.log("segment notice → multicast batches of 500, delivery process alone (peak RSS sampled every 10 ms)");
console.log("recipients  batches   duration   batches/s  rate floor  vs floor  RSS start  RSS peak");
for (const row of rows) console.log(row);
console.log(`rate floor = batches / ${LINE_RATE_LIMITS.multicast.perSecond} requests per second (LINE's multicast limit); vs floor 1.00× = bounded by the limit alone`);
