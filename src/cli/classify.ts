import { createInterface } from "node:readline";
import { loadRouterData } from "../intents/load-router-data.js";
import { createRouter } from "../intents/router.js";

// npm run --silent classify — one UTF-8 message per line on stdin; for each line, in order, one
// JSON object {"text","intent","confidence"} on stdout and nothing else (outside tools rely on it).
const router = createRouter(await loadRouterData());
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const text = line.replace(/^\uFEFF/, "");
  const { intent, confidence } = router.classify(text);
  process.stdout.write(`${JSON.stringify({ text, intent, confidence })}\n`);
}
