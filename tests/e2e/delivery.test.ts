import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { RunningBot } from "../../src/bot.js";
import { FakeLineApi } from "../support/fake-line-api.js";
import { startTestBot } from "../support/bot-harness.js";
import { assertValidMessagingRequest } from "../support/line-openapi.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

describe.each(testDatabases)("outgoing delivery on $name", (database) => {
  let drop: () => Promise<void>;
  let target: Awaited<ReturnType<typeof database.create>>["target"];
  let bot: RunningBot | null = null;
  let lineApi: FakeLineApi | null = null;
  let dataDir: string;

  beforeEach(async () => {
    // Some tests restart the bot: on PGlite the data must outlive the first process.
    dataDir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-delivery-"));
    const created = await database.create({ dataDir });
    drop = created.drop;
    target = created.target;
  });
  afterEach(async () => {
    await bot?.stop();
    bot = null;
    await lineApi?.stop();
    if (lineApi) expect(lineApi.invalidBodies).toEqual([]);
    lineApi = null;
    nock.cleanAll();
    nock.enableNetConnect();
    await drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const outboundRows = () => bot!.store.db.selectFrom("outbound_messages").selectAll().orderBy("id").execute();

  it("answers by push with a retry key when the event waited past the reply token's life", async () => {
    lineApi = await new FakeLineApi().start();
    // Acked by a web-only process; no worker runs while the event waits.
    bot = await startTestBot(target, lineApi.url, { env: { APP_ROLE: "web" } });
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "空き家を探しています")]);
    await bot.store.db.updateTable("inbox_events").set({ received_at: sql`now() - interval '2 minutes'` }).execute();
    await bot.stop();

    bot = await startTestBot(target, lineApi.url);
    const push = await waitFor(async () => lineApi!.to("/v2/bot/message/push")[0], "a push");
    expect(push.body.to).toBe(userId);
    expect(push.headers["x-line-retry-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(lineApi.to("/v2/bot/message/reply")).toHaveLength(0);
    const [row] = await waitFor(async () => {
      const rows = await outboundRows();
      return rows[0]?.status === "sent" && rows;
    }, "sent");
    expect(row!.method).toBe("push");
    expect(row!.retry_key).toBe(push.headers["x-line-retry-key"]);
  });

  it("falls back to push when LINE refuses the reply token", async () => {
    lineApi = await new FakeLineApi().start();
    lineApi.failNext("/v2/bot/message/reply", 400, { message: "Invalid reply token" });
    bot = await startTestBot(target, lineApi.url);
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "こんにちは")]);
    const push = await waitFor(async () => lineApi!.to("/v2/bot/message/push")[0], "a push");
    expect(push.body.to).toBe(userId);
    expect(lineApi.to("/v2/bot/message/reply")).toHaveLength(1);
  });

  it("retries a push after 429 and 5xx with the same X-Line-Retry-Key, and delivers it once", async () => {
    const lineHost = "https://api.line.test";
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    const seen: { key: string | undefined; body: any }[] = [];
    // Each scripted answer records the request's retry key and checks its body against the spec.
    const answer = (status: number, reply: object) =>
      function (this: { req: { headers: Record<string, string | string[] | undefined> } }, _uri: string, body: unknown): [number, object] {
        const key = this.req.headers["x-line-retry-key"];
        seen.push({ key: Array.isArray(key) ? key[0] : key, body });
        assertValidMessagingRequest("POST", "/v2/bot/message/push", body);
        return [status, reply];
      };
    nock(lineHost)
      .post("/v2/bot/message/push").reply(answer(429, { message: "Too many requests" }))
      .post("/v2/bot/message/push").reply(answer(500, { message: "Internal error" }))
      .post("/v2/bot/message/push").reply(answer(503, { message: "Unavailable" }))
      .post("/v2/bot/message/push").reply(answer(200, { sentMessages: [{ id: "1", quoteToken: "q" }] }));

    bot = await startTestBot(target, lineHost);
    const userId = newUserId();
    await bot.store.db.insertInto("line_users").values({ user_id: userId, follow_state: "following" }).execute();
    const { enqueueOutbound } = await import("../../src/outbox/outbox.js");
    const [id] = await enqueueOutbound(bot.store.db, { to: userId, messages: [{ type: "text", text: "対応を開始しました" }] });
    await bot.dispatcher.deliver([id!]);

    const row = await waitFor(async () => {
      const found = await bot!.store.db.selectFrom("outbound_messages").selectAll().where("id", "=", id!).executeTakeFirst();
      return found?.status === "sent" && found;
    }, "the push delivered");
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((request) => request.key))).toEqual(new Set([row.retry_key]));
    expect(row.attempts).toBe(4);
    expect(nock.isDone()).toBe(true);
  });

  it("records a push LINE rejects (4xx other than 429) as failed, with the reason, without retrying", async () => {
    lineApi = await new FakeLineApi().start();
    lineApi.failNext("/v2/bot/message/push", 403, { message: "Not authorized to push" });
    bot = await startTestBot(target, lineApi.url);
    const userId = newUserId();
    const { enqueueOutbound } = await import("../../src/outbox/outbox.js");
    const [id] = await enqueueOutbound(bot.store.db, { to: userId, messages: [{ type: "text", text: "お知らせ" }] });
    // The outbox sweep may claim the row before this call does; either way it ends failed, once.
    await bot.dispatcher.deliver([id!]);
    const store = bot.store;
    const row = await waitFor(async () => {
      const current = await store.db.selectFrom("outbound_messages").selectAll().where("id", "=", id!).executeTakeFirstOrThrow();
      return current.status === "failed" ? current : undefined;
    }, "the push marked failed");
    expect(row.status).toBe("failed");
    expect(row.last_status).toBe(403);
    expect(row.last_error).toContain("Not authorized");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lineApi.to("/v2/bot/message/push")).toHaveLength(1);
  });

  it("keeps answers through a LINE API outage and sends them when it is back", async () => {
    // Nothing listens on this port: every send fails to connect, as in an outage.
    const down = await new FakeLineApi().start();
    const downUrl = down.url;
    await down.stop();
    bot = await startTestBot(target, downUrl);
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "もしもし")]);
    const failedOnce = await waitFor(async () => {
      const rows = await outboundRows();
      return rows[0] && rows[0].attempts >= 2 && rows[0];
    }, "delivery attempts during the outage");
    expect(failedOnce.status).not.toBe("sent");
    expect(failedOnce.last_error).toMatch(/network/);
    await bot.stop();

    // The API is back (same bot, new process); the stored answer goes out by push, once.
    lineApi = await new FakeLineApi().start();
    bot = await startTestBot(target, lineApi.url);
    const push = await waitFor(async () => lineApi!.to("/v2/bot/message/push")[0] ?? lineApi!.to("/v2/bot/message/reply")[0], "the delayed answer");
    expect(push.body.messages[0].type).toBe("text");
    await waitFor(async () => (await outboundRows())[0]?.status === "sent", "sent");
    expect(lineApi.requests).toHaveLength(1);
  });

  it("never sends twice an answer whose reply LINE accepted when the connection then broke", async () => {
    lineApi = await new FakeLineApi().start();
    lineApi.dropAfterAccept("/v2/bot/message/reply");
    bot = await startTestBot(target, lineApi.url);
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "こんにちは")]);
    const [row] = await waitFor(async () => {
      const rows = await outboundRows();
      return rows[0]?.status === "sent" && rows;
    }, "the answer recorded as sent");
    // The retried reply found its token used: the first attempt had delivered it.
    expect(lineApi.to("/v2/bot/message/reply")).toHaveLength(2);
    expect(lineApi.acceptedReplies()).toHaveLength(1);
    expect(lineApi.to("/v2/bot/message/push")).toHaveLength(0);
    expect(row).toMatchObject({ method: "reply", attempts: 2, reply_outcome_unknown: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lineApi.to("/v2/bot/message/push")).toHaveLength(0);
  });

  it("pushes an answer whose reply LINE refused with 5xx until the token's life ended, once", async () => {
    lineApi = await new FakeLineApi().start();
    bot = await startTestBot(target, lineApi.url);
    for (let i = 0; i < 20; i += 1) lineApi.failNext("/v2/bot/message/reply", 500, { message: "Internal error" });
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "こんにちは")]);
    await waitFor(async () => lineApi!.to("/v2/bot/message/reply").length >= 1, "a refused reply");
    // The token's life runs out (as if LINE had been down for a minute).
    await bot.store.db.updateTable("outbound_messages").set({ reply_deadline: sql`now() - interval '1 second'`, next_attempt_at: sql`now()` }).execute();
    const push = await waitFor(async () => lineApi!.to("/v2/bot/message/push")[0], "the push");
    expect(push.body.to).toBe(userId);
    await waitFor(async () => (await outboundRows())[0]?.status === "sent", "sent");
    expect(lineApi.accepted).toHaveLength(1);
  });

  it("sends a resident's answers in order when LINE fails the first one for a while", async () => {
    lineApi = await new FakeLineApi().start();
    lineApi.failNext("/v2/bot/message/reply", 503, { message: "Unavailable" });
    lineApi.failNext("/v2/bot/message/reply", 503, { message: "Unavailable" });
    bot = await startTestBot(target, lineApi.url);
    const userId = newUserId();
    const first = events.text(userId, "こんにちは");
    const second = events.text(userId, "ヘルプ");
    await sendEvents(bot.url, [first]);
    await waitFor(async () => lineApi!.to("/v2/bot/message/reply").length >= 1, "the first reply refused");
    await sendEvents(bot.url, [second]);
    await waitFor(async () => lineApi!.acceptedReplies().length === 2 && lineApi!.acceptedReplies(), "both answers delivered", 20_000);
    expect(lineApi.acceptedReplies().map((send) => send.replyToken)).toEqual([first.replyToken, second.replyToken]);
    const rows = await waitFor(async () => {
      const current = await outboundRows();
      return current.every((row) => row.status === "sent") && current;
    }, "both marked sent");
    expect(rows).toHaveLength(2);
    expect(Number(rows[0]!.attempts)).toBeGreaterThanOrEqual(3);
  });

  it("keeps retrying through an outage until the answer is no longer useful, then marks it expired where staff see it", async () => {
    const down = await new FakeLineApi().start();
    const downUrl = down.url;
    await down.stop();
    bot = await startTestBot(target, downUrl, { overrides: { dispatcher: { maxAgeMs: 3_000, backoff: () => 300 } } });
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "もしもし")]);
    const row = await waitFor(async () => {
      const rows = await outboundRows();
      return rows[0]?.status === "expired" && rows[0];
    }, "the answer expired", 20_000);
    expect(Number(row.attempts)).toBeGreaterThan(2);
    expect(row.last_error).toMatch(/not delivered within/);
    const { residentMessages } = await import("../../src/staff/cases/case-messages.js");
    const { conversationView } = await import("../../src/staff/views.js");
    const page = String(conversationView(await residentMessages(bot.store.db, userId)));
    expect(page).toContain("期限切れ");
  });
});
