import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { FakeLineApi } from "../support/fake-line-api.js";
import { startTestBot } from "../support/bot-harness.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, postWebhook, sendEvents, sign, waitFor, webhookBody } from "../support/webhook-client.js";

describe.each(testDatabases)("webhook on $name", (database) => {
  let lineApi: FakeLineApi;
  let bot: RunningBot;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    lineApi = await new FakeLineApi().start();
    const created = await database.create();
    drop = created.drop;
    bot = await startTestBot(created.target, lineApi.url);
  });
  afterEach(async () => {
    await bot.stop();
    await lineApi.stop();
    await drop();
    expect(lineApi.invalidBodies).toEqual([]);
  });

  const inboxCount = async () =>
    Number((await bot.store.db.selectFrom("inbox_events").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

  it("answers a signed text message with a schema-valid reply and logs both directions", async () => {
    const userId = newUserId();
    const event = events.text(userId, "こんにちは");
    await sendEvents(bot.url, [event]);

    const replies = await waitFor(async () => lineApi.to("/v2/bot/message/reply").length > 0 && lineApi.to("/v2/bot/message/reply"), "a reply");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body.replyToken).toBe(event.replyToken);
    expect(replies[0]!.headers.authorization).toBe("Bearer test-channel-access-token");
    expect(replies[0]!.body.messages[0].type).toBe("text");
    expect(replies[0]!.body.messages[0].quickReply.items.length).toBeGreaterThan(3);

    // In the order the staff console shows them (the answer is written in the same statement as
    // the message it answers, so ids say nothing about which came first).
    const logged = await bot.store.db.selectFrom("messages").select(["direction", "text", "user_id"]).orderBy("created_at").orderBy("id").execute();
    expect(logged[0]).toEqual({ direction: "in", text: "こんにちは", user_id: userId });
    expect(logged.filter((row) => row.direction === "out")).toHaveLength(1);
    const stored = await bot.store.db.selectFrom("inbox_events").selectAll().executeTakeFirstOrThrow();
    expect(stored.status).toBe("done");
    expect(stored.attempts).toBe(1);
    const outbound = await waitFor(
      async () => bot.store.db.selectFrom("outbound_messages").selectAll().where("status", "=", "sent").executeTakeFirst(),
      "outbound marked sent",
    );
    expect(outbound.method).toBe("reply");
  });

  // The statements every event runs are prepared on Postgres, and after five runs on a connection
  // Postgres may plan them once for any values (a generic plan): every answer must still come, and
  // every message be logged once.
  it("keeps answering one resident's messages after its statements have run many times", async () => {
    const userId = newUserId();
    const sent = Array.from({ length: 14 }, (_, index) => events.text(userId, index % 2 === 0 ? "こんにちは" : "空き家を探しています"));
    for (const [index, event] of sent.entries()) {
      await sendEvents(bot.url, [event]);
      await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === index + 1, `reply ${index + 1}`);
    }
    expect(lineApi.to("/v2/bot/message/reply").map((request) => request.body.replyToken)).toEqual(sent.map((event) => event.replyToken));
    const incoming = await bot.store.db.selectFrom("messages").select("inbox_event_id").where("direction", "=", "in").orderBy("created_at").orderBy("id").execute();
    expect(incoming.map((row) => row.inbox_event_id)).toEqual(sent.map((event) => event.webhookEventId));
    const statuses = await bot.store.db.selectFrom("inbox_events").select("status").distinct().execute();
    expect(statuses).toEqual([{ status: "done" }]);
  });

  it("understands what a resident typed, records the intent, and answers from the city's data", async () => {
    const userId = newUserId();
    await sendEvents(bot.url, [events.text(userId, "財調の残高はいくら？")]);
    await sendEvents(bot.url, [events.text(userId, "ｱﾝｹｰﾄに答えたか")]);
    await sendEvents(bot.url, [events.text(userId, "移住して空き家に住みたい")]);
    await sendEvents(bot.url, [events.text(userId, "明日の天気は？")]);
    const replies = await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === 4 && lineApi.to("/v2/bot/message/reply"), "four replies");
    const [kpi, survey, ambiguous, unknown] = replies.map((request) => request.body.messages[0]);
    expect(kpi.text).toContain("財政調整基金保有額");
    expect(kpi.text).toContain("9.5億円");
    expect(kpi.text).toContain("7.4億円");
    expect(kpi.text).toContain("令和9年度");
    expect(survey.text).toContain("人吉市公式LINE 満足度アンケート");
    expect(ambiguous.quickReply.items.map((item: { action: { label: string } }) => item.action.label).sort()).toEqual(["移住の相談", "空き家バンク"]);
    expect(unknown.text).toContain("読み取れませんでした");
    const incoming = await bot.store.db
      .selectFrom("messages")
      .select(["intent", "confidence"])
      .where("direction", "=", "in")
      .orderBy("id")
      .execute();
    expect(incoming.map((row) => row.intent)).toEqual(["kpi", "survey", expect.stringMatching(/^(relocation|vacant_house)$/), "unknown"]);
    for (const row of incoming) expect(row.confidence).toBeGreaterThan(0);
  });

  it("rejects a wrong or missing signature with 401 and stores nothing", async () => {
    const body = webhookBody([events.text(newUserId(), "x")]);
    expect((await postWebhook(bot.url, body, { signature: sign(body, "another-secret") })).status).toBe(401);
    expect((await postWebhook(bot.url, body, { signature: null })).status).toBe(401);
    expect((await postWebhook(bot.url, body, { signature: "not base64 at all" })).status).toBe(401);
    // A signature over other bytes than those sent (a tampered body) fails too.
    expect((await postWebhook(bot.url, body.replace("x", "y"), { signature: sign(body) })).status).toBe(401);
    expect(await inboxCount()).toBe(0);
  });

  it("answers 400 to malformed JSON and to JSON that is not a webhook body, storing nothing", async () => {
    const malformed = await postWebhook(bot.url, '{"destination":"U1","events":[');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error).toMatch(/JSON/);
    const notWebhook = await postWebhook(bot.url, JSON.stringify({ hello: "world" }));
    expect(notWebhook.status).toBe(400);
    expect(JSON.parse(notWebhook.body).error).toMatch(/not a LINE webhook body/);
    const eventWithoutId = JSON.parse(webhookBody([events.text(newUserId(), "x")]));
    delete eventWithoutId.events[0].webhookEventId;
    expect((await postWebhook(bot.url, JSON.stringify(eventWithoutId))).status).toBe(400);
    expect((await postWebhook(bot.url, "")).status).toBe(400);
    expect(await inboxCount()).toBe(0);
  });

  it("answers 413 to a body over 1 MiB, storing nothing", async () => {
    const huge = events.text(newUserId(), "あ".repeat(400_000)); // ~1.2 MB in UTF-8
    const body = webhookBody([huge]);
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024);
    expect((await postWebhook(bot.url, body)).status).toBe(413);
    expect(await inboxCount()).toBe(0);
  });

  it("accepts LINE's verification request (no events) without storing anything", async () => {
    expect((await postWebhook(bot.url, webhookBody([]))).status).toBe(200);
    expect(await inboxCount()).toBe(0);
  });

  it("handles a duplicated webhookEventId once, within one body and across deliveries", async () => {
    const userId = newUserId();
    const event = events.text(userId, "移住したい");
    await sendEvents(bot.url, [event, event]);
    await sendEvents(bot.url, [event]);
    // LINE's redelivery of the same event carries isRedelivery: true and the same id.
    await sendEvents(bot.url, [{ ...event, deliveryContext: { isRedelivery: true } }]);
    await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === 1, "the one reply");
    await bot.worker!.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lineApi.to("/v2/bot/message/reply")).toHaveLength(1);
    expect(await inboxCount()).toBe(1);
    const incoming = await bot.store.db.selectFrom("messages").select("id").where("direction", "=", "in").execute();
    expect(incoming).toHaveLength(1);
  });

  it("handles a redelivered event it has not seen before", async () => {
    const userId = newUserId();
    // LINE redelivers events that failed to arrive earlier; this one happened two minutes ago.
    const event = events.text(userId, "道路に穴があいています", { isRedelivery: true, timestamp: Date.now() - 120_000 });
    await sendEvents(bot.url, [event]);
    const reply = await waitFor(async () => lineApi.to("/v2/bot/message/reply")[0], "a reply");
    expect(reply.body.replyToken).toBe(event.replyToken);
    const row = await bot.store.db.selectFrom("inbox_events").selectAll().executeTakeFirstOrThrow();
    expect(row.is_redelivery).toBe(true);
  });

  it("records follow and unfollow, welcomes the new friend, and never pushes to one who blocked", async () => {
    const userId = newUserId();
    await sendEvents(bot.url, [events.follow(userId)]);
    const welcome = await waitFor(async () => lineApi.to("/v2/bot/message/reply")[0], "the welcome");
    expect(welcome.body.messages[0].text).toContain("友だち追加");
    await sendEvents(bot.url, [events.unfollow(userId)]);
    const user = await waitFor(
      async () =>
        bot.store.db.selectFrom("line_users").selectAll().where("user_id", "=", userId).where("follow_state", "=", "blocked").executeTakeFirst(),
      "the block recorded",
    );
    expect(user.blocked_at).not.toBeNull();
    expect(user.followed_at).not.toBeNull();

    // A push for that user (a staff answer, a notice) is skipped, never sent.
    const { enqueueOutbound } = await import("../../src/outbox/outbox.js");
    const ids = await enqueueOutbound(bot.store.db, { to: userId, messages: [{ type: "text", text: "お知らせ" }] });
    await bot.dispatcher.deliver(ids);
    expect(lineApi.to("/v2/bot/message/push")).toHaveLength(0);
    const outbound = await bot.store.db.selectFrom("outbound_messages").selectAll().where("id", "=", ids[0]!).executeTakeFirstOrThrow();
    expect(outbound.status).toBe("skipped");
    expect(outbound.last_error).toMatch(/blocked/);
  });

  it("answers images, stickers, locations and postbacks politely and records them", async () => {
    const userId = newUserId();
    await sendEvents(bot.url, [events.image(userId), events.sticker(userId), events.location(userId), events.postback(userId, "v1:unknown")]);
    await waitFor(async () => lineApi.to("/v2/bot/message/reply").length === 4, "four replies");
    const texts = lineApi.to("/v2/bot/message/reply").map((request) => request.body.messages[0].text as string);
    expect(texts[0]).toContain("画像");
    expect(texts[1]).toContain("スタンプ");
    expect(texts[2]).toContain("位置情報");
    const incoming = await bot.store.db.selectFrom("messages").select(["message_type", "payload"]).where("direction", "=", "in").orderBy("id").execute();
    expect(incoming.map((row) => row.message_type)).toEqual(["image", "sticker", "location", "postback"]);
    expect(incoming[2]!.payload).toMatchObject({ latitude: 32.2105, longitude: 130.7623 });
    expect(incoming[3]!.payload).toMatchObject({ data: "v1:unknown" });
  });

  it("serves health and readiness", async () => {
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: "reachable" });
  });

  it("does not serve the dev chat outside local mode", async () => {
    expect((await fetch(`${bot.url}/dev/chat`)).status).toBe(404);
  });
});
