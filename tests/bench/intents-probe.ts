import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// One measurement of bench:intents in a fresh process; prints one JSON line.
const mode = process.argv[2];
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const mb = (bytes: number) => bytes / 1024 / 1024;

globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
const { loadRouterData } = await import("../../src/intents/load-router-data.js");
const { createRouter } = await import("../../src/intents/router.js");
const router = createRouter(await loadRouterData());
const loadMs = performance.now() - started;

if (mode === "cold") {
  console.log(JSON.stringify({ loadMs, sinceProcessStartMs: performance.now() }));
} else if (mode === "memory") {
  router.classify("いじゅうしたい");
  const usage = process.memoryUsage();
  console.log(JSON.stringify({ routerRssMb: mb(usage.rss - rssBefore), processRssMb: mb(usage.rss), routerHeapMb: mb(usage.heapUsed - heapBefore) }));
} else {
  const dev = readFileSync(path.resolve(repoRoot, "tests", "intents", "intents-dev.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
  // The dev messages plus the kinds residents type: half-width kana, emoji, dialect endings, long text.
  const corpus = dev.flatMap((text) => [text, text.normalize("NFKC") + "🙏", `${text}ばい`, `${text}。よろしくお願いいたします。お忙しいところ恐縮ですが、お返事をお待ちしております。`]);
  for (let i = 0; i < 2_000; i += 1) router.classify(corpus[i % corpus.length]!);
  const latencies: number[] = [];
  const deadline = performance.now() + 4_000;
  let count = 0;
  const runStarted = performance.now();
  while (performance.now() < deadline) {
    const text = corpus[count % corpus.length]!;
    const before = performance.now();
    router.classify(text);
    latencies.push((performance.now() - before) * 1000);
    count += 1;
  }
  const seconds = (performance.now() - runStarted) / 1000;
  // Baseline in the same process and run: raw substring matching of the same keywords.
  const { substringBaseline } = await import("../../src/intents/substring-baseline.js");
  const { loadRouterData: load } = await import("../../src/intents/load-router-data.js");
  const baseline = substringBaseline((await load()).intents);
  let baselineCount = 0;
  const baselineStarted = performance.now();
  while (performance.now() - baselineStarted < 1_000) baseline(corpus[baselineCount++ % corpus.length]!);
  const baselinePerSecond = baselineCount / ((performance.now() - baselineStarted) / 1000);
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!;
  console.log(JSON.stringify({ messagesPerSecond: count / seconds, baselinePerSecond, p50Us: at(0.5), p99Us: at(0.99), maxUs: latencies.at(-1) }));
}
