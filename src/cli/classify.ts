import { createInterface } from "node:readline";
import { loadRouterData } from "../intents/load-router-data.js";
import { createRouter } from "../intents/router.js";
import { readCommandLine } from "./command-line.js";

// npm run --silent classify — one UTF-8 message per line on stdin; for each line, in order, one
// JSON object {"text","intent","confidence"} on stdout and nothing else (outside tools rely on it).
readCommandLine(`
文章がどの用件（移住、空き家、通報など）に当たるかを判定します。
標準入力の1行を1件の文章として読み、1行ごとに JSON を1行出力します：
{"text": 入力, "intent": 用件の名前, "confidence": 確からしさ（0〜1）}

使い方:
  npm run --silent classify < 文章のファイル

オプション:
  -h, --help   この説明を表示します

例:
  echo "ｱｷﾔ ｶﾘﾀｲ" | npm run --silent classify
`, {});
const router = createRouter(await loadRouterData());
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const text = line.replace(/^\uFEFF/, "");
  const { intent, confidence } = router.classify(text);
  process.stdout.write(`${JSON.stringify({ text, intent, confidence })}\n`);
}
