import { describe, expect, it } from "vitest";
import { InboxWriter } from "../../src/inbox/inbox-writer.js";
import type { WebhookEvent } from "../../src/line/webhook-body.js";
import { sharedBotFixture } from "../support/bot-fixture.js";
import { testDatabases } from "../support/test-store.js";
import { BOT_DESTINATION, events, newEventId, newUserId, postWebhook, waitFor, type TestEvent } from "../support/webhook-client.js";

// Issue 12, item 5: every signed body is answered 200 or 4xx (503 only while the store is
// unreachable); values Postgres refuses are cleaned, or the event is stored as failed with its
// reason; a bad event never fails the other events of its body or of its group commit.
// Before this work each poison below was answered 500 and took the valid event beside it along.

const R = "\ufffd";

// A body as raw JSON text: an event nested 5,000 levels deep cannot go through JSON.stringify.
function rawBody(eventTexts: string[]): string {
  return `{"destination":"${BOT_DESTINATION}","events":[${eventTexts.join(",")}]}`;
}
function withDeepField(event: TestEvent, depth: number, open = '{"a":', close = "}"): string {
  return JSON.stringify(event).replace(/}$/, `,"extra":${open.repeat(depth)}1${close.repeat(depth)}}`);
}

interface PoisonKind {
  name: string;
  event: (userId: string) => { text: string; id: string; replyToken: string };
  // answered: cleaned, then handled like any other event; failed: stored as failed, never handled.
  outcome: { answered: string } | { failed: RegExp };
}

const plain = (event: TestEvent, id = event.webhookEventId) => ({ text: JSON.stringify(event), id, replyToken: event.replyToken! });

const poisonKinds: PoisonKind[] = [
  { name: "a NUL in a text", event: (userId) => plain(events.text(userId, "道路に\u0000穴が")), outcome: { answered: `道路に${R}穴が` } },
  { name: "a lone surrogate in a text", event: (userId) => plain(events.text(userId, "こんにちは\ud800")), outcome: { answered: `こんにちは${R}` } },
  {
    name: "a NUL in a key of the message",
    event: (userId) => {
      const event = events.text(userId, "こんにちは");
      (event.message as Record<string, unknown>)["emoji\u0000s"] = [];
      return plain(event);
    },
    outcome: { answered: "こんにちは" },
  },
  { name: "a NUL in a user id", event: (userId) => plain(events.text(`${userId}\u0000`, "こんにちは")), outcome: { failed: /^not a LINE event: source\.userId: / } },
  { name: "a lone surrogate in a user id", event: (userId) => plain(events.text(`${userId}\udc00`, "こんにちは")), outcome: { failed: /source\.userId/ } },
  {
    name: "a NUL in an event id",
    event: (userId) => {
      const id = newEventId();
      return plain(events.text(userId, "こんにちは", { webhookEventId: `${id}\u0000` }), `${id}${R}`);
    },
    outcome: { failed: /^not a LINE event: webhookEventId: / },
  },
  { name: "a timestamp in year 10000", event: (userId) => plain(events.text(userId, "こんにちは", { timestamp: Date.UTC(10_000, 0, 1) })), outcome: { failed: /timestamp/ } },
  { name: "a timestamp past what a JS Date holds", event: (userId) => plain(events.text(userId, "こんにちは", { timestamp: 8.64e15 + 1 })), outcome: { failed: /timestamp/ } },
  {
    name: "an object nested 5,000 levels deep",
    event: (userId) => {
      const event = events.text(userId, "こんにちは");
      return { text: withDeepField(event, 5_000), id: event.webhookEventId, replyToken: event.replyToken! };
    },
    outcome: { failed: /nests deeper than 32 levels/ },
  },
  {
    name: "an array nested 100,000 levels deep",
    event: (userId) => {
      const event = events.text(userId, "こんにちは");
      return { text: withDeepField(event, 100_000, "[", "]"), id: event.webhookEventId, replyToken: event.replyToken! };
    },
    outcome: { failed: /nests deeper than 32 levels/ },
  },
  { name: "a message that is not an object", event: (userId) => plain(events.text(userId, "x", { message: "こんにちは" })), outcome: { failed: /^not a LINE event: message: / } },
];

describe.each(testDatabases)("poison webhook events on $name", (database) => {
  const shared = sharedBotFixture(database);

  const replyTo = (replyToken: string) => shared.lineApi.to("/v2/bot/message/reply").find((request) => request.body.replyToken === replyToken);
  const inboxRow = (id: string) => shared.bot.store.db.selectFrom("inbox_events").selectAll().where("webhook_event_id", "=", id).executeTakeFirst();
  const settled = (id: string) =>
    waitFor(async () => {
      const row = await inboxRow(id);
      return row && (row.status === "done" || row.status === "failed") && row;
    }, `event ${id} done or failed`);

  it.each(poisonKinds)("answers 200 to $name, and stores and answers the valid event beside it", async (kind) => {
    const poison = kind.event(newUserId());
    const valid = events.text(newUserId(), "こんにちは");
    const response = await postWebhook(shared.bot.url, rawBody([poison.text, JSON.stringify(valid)]));
    expect(response.status).toBe(200);

    await waitFor(async () => replyTo(valid.replyToken!), "the valid event's reply");
    expect((await settled(valid.webhookEventId)).status).toBe("done");
    const row = await settled(poison.id);
    if ("answered" in kind.outcome) {
      expect(row).toMatchObject({ status: "done", last_error: null });
      await waitFor(async () => replyTo(poison.replyToken), "the cleaned event's reply");
      const logged = await shared.bot.store.db.selectFrom("messages").select("text").where("inbox_event_id", "=", poison.id).where("direction", "=", "in").executeTakeFirstOrThrow();
      expect(logged.text).toBe(kind.outcome.answered);
    } else {
      expect(row.status).toBe("failed");
      expect(row.attempts).toBe(0);
      expect(row.last_error).toMatch(kind.outcome.failed);
      // Never handled: no answer, nothing logged.
      expect(replyTo(poison.replyToken)).toBeUndefined();
      expect(await shared.bot.store.db.selectFrom("messages").select("id").where("inbox_event_id", "=", poison.id).execute()).toEqual([]);
      if (/timestamp/.test(String(kind.outcome.failed))) {
        expect(Math.abs(new Date(row.event_time).getTime() - new Date(row.received_at).getTime())).toBe(0);
      }
    }
    // A redelivery of the same body changes nothing.
    expect((await postWebhook(shared.bot.url, rawBody([poison.text, JSON.stringify(valid)]))).status).toBe(200);
    const ids = [poison.id, valid.webhookEventId];
    expect(await shared.bot.store.db.selectFrom("inbox_events").select("status").where("webhook_event_id", "in", ids).execute()).toHaveLength(2);
    expect(shared.lineApi.to("/v2/bot/message/reply").filter((request) => request.body.replyToken === valid.replyToken)).toHaveLength(1);
  });

  it("answers 200 to a body of poison only, and 400 to one whose event has no usable id", async () => {
    const userId = newUserId();
    const poison = poisonKinds.map((kind) => kind.event(userId));
    expect((await postWebhook(shared.bot.url, rawBody(poison.map((event) => event.text)))).status).toBe(200);
    const stored = await shared.bot.store.db.selectFrom("inbox_events").select("webhook_event_id").where("webhook_event_id", "in", poison.map((event) => event.id)).execute();
    expect(stored.map((row) => row.webhook_event_id).sort()).toEqual(poison.map((event) => event.id).sort());

    const valid = events.text(newUserId(), "こんにちは");
    for (const webhookEventId of ["", "x".repeat(129), 42, null]) {
      const response = await postWebhook(shared.bot.url, rawBody([JSON.stringify(valid), JSON.stringify({ ...valid, webhookEventId })]));
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body).error).toMatch(/^not a LINE webhook body: events\.1\.webhookEventId/);
    }
    expect(await inboxRow(valid.webhookEventId)).toBeUndefined();
  });

  it("keeps the valid events of concurrent requests whose bodies hold poison", async () => {
    const valid = Array.from({ length: 12 }, () => events.text(newUserId(), "こんにちは"));
    const responses = await Promise.all(
      valid.map((event, index) => {
        const poison = poisonKinds[index % poisonKinds.length]!.event(newUserId());
        return postWebhook(shared.bot.url, rawBody(index % 2 === 0 ? [poison.text, JSON.stringify(event)] : [JSON.stringify(event), poison.text]));
      }),
    );
    expect(responses.map((response) => response.status)).toEqual(valid.map(() => 200));
    await waitFor(async () => valid.every((event) => replyTo(event.replyToken!)), "every valid event answered");
  });

  // The group commit (src/inbox/inbox-writer.ts) puts the events of concurrent requests in one
  // INSERT. An event that reaches it with a value the database refuses (here given to the inbox
  // directly, without the webhook's cleaning) must fail only itself: the statement is retried per
  // request, then per event, and the refused event is kept as failed with the database's reason.
  it("fails only the bad event of a group commit, not the other requests' events", async () => {
    const writer = new InboxWriter(shared.bot.store.db, shared.bot.worker);
    const raw = (event: TestEvent) => event as unknown as WebhookEvent;
    const first = events.text(newUserId(), "こんにちは");
    const poison = events.text(newUserId(), "道路に\u0000穴が");
    const valid = events.text(newUserId(), "こんにちは");
    const validBeside = events.text(newUserId(), "こんにちは");
    const poisonBeside = events.text(`${newUserId()}\u0000`, "x");
    // The first insert is in flight when the next three are asked for: those share one INSERT.
    const stored = [writer.store([raw(first)]), writer.store([raw(poison)]), writer.store([raw(valid)]), writer.store([raw(validBeside), raw(poisonBeside)])];
    const outcomes = await Promise.allSettled(stored);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled"]);

    for (const event of [first, valid, validBeside]) {
      await waitFor(async () => replyTo(event.replyToken!), `the reply to ${event.webhookEventId}`);
      expect((await settled(event.webhookEventId)).status).toBe("done");
    }
    const refused = await inboxRow(poison.webhookEventId);
    expect(refused).toMatchObject({ status: "failed", attempts: 0, payload: { webhookEventId: poison.webhookEventId, type: "message" } });
    expect(refused!.last_error).toMatch(/^the database refused the event \(SQLSTATE 22P05: /);
    const refusedTime = await inboxRow(poisonBeside.webhookEventId);
    expect(refusedTime).toMatchObject({ status: "failed", attempts: 0 });
    expect(refusedTime!.last_error).toMatch(/^the database refused the event \(SQLSTATE 22/);
    expect(replyTo(poison.replyToken!)).toBeUndefined();
    expect(replyTo(poisonBeside.replyToken!)).toBeUndefined();
  });
});
