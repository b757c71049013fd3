import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { InboxWorker } from "../../src/inbox/inbox-worker.js";
import { defaultWorkerOptions } from "../../src/inbox/worker-options.js";
import { claimNextEvents } from "../../src/inbox/inbox-queries.js";
import { finishEvent, inboxLeaseLostCode } from "../../src/inbox/finish-event.js";
import { deferredTransaction } from "../../src/store/deferred-begin.js";
import { conversationWriteQuery } from "../../src/store/conversations.js";
import { createEventHandler } from "../../src/events/handle-event.js";
import { createConversationEngine } from "../../src/flows/conversation-engine.js";
import { loadFlowTexts } from "../../src/flows/flow-texts.js";
import { loadRouterData } from "../../src/intents/load-router-data.js";
import { createRouter } from "../../src/intents/router.js";
import { createContentFetcher } from "../../src/line/content-client.js";
import { loadBotTexts } from "../../src/seeds/bot-texts.js";
import { FakeLineApi } from "../support/fake-line-api.js";
import { startTestBot } from "../support/bot-harness.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

describe.each(testDatabases)("durable inbox on $name", (database) => {
  let lineApi: FakeLineApi;
  let drop: () => Promise<void>;
  let target: Awaited<ReturnType<typeof database.create>>["target"];
  let dataDir: string;
  const bots: RunningBot[] = [];

  beforeEach(async () => {
    lineApi = await new FakeLineApi().start();
    // On PGlite, a data directory lets the "restarted" process see what the first one stored.
    dataDir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-test-"));
    const created = await database.create({ dataDir });
    drop = created.drop;
    target = created.target;
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) await bot.stop();
    await lineApi.stop();
    await drop();
    await rm(dataDir, { recursive: true, force: true });
    expect(lineApi.invalidBodies).toEqual([]);
  });

  const start = async (env: Record<string, string> = {}, overrides = {}) => {
    const bot = await startTestBot(target, lineApi.url, { env, overrides });
    bots.push(bot);
    return bot;
  };
  const stop = async (bot: RunningBot) => {
    bots.splice(bots.indexOf(bot), 1);
    await bot.stop();
  };

  it("handles, after a restart, events acked by a process that stopped before handling them", async () => {
    const webOnly = await start({ APP_ROLE: "web" });
    const userIds = [newUserId(), newUserId(), newUserId()];
    await sendEvents(webOnly.url, userIds.map((userId) => events.text(userId, "移住について")));
    const pending = await webOnly.store.db.selectFrom("inbox_events").select("status").execute();
    expect(pending.map((row) => row.status)).toEqual(["pending", "pending", "pending"]);
    await stop(webOnly);

    const restarted = await start();
    await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === 3, "three replies");
    const rows = await restarted.store.db.selectFrom("inbox_events").select(["status", "attempts"]).execute();
    expect(rows).toEqual(rows.map(() => ({ status: "done", attempts: 1 })));
    expect(new Set(lineApi.to("/v2/bot/message/reply").map((request) => request.body.replyToken)).size).toBe(3);
  });

  it("takes over an event whose worker died mid-handling once its lease expires, and handles it once", async () => {
    const webOnly = await start({ APP_ROLE: "web" });
    const userId = newUserId();
    await sendEvents(webOnly.url, [events.text(userId, "街灯が消えています")]);
    // A worker claims the event and dies before finishing: its lease is left behind.
    const claimed = await claimNextEvents(webOnly.store.db, "crashed-worker", 10, 300);
    expect(claimed).toHaveLength(1);
    await stop(webOnly);

    const restarted = await start();
    await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === 1, "one reply");
    const row = await restarted.store.db.selectFrom("inbox_events").selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe("done");
    expect(row.attempts).toBe(2);
    expect(row.claimed_by).not.toBe("crashed-worker");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lineApi.to("/v2/bot/message/reply")).toHaveLength(1);
    const incoming = await restarted.store.db.selectFrom("messages").select("id").where("direction", "=", "in").execute();
    expect(incoming).toHaveLength(1);
  });

  it("writes nothing for a worker whose lease ran out, also when its finishing statement runs alone", async () => {
    const webOnly = await start({ APP_ROLE: "web" });
    const userId = newUserId();
    await sendEvents(webOnly.url, [events.text(userId, "こんにちは")]);
    const db = webOnly.store.db;
    // A slow worker claims the event with a short lease; another takes it once the lease ran out.
    const [stale] = await claimNextEvents(db, "slow-worker", 10, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [taken] = await claimNextEvents(db, "taker", 10, 60_000);
    expect(taken).toMatchObject({ webhook_event_id: stale!.webhook_event_id, attempts: 2, claimed_by: "taker" });
    // The slow worker finishes in the usual deferred transaction, its only statement the finishing
    // one (a conversation change and an answer): it fails and leaves nothing behind.
    const finishing = deferredTransaction(db, (trx) =>
      finishEvent(
        trx,
        stale!,
        {
          writes: [conversationWriteQuery(trx, userId, { kind: "save", state: { flow: "report", step: "category", data: {} }, at: new Date() })],
          outbound: { to: userId, messages: [{ type: "text", text: "遅れた答え" }], inboxEventId: stale!.webhook_event_id, replyToken: null },
        },
        { workerId: "slow-worker", leaseMs: 30_000 },
      ),
    );
    await expect(finishing).rejects.toMatchObject({ code: inboxLeaseLostCode });
    expect(await db.selectFrom("conversations").selectAll().execute()).toEqual([]);
    expect(await db.selectFrom("outbound_messages").selectAll().execute()).toEqual([]);
    expect(await db.selectFrom("inbox_events").select(["status", "claimed_by"]).execute()).toEqual([{ status: "processing", claimed_by: "taker" }]);
  });

  it("sends, once its lease expires, an answer whose process died between commit and sending it", async () => {
    const webOnly = await start({ APP_ROLE: "web" });
    const userId = newUserId();
    const event = events.text(userId, "こんにちは");
    await sendEvents(webOnly.url, [event]);
    // A worker handles the event and writes its answer claimed for sending at once, then dies
    // before sending it (afterCommit never runs).
    const texts = await loadBotTexts();
    const router = createRouter(await loadRouterData());
    const content = createContentFetcher({ dataApiBaseUrl: lineApi.url, channelAccessToken: "unused" });
    const handler = createEventHandler(texts, router, createConversationEngine(texts, await loadFlowTexts(), router, { content }));
    const dying = new InboxWorker(webOnly.store.db, handler, async () => {}, pino({ level: "silent" }), {
      ...defaultWorkerOptions(),
      sendAs: { workerId: "dead-sender", leaseMs: 300 },
    });
    expect(await dying.runOnce()).toBe(1);
    const written = await webOnly.store.db.selectFrom("outbound_messages").selectAll().executeTakeFirstOrThrow();
    expect(written).toMatchObject({ status: "sending", claimed_by: "dead-sender", attempts: 1 });
    expect((await webOnly.store.db.selectFrom("inbox_events").select("status").executeTakeFirstOrThrow()).status).toBe("done");
    await stop(webOnly);

    const restarted = await start();
    const reply = await waitFor(async () => lineApi.to("/v2/bot/message/reply")[0], "the reply");
    expect(reply.body.replyToken).toBe(event.replyToken);
    const sent = await waitFor(
      async () => restarted.store.db.selectFrom("outbound_messages").selectAll().where("status", "=", "sent").executeTakeFirst(),
      "the answer recorded as sent",
    );
    expect(sent.attempts).toBe(2);
    expect(sent.method).toBe("reply");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lineApi.to("/v2/bot/message/reply")).toHaveLength(1);
    expect(lineApi.to("/v2/bot/message/push")).toHaveLength(0);
  });

  it("with two workers on one database, handles every event exactly once", async () => {
    const first = await start();
    // A second process on the same database; PGlite cannot be shared between processes, so there
    // the second worker shares the first one's store (the claim logic is the same).
    const second = database.name === "postgres" ? await start() : null;
    const extraWorker =
      second === null
        ? new InboxWorker(first.store.db, async () => ({ writes: [], outbound: null }), async () => {}, pino({ level: "silent" }), { ...defaultWorkerOptions(), pollIntervalMs: 20 })
        : null;
    extraWorker?.start();

    // LINE delivers a user's events in order, sometimes several in one body: each user's three
    // messages come in one request, and requests go to both processes at once.
    const userIds = Array.from({ length: 40 }, () => newUserId());
    const urls = [first.url, (second ?? first).url];
    await Promise.all(
      userIds.map((userId, index) =>
        sendEvents(urls[index % 2]!, [events.text(userId, "一"), events.text(userId, "二"), events.text(userId, "三")]),
      ),
    );

    await waitFor(async () => {
      const open = await first.store.db.selectFrom("inbox_events").select("webhook_event_id").where("status", "!=", "done").execute();
      return open.length === 0;
    }, "every event done", 30_000);
    await extraWorker?.stop();
    const rows = await first.store.db.selectFrom("inbox_events").select(["attempts", "claimed_by"]).execute();
    expect(rows).toHaveLength(120);
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
    const incoming = await first.store.db.selectFrom("messages").select(["user_id", "text"]).where("direction", "=", "in").orderBy("id").execute();
    expect(incoming).toHaveLength(120 - (extraWorker ? rows.filter((row) => row.claimed_by === extraWorker.options.workerId).length : 0));
    if (second) {
      // Both processes did part of the work, each event once, and each user's messages in order.
      expect(new Set(rows.map((row) => row.claimed_by)).size).toBe(2);
      await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === 120, "120 replies");
      for (const userId of userIds) {
        expect(incoming.filter((row) => row.user_id === userId).map((row) => row.text)).toEqual(["一", "二", "三"]);
      }
    }
  });

  it("retries a failing handler with backoff and marks the event failed, with the error, after the last try", async () => {
    const webOnly = await start({ APP_ROLE: "web" });
    await sendEvents(webOnly.url, [events.text(newUserId(), "テスト")]);
    let calls = 0;
    const worker = new InboxWorker(
      webOnly.store.db,
      async () => {
        calls += 1;
        throw new Error(`database of intents unavailable (call ${calls})`);
      },
      async () => {},
      pino({ level: "silent" }),
      { ...defaultWorkerOptions(), maxAttempts: 3, backoff: (attempt) => 100 * attempt },
    );
    expect(await worker.runOnce()).toBe(1);
    const afterFirst = await webOnly.store.db.selectFrom("inbox_events").selectAll().executeTakeFirstOrThrow();
    expect(afterFirst.status).toBe("pending");
    expect(afterFirst.last_error).toContain("call 1");
    expect(new Date(afterFirst.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 20);
    // Not due yet: the backoff holds it back.
    expect(await worker.runOnce()).toBe(0);
    await waitFor(async () => (await worker.runOnce()) === 1, "the second try");
    await waitFor(async () => (await worker.runOnce()) === 1, "the third try");
    const final = await webOnly.store.db.selectFrom("inbox_events").selectAll().executeTakeFirstOrThrow();
    expect(final.status).toBe("failed");
    expect(final.attempts).toBe(3);
    expect(final.last_error).toContain("call 3");
    expect(calls).toBe(3);
    expect(await worker.runOnce()).toBe(0);
    // Nothing the failing handler did was kept.
    expect(await webOnly.store.db.selectFrom("messages").select("id").execute()).toHaveLength(0);
  });
});
