import { pino } from "pino";
import { openStore } from "../../src/store/connect.js";
import { NoticeDelivery, defaultNoticeDeliveryOptions } from "../../src/notices/notice-delivery.js";
import { createNoticeSender } from "../../src/notices/notice-sender.js";

// One app process delivering the notices due in BENCH_SCHEMA of DATABASE_URL to LINE_API_BASE_URL;
// prints one JSON line: how long it took and its resident memory before and at peak.
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const store = await openStore({ kind: "postgres", url: process.env.DATABASE_URL!, schema: process.env.BENCH_SCHEMA!, poolSize: 10 });
const sender = createNoticeSender({ channelAccessToken: "bench-token", apiBaseUrl: process.env.LINE_API_BASE_URL! });
const delivery = new NoticeDelivery(store.db, sender, pino({ level: "warn" }), defaultNoticeDeliveryOptions("bench"));
await store.db.selectFrom("notices").select("id").limit(1).execute();
const before = rssMb();
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 10);
const started = performance.now();
await delivery.deliverDue(new Date());
const durationMs = performance.now() - started;
clearInterval(sampler);
peak = Math.max(peak, rssMb(), process.resourceUsage().maxRSS / 1024);
await store.close();
process.stdout.write(`${JSON.stringify({ durationMs, rssBeforeMb: before, rssPeakMb: peak })}\n`);
