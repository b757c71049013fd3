import { createHmac, randomBytes } from "node:crypto";
import { Pool } from "undici";

// Load generation for bench:webhook: realistic signed text-message webhooks, one event per request,
// each with a unique webhookEventId.

export interface RunResult {
  ok: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

const userIds = Array.from({ length: 500 }, () => `U${randomBytes(16).toString("hex")}`);
const texts = ["移住の相談をしたいです", "空き家バンクの物件を見たい", "道路に穴が開いています", "こんにちは", "アンケートに答えたい"];
let sequence = 0;

export function signedWebhook(secret: string): { body: string; signature: string } {
  sequence += 1;
  const now = Date.now();
  const event = {
    type: "message",
    mode: "active",
    timestamp: now,
    source: { type: "user", userId: userIds[sequence % userIds.length] },
    webhookEventId: `01BENCH${now.toString(36).toUpperCase()}${sequence.toString(36).toUpperCase().padStart(8, "0")}`,
    deliveryContext: { isRedelivery: false },
    replyToken: randomBytes(16).toString("hex"),
    message: { id: String(now) + String(sequence), type: "text", text: texts[sequence % texts.length], quoteToken: randomBytes(8).toString("hex") },
  };
  const body = JSON.stringify({ destination: "Uffffffffffffffffffffffffffffffff", events: [event] });
  return { body, signature: createHmac("sha256", secret).update(body).digest("base64") };
}

async function post(pool: Pool, secret: string): Promise<boolean> {
  const { body, signature } = signedWebhook(secret);
  const response = await pool.request({
    method: "POST",
    path: "/webhook",
    headers: { "content-type": "application/json", "x-line-signature": signature },
    body,
  });
  await response.body.dump();
  return response.statusCode === 200;
}

// Closed loop: `concurrency` requests always in flight for `seconds`.
export async function closedLoop(url: string, secret: string, concurrency: number, seconds: number): Promise<RunResult> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const latenciesMs: number[] = [];
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const success = await post(pool, secret).catch(() => false);
        latenciesMs.push(performance.now() - sent);
        if (success) ok += 1;
        else errors += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { ok, errors, seconds: elapsed, latenciesMs };
}

// Open loop at a fixed rate: request i is due at start + i/rate whatever happened to the others,
// and its latency is measured from when it was due (no coordinated omission).
// The pool's connections are opened first (GET /readyz, no event), as a sender that keeps its
// connections alive has them: opened under load, a server answering in tens of milliseconds has
// this client open connections one after another for its first second, and that ramp, not the
// server, made the p99 (1-2 s for ours in role all, not seen once they are open).
export async function openLoop(url: string, secret: string, rate: number, seconds: number): Promise<RunResult> {
  const connections = 256;
  const pool = new Pool(url, { connections, pipelining: 1 });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const response = await pool.request({ method: "GET", path: "/readyz" });
      await response.body.dump();
    }),
  );
  const total = Math.round(rate * seconds);
  const latenciesMs: number[] = [];
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // Late (the loop fell behind): count from when it was due. Early (within the 1 ms slack): from now.
    const from = Math.min(due, performance.now());
    inFlight.push(
      post(pool, secret)
        .catch(() => false)
        .then((success) => {
          latenciesMs.push(performance.now() - from);
          if (success) ok += 1;
          else errors += 1;
        }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { ok, errors, seconds: elapsed, latenciesMs };
}

