import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { FakeLineApi } from "../support/fake-line-api.js";
import { startTestBot } from "../support/bot-harness.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents } from "../support/webhook-client.js";

// Processes on one database wake each other (src/inbox/inbox-channel.ts over LISTEN/NOTIFY), so an
// event stored by one process and handled by another waits for no poll. Each worker here polls
// every 10 s: everything answered well within that was handed across by a notification.
// Postgres only: PGlite is one process.
const postgres = testDatabases.find((database) => database.name === "postgres");
const pollMs = 10_000;
const handOverLimitMs = 2_000;

describe.runIf(postgres)("processes on one Postgres database", { timeout: 90_000 }, () => {
  let lineApi: FakeLineApi;
  let drop: () => Promise<void>;
  let target: Awaited<ReturnType<NonNullable<typeof postgres>["create"]>>["target"];
  const bots: RunningBot[] = [];
  let watching: { stop(): void; answeredAt: Map<string, number> } | null = null;

  beforeEach(async () => {
    lineApi = await new FakeLineApi().start();
    const created = await postgres!.create();
    drop = created.drop;
    target = created.target;
    watching = watchReplies(lineApi);
  });
  afterEach(async () => {
    watching?.stop();
    for (const bot of bots.splice(0)) await bot.stop();
    await lineApi.stop();
    await drop();
    expect(lineApi.invalidBodies).toEqual([]);
  });

  const start = async (env: Record<string, string> = {}) => {
    const bot = await startTestBot(target, lineApi.url, { env, overrides: { worker: { pollIntervalMs: pollMs } } });
    bots.push(bot);
    return bot;
  };

  it("hands a resident's next event to the process that holds their previous one, without waiting for its poll", async () => {
    const processes = [await start(), await start()];
    const userId = newUserId();
    const sent: { replyToken: string; ackedAt: number }[] = [];
    // Each event goes to the other process right after the previous one was acked: it arrives
    // while the previous one is still being handled there, and must wait for it.
    for (let index = 0; index < 6; index += 1) {
      const event = events.text(userId, index % 2 === 0 ? "こんにちは" : "ありがとう");
      await sendEvents(processes[index % 2]!.url, [event]);
      sent.push({ replyToken: event.replyToken!, ackedAt: performance.now() });
    }
    const answeredAt = watching!.answeredAt;
    await waitUntil(() => sent.every((event) => answeredAt.has(event.replyToken)), pollMs);

    // In order, and each within the limit of when it could go (acked, and the previous answered).
    const order = lineApi.acceptedReplies().map((send) => send.replyToken);
    expect(order).toEqual(sent.map((event) => event.replyToken));
    let previousAnswer = 0;
    for (const event of sent) {
      const answer = answeredAt.get(event.replyToken)!;
      expect(answer - Math.max(event.ackedAt, previousAnswer)).toBeLessThan(handOverLimitMs);
      previousAnswer = answer;
    }
  });

  it("has a worker process claim at once what a web-only process stored", async () => {
    const web = await start({ APP_ROLE: "web" });
    await start({ APP_ROLE: "worker" });
    const event = events.text(newUserId(), "こんにちは");
    await sendEvents(web.url, [event]);
    const ackedAt = performance.now();
    await waitUntil(() => watching!.answeredAt.has(event.replyToken!), pollMs);
    expect(watching!.answeredAt.get(event.replyToken!)! - ackedAt).toBeLessThan(handOverLimitMs);
  });
});

// When each reply reached the LINE API stand-in (sampled every 5 ms).
function watchReplies(lineApi: FakeLineApi): { stop(): void; answeredAt: Map<string, number> } {
  const answeredAt = new Map<string, number>();
  const timer = setInterval(() => {
    for (const send of lineApi.acceptedReplies()) if (send.replyToken && !answeredAt.has(send.replyToken)) answeredAt.set(send.replyToken, performance.now());
  }, 5);
  return { answeredAt, stop: () => clearInterval(timer) };
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not answered within ${timeoutMs} ms (a worker's poll interval)`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
