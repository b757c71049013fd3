import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// npm run bench:intents — the router on one core: throughput, p99 latency per message, cold start
// and resident memory of the loaded router. Each figure comes from a fresh child process so the
// cold start is a real one; finishes well within 30 s.
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const probe = path.join(repoRoot, "tests", "bench", "intents-probe.ts");

function runProbe(mode: string): Record<string, number> {
  const result = spawnSync(process.execPath, ["--import", "tsx", probe, mode], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) throw new Error(`probe ${mode} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!);
}

const devFile = path.resolve(repoRoot, "tests", "intents", "intents-dev.jsonl");
const messages = readFileSync(devFile, "utf8").split("\n").filter(Boolean).length;

const cold = [1, 2, 3].map(() => runProbe("cold"));
const coldLoad = cold.map((run) => run.loadMs!).sort((a, b) => a - b)[1]!;
const coldTotal = cold.map((run) => run.sinceProcessStartMs!).sort((a, b) => a - b)[1]!;
const memory = runProbe("memory");
const speed = runProbe("throughput");

console.log(`bench:intents — node ${process.version}, one core (the router is synchronous), corpus: ${messages} dev messages + variants`);
console.log(`throughput: ${Math.round(speed.messagesPerSecond!)} msg/s`);
console.log(
  `baseline in the same run (raw substring keywords, no normalization): ${Math.round(speed.baselinePerSecond!)} msg/s; router at ${((speed.messagesPerSecond! / speed.baselinePerSecond!) * 100).toFixed(0)}% of its speed`,
);
console.log(`latency per message: p50 ${speed.p50Us!.toFixed(0)} µs, p99 ${speed.p99Us!.toFixed(0)} µs, max ${speed.maxUs!.toFixed(0)} µs`);
console.log(`cold start: ${coldLoad.toFixed(0)} ms to load seeds and build the router (median of 3); ${coldTotal.toFixed(0)} ms from process start`);
console.log(`memory: router ${(memory.routerRssMb!).toFixed(1)} MB resident (process ${memory.processRssMb!.toFixed(1)} MB, heap used by the router ${memory.routerHeapMb!.toFixed(1)} MB)`);
console.log(
  `targets: ≥ 5000 msg/s ${speed.messagesPerSecond! >= 5000 ? "PASS" : "MISS"}; cold start < 2 s ${coldTotal < 2000 ? "PASS" : "MISS"}; router memory < 150 MB ${memory.routerRssMb! < 150 ? "PASS" : "MISS"}`,
);
