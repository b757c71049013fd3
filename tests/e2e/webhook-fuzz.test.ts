import { describe, expect, it } from "vitest";
import { storableText } from "../../src/line/storable-json.js";
import { sharedBotFixture } from "../support/bot-fixture.js";
import { testDatabases } from "../support/test-store.js";
import { mulberry32 } from "../support/numbers.js";
import { BOT_DESTINATION, events, newUserId, postWebhook, sendEvents, waitFor } from "../support/webhook-client.js";

// A seeded, deterministic fuzzer of signed webhook bodies (issue 12, item 5): bodies mutated from
// valid LINE events (strings replaced by NULs, lone surrogates or huge strings; numbers by huge,
// negative, fractional or infinite ones; types swapped; fields dropped; nesting thousands deep),
// posted four at a time so that their events share group commits. Every body must get 200 or 4xx
// (exactly the answer webhook-body.ts's rules give), every event of a body answered 200 must be
// stored, no stored event may fail in a handler, and the server must stay healthy.
// FUZZ_SEED=<n> replays another sequence; FUZZ_BODIES=<n> changes how many bodies are sent.
const seed = Number(process.env.FUZZ_SEED ?? 20_260_512);
const bodyCount = Number(process.env.FUZZ_BODIES ?? 300);
const MAX_BODY_BYTES = 1024 * 1024;


type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Raw JSON that JSON.stringify cannot write (nesting thousands deep, numbers past a double) goes in
// as a placeholder string, replaced in the body's text.
const raw = new Map<string, string>([
  ["\u0001DEEP100", `${"[".repeat(100)}${"]".repeat(100)}`],
  ["\u0001DEEP5000", `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`],
  ["\u0001DEEP60000", `${"[".repeat(60_000)}${"]".repeat(60_000)}`],
  ["\u0001INF", "1e400"],
  ["\u0001NEGINF", "-1e400"],
  ["\u0001BIGINT", "123456789012345678901234567890"],
]);
function bodyText(value: Json): string {
  let text = JSON.stringify(value);
  for (const [placeholder, json] of raw) text = text.replaceAll(JSON.stringify(placeholder), json);
  return text;
}

function fuzzer(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (length: number) => Array.from({ length }, () => pick([..."0123456789abcdef"])).join("");
  let eventNumber = 0;

  const fixtures: (() => Record<string, Json>)[] = [
    () => ({ type: "message", replyToken: hex(32), message: { id: hex(16), type: "text", text: pick(["こんにちは", "移住したい", "空き家を探しています", "通報したい", "😀👍"]), quoteToken: hex(16) } }),
    () => ({ type: "message", replyToken: hex(32), message: { id: hex(16), type: "location", title: "人吉市役所", address: "熊本県人吉市", latitude: 32.2105, longitude: 130.7623 } }),
    () => ({ type: "message", replyToken: hex(32), message: { id: hex(16), type: "sticker", packageId: "446", stickerId: "1988", stickerResourceType: "STATIC", quoteToken: hex(16) } }),
    () => ({ type: "message", replyToken: hex(32), message: { id: hex(16), type: "image", contentProvider: { type: "line" }, quoteToken: hex(16) } }),
    () => ({ type: "message", replyToken: hex(32), message: { id: hex(16), type: "text", text: "@bot", mention: { mentionees: [{ index: 0, length: 4, type: "user", userId: `U${hex(32)}` }] } } }),
    () => ({ type: "postback", replyToken: hex(32), postback: pick([{ data: "v1|profile|start|" }, { data: "v1:unknown" }, { data: "date", params: { date: "2026-05-01" } }]) }),
    () => ({ type: "follow", replyToken: hex(32), follow: { isUnblocked: random() < 0.5 } }),
    () => ({ type: "unfollow" }),
    () => ({ type: "unsend", unsend: { messageId: hex(16) } }),
    () => ({ type: "memberJoined", replyToken: hex(32), joined: { members: [{ type: "user", userId: `U${hex(32)}` }] } }),
  ];

  function validEvent(): Record<string, Json> {
    eventNumber += 1;
    const source = pick<Json>([{ type: "user", userId: `U${hex(32)}` }, { type: "group", groupId: `C${hex(32)}`, userId: `U${hex(32)}` }, { type: "room", roomId: `R${hex(32)}` }]);
    return {
      mode: "active",
      timestamp: Date.UTC(2026, 4, 1) + eventNumber,
      source,
      webhookEventId: `01FUZZ${seed.toString(36)}${eventNumber.toString(36).padStart(6, "0")}`.toUpperCase(),
      deliveryContext: { isRedelivery: random() < 0.1 },
      ...pick(fixtures)(),
    };
  }

  const strangeStrings = (text: string): Json[] => {
    const at = Math.floor(random() * (text.length + 1));
    return [
      `${text.slice(0, at)}\u0000${text.slice(at)}`,
      `${text.slice(0, at)}\ud800${text.slice(at)}`,
      `${text}\udfff`,
      "\u0000",
      "",
      "あ".repeat(pick([5_001, 100_000, 400_000])),
      "x".repeat(pick([129, 10_000])),
      "\ufffd\u0001\u001f\u2028",
    ];
  };
  const strangeNumbers: Json[] = [1e308, -1, -0, 0.5, 2 ** 53 + 1, Date.UTC(10_000, 0, 1), 8.64e15 + 1, "\u0001INF", "\u0001NEGINF", "\u0001BIGINT", "NaN", "1700000000000"];
  const anyValue = (): Json => pick<Json>([null, true, false, 0, "", "x", [], {}, [1, "a"], { type: "user" }, "\u0001DEEP100", "\u0001DEEP5000", "\u0001DEEP60000"]);

  // Every place in `value` a mutation can reach: [container, key] pairs.
  function places(value: Json, found: [Json[] | Record<string, Json>, string | number][] = []): typeof found {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        found.push([value, index]);
        places(item, found);
      });
    } else if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        found.push([value, key]);
        places(value[key]!, found);
      }
    }
    return found;
  }

  function mutate(event: Record<string, Json>): void {
    const [container, key] = pick(places(event));
    const current = (container as Record<string | number, Json>)[key]!;
    const set = (next: Json) => ((container as Record<string | number, Json>)[key] = next);
    const roll = random();
    if (roll < 0.12 && !Array.isArray(container)) delete (container as Record<string, Json>)[key as string];
    else if (roll < 0.2 && !Array.isArray(container)) {
      // defineProperty: a "__proto__" key is data, as JSON.parse makes it on the server.
      Object.defineProperty(container, pick(["k\u0000", "\ud800", "__proto__", "constructor", ""]), { value: anyValue(), enumerable: true, writable: true, configurable: true });
    }
    else if (typeof current === "string" && roll < 0.75) set(pick(strangeStrings(current)));
    else if (typeof current === "number" && roll < 0.75) set(pick(strangeNumbers));
    else set(anyValue());
  }

  function body(): { text: string; events: Json[] } {
    const list: Json[] = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const event = validEvent();
      if (random() < 0.7) for (let times = 1 + Math.floor(random() * 3); times > 0; times -= 1) mutate(event);
      return event;
    });
    if (list.length > 1 && random() < 0.1) list.push(list[0]!);
    const roll = random();
    if (roll < 0.03) return { text: bodyText({ destination: BOT_DESTINATION, events: "\u0001DEEP5000" }), events: [] };
    if (roll < 0.06) return { text: bodyText({ destination: anyValue(), events: list }), events: list };
    if (roll < 0.08) return { text: bodyText(list), events: list };
    if (roll < 0.1) return { text: bodyText({ destination: BOT_DESTINATION, events: list, extra: "\u0001DEEP60000" }), events: list };
    return { text: bodyText({ destination: BOT_DESTINATION, events: list }), events: list };
  }

  return { body };
}

// The answer webhook-body.ts's rules give a body (see the rules there).
function expectedStatus(text: string): number {
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) return 413;
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return 400;
  const { destination, events: list } = parsed as { destination?: unknown; events?: unknown };
  if (typeof destination !== "string" || !Array.isArray(list) || list.length > 1000) return 400;
  const usableId = (event: unknown) => {
    const id = event !== null && typeof event === "object" && !Array.isArray(event) ? (event as { webhookEventId?: unknown }).webhookEventId : undefined;
    return typeof id === "string" && id.length >= 1 && id.length <= 128;
  };
  return list.every(usableId) ? 200 : 400;
}

describe.each(testDatabases)("fuzzed webhook bodies on $name", (database) => {
  // What the bot sent in answer to the events it handled must still be what LINE accepts.
  const shared = sharedBotFixture(database);

  it(`answers ${bodyCount} fuzzed bodies (seed ${seed}) with 200 or 4xx, stores what it acked, and stays healthy`, async () => {
    const { body } = fuzzer(mulberry32(seed));
    const bodies = Array.from({ length: bodyCount }, body);
    const unexpected: string[] = [];
    const acked = new Set<string>();
    for (let start = 0; start < bodies.length; start += 4) {
      const wave = bodies.slice(start, start + 4);
      const responses = await Promise.all(wave.map((item) => postWebhook(shared.bot.url, item.text)));
      responses.forEach((response, offset) => {
        const index = start + offset;
        const expected = expectedStatus(bodies[index]!.text);
        if (response.status !== expected) unexpected.push(`body ${index}: ${response.status} (expected ${expected}) ${response.body.slice(0, 200)}`);
        if (response.status !== 200) return;
        for (const event of bodies[index]!.events) acked.add(storableText((event as { webhookEventId: string }).webhookEventId));
      });
    }
    expect(unexpected, `seed ${seed}`).toEqual([]);
    expect(acked.size).toBeGreaterThan(bodyCount / 2);

    // Never 200 for an event that was not stored.
    const stored = new Set<string>();
    const ids = [...acked];
    for (let start = 0; start < ids.length; start += 500) {
      const rows = await shared.bot.store.db.selectFrom("inbox_events").select("webhook_event_id").where("webhook_event_id", "in", ids.slice(start, start + 500)).execute();
      for (const row of rows) stored.add(row.webhook_event_id);
    }
    expect(ids.filter((id) => !stored.has(id)), `seed ${seed}`).toEqual([]);

    // Every stored event is handled or refused at the edge; none failed in a handler.
    await waitFor(
      async () => (await shared.bot.store.db.selectFrom("inbox_events").select("webhook_event_id").where("status", "in", ["pending", "processing"]).execute()).length === 0,
      "the inbox drained",
      60_000,
    );
    const failed = await shared.bot.store.db.selectFrom("inbox_events").select(["webhook_event_id", "last_error"]).where("status", "=", "failed").execute();
    expect(failed.filter((row) => !/^not a LINE event: /.test(row.last_error ?? "")), `seed ${seed}`).toEqual([]);
    const statuses = await shared.bot.store.db.selectFrom("inbox_events").select("status").distinct().execute();
    expect(statuses.map((row) => row.status).sort()).toEqual(["done", "failed"]);

    expect((await fetch(`${shared.bot.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${shared.bot.url}/readyz`)).status).toBe(200);
    const after = events.text(newUserId(), "こんにちは");
    await sendEvents(shared.bot.url, [after]);
    await waitFor(async () => shared.lineApi.to("/v2/bot/message/reply").some((request) => request.body.replyToken === after.replyToken), "an answer after the fuzzing");
  });
});
