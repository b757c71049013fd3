import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { INTENTS, type IntentName } from "../intents/intent-names.js";
import { loadRouterData } from "../intents/load-router-data.js";
import { createRouter } from "../intents/router.js";
import { substringBaseline } from "../intents/substring-baseline.js";
import { readCommandLine } from "./command-line.js";

// npm run eval:intents [-- --file PATH] — accuracy, per-intent precision and recall, and the
// confusion table on a JSONL set of {"text", "intent"} (default: tests/intents/intents-dev.jsonl).
const { values } = readCommandLine(`
用件の判定（npm run classify と同じもの）の精度を、正解付きの文章集で測ります。
正解率、用件ごとの適合率と再現率、取り違えの表、外れた文章の一覧を表示します。

使い方:
  npm run eval:intents [-- --file <ファイル>]

オプション:
  --file <ファイル>   1行に1件 {"text": 文章, "intent": 正解の用件} の JSONL ファイル
                      （省略すると tests/intents/intents-dev.jsonl）
  -h, --help          この説明を表示します

例:
  npm run eval:intents
  npm run eval:intents -- --file tests/intents/robustness.jsonl
`, { file: { type: "string" } });
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const file = values.file ? path.resolve(values.file) : path.resolve(repoRoot, "tests", "intents", "intents-dev.jsonl");

const rows = (await readFile(file, "utf8"))
  .split("\n")
  .filter((line) => line.trim())
  .map((line, index) => {
    const row = JSON.parse(line) as { text: string; intent: IntentName };
    if (!INTENTS.includes(row.intent)) throw new Error(`${file}:${index + 1}: unknown intent "${row.intent}"`);
    return row;
  });
const data = await loadRouterData();
const router = createRouter(data);
const baseline = substringBaseline(data.intents);
const confusion = new Map<string, number>();
const misses: string[] = [];
let correct = 0;
for (const row of rows) {
  const predicted = router.classify(row.text).intent;
  confusion.set(`${row.intent}|${predicted}`, (confusion.get(`${row.intent}|${predicted}`) ?? 0) + 1);
  if (predicted === row.intent) correct += 1;
  else misses.push(`  ${row.intent} → ${predicted}: ${row.text}`);
}

const count = (expected: string | null, predicted: string | null) =>
  [...confusion].filter(([key]) => {
    const [e, p] = key.split("|");
    return (expected === null || e === expected) && (predicted === null || p === predicted);
  }).reduce((sum, [, n]) => sum + n, 0);

console.log(`file: ${file}`);
const baselineCorrect = rows.filter((row) => baseline(row.text) === row.intent).length;
console.log(`accuracy: ${((correct / rows.length) * 100).toFixed(1)}% (${correct}/${rows.length})`);
console.log(`baseline, same keywords as raw substrings: ${((baselineCorrect / rows.length) * 100).toFixed(1)}% (${baselineCorrect}/${rows.length})\n`);
console.log(`${"intent".padEnd(16)}precision  recall  support`);
for (const intent of INTENTS) {
  const truePositive = count(intent, intent);
  const predicted = count(null, intent);
  const support = count(intent, null);
  const precision = predicted ? ((truePositive / predicted) * 100).toFixed(1) + "%" : "-";
  const recall = support ? ((truePositive / support) * 100).toFixed(1) + "%" : "-";
  console.log(`${intent.padEnd(16)}${precision.padStart(9)}  ${recall.padStart(6)}  ${String(support).padStart(7)}`);
}
const short = (intent: string) => intent.slice(0, 6);
console.log(`\nconfusion (rows: expected, columns: predicted)\n${"".padEnd(16)}${INTENTS.map((intent) => short(intent).padStart(7)).join("")}`);
for (const expected of INTENTS) {
  console.log(`${expected.padEnd(16)}${INTENTS.map((predicted) => String(count(expected, predicted) || ".").padStart(7)).join("")}`);
}
if (misses.length > 0) console.log(`\nmisclassified:\n${misses.join("\n")}`);
