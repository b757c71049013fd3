import { randomBytes } from "node:crypto";
import { events, newUserId, webhookBody, BOT_DESTINATION } from "../../support/webhook-client.js";
import { mulberry32 } from "../../support/numbers.js";

// Signed webhook bodies a LINE channel could be sent (by LINE with odd content, or by anyone who
// learnt the secret) that the bot must answer 200 or 4xx, never 5xx: values Postgres refuses (NUL,
// lone surrogates, timestamps outside its range, index rows past their size limit), deep nesting,
// huge numbers and wrong types.
export interface PoisonBody {
  name: string;
  body: string | Buffer;
}

type Event = Record<string, any>;

const textEvent = (mutate: (event: Event) => void = () => {}): Event => {
  const event = events.text(newUserId(), "こんにちは") as Event;
  mutate(event);
  return event;
};
const one = (name: string, mutate: (event: Event) => void): PoisonBody => ({ name, body: webhookBody([textEvent(mutate)]) });
// A body with `"@@"` replaced by raw JSON text that JSON.stringify cannot produce.
const raw = (name: string, mutate: (event: Event) => void, json: string): PoisonBody => ({
  name,
  body: webhookBody([textEvent(mutate)]).replace('"@@"', json),
});

// The same with raw bytes (invalid UTF-8) in place of `"@@"`.
const rawBytes = (name: string, mutate: (event: Event) => void, bytes: Buffer): PoisonBody => {
  const [before, after] = webhookBody([textEvent(mutate)]).split('"@@"') as [string, string];
  return { name, body: Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]) };
};

// JSON text nested `depth` deep (JSON.stringify itself runs out of stack on such values).
function nestedJson(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

function nested(depth: number, kind: "array" | "object" = "array"): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) value = kind === "array" ? [value] : { a: value };
  return value;
}

export function poisonBodies(): PoisonBody[] {
  // Random, so that Postgres cannot compress them under its index row size limit.
  const long = (length: number) => randomBytes(Math.ceil(length / 2)).toString("hex").slice(0, length);
  return [
    one("NUL in the text", (e) => (e.message.text = "こんにちは\u0000です")),
    one("NUL in the userId", (e) => (e.source.userId = `${e.source.userId}\u0000`)),
    one("NUL in the webhookEventId", (e) => (e.webhookEventId = `${e.webhookEventId}\u0000`)),
    one("NUL in the reply token", (e) => (e.replyToken = `${e.replyToken}\u0000`)),
    one("NUL in the message id", (e) => (e.message.id = `1\u00002`)),
    one("NUL in an unknown field", (e) => (e.extra = "a\u0000b")),
    one("NUL in a key", (e) => (e.extra = { "a\u0000b": 1 })),
    one("NUL in the event type", (e) => (e.type = "message\u0000")),
    one("NUL in a group id", (e) => (e.source = { type: "group", groupId: "C\u0000", userId: e.source.userId })),
    one("lone high surrogate in the text", (e) => (e.message.text = "こんにちは\ud800")),
    one("lone low surrogate in the text", (e) => (e.message.text = "\udc00こんにちは")),
    one("lone surrogate in the userId", (e) => (e.source.userId = `${e.source.userId}\ud800`)),
    one("lone surrogate in the webhookEventId", (e) => (e.webhookEventId = `${e.webhookEventId}\udfff`)),
    one("lone surrogate in a key", (e) => (e.extra = { "\ud800": 1 })),
    rawBytes("invalid UTF-8 in the text", (e) => (e.message.text = "@@"), Buffer.from([0x22, 0xff, 0xfe, 0xc3, 0x22])),
    one("timestamp in the year 10000", (e) => (e.timestamp = 253402300800000)),
    one("timestamp at the end of JavaScript dates", (e) => (e.timestamp = 8.64e15)),
    one("timestamp past the end of JavaScript dates", (e) => (e.timestamp = 8.64e15 + 1)),
    one("timestamp 1e20", (e) => (e.timestamp = 1e20)),
    one("timestamp 2^53", (e) => (e.timestamp = 2 ** 53)),
    one("timestamp -1", (e) => (e.timestamp = -1)),
    one("timestamp in the year -1", (e) => (e.timestamp = -62198755200000)),
    one("timestamp -8.64e15", (e) => (e.timestamp = -8.64e15)),
    one("timestamp 1.5", (e) => (e.timestamp = 1.5)),
    one("timestamp as a string", (e) => (e.timestamp = String(e.timestamp))),
    one("timestamp null", (e) => (e.timestamp = null)),
    raw("timestamp 1e999", (e) => (e.timestamp = "@@"), "1e999"),
    raw("timestamp -1e999", (e) => (e.timestamp = "@@"), "-1e999"),
    raw("a 400-digit number", (e) => (e.extra = "@@"), "9".repeat(400)),
    raw("a number with exponent 1e400 in the message", (e) => (e.message.extra = "@@"), "1e400"),
    one("message id 1e308 as a number", (e) => (e.message.id = 1e308)),
    raw("nesting 5,000 deep (arrays)", (e) => (e.extra = "@@"), nestedJson(5_000, "array")),
    raw("nesting 5,000 deep (objects)", (e) => (e.extra = "@@"), nestedJson(5_000, "object")),
    raw("nesting 5,000 deep in the message", (e) => (e.message.extra = "@@"), nestedJson(5_000, "array")),
    raw("nesting 100,000 deep", (e) => (e.extra = "@@"), nestedJson(100_000, "array")),
    one("userId of 5,000 characters", (e) => (e.source.userId = `U${long(5_000)}`)),
    one("userId of 3,000 non-ASCII characters", (e) => (e.source.userId = Array.from({ length: 3_000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000))).join(""))),
    one("webhookEventId of 128 characters", (e) => (e.webhookEventId = long(128))),
    one("webhookEventId of 129 characters", (e) => (e.webhookEventId = long(129))),
    one("reply token of 10,000 characters", (e) => (e.replyToken = long(10_000))),
    one("message id of 5,000 characters", (e) => (e.message.id = long(5_000))),
    one("text of 300,000 characters", (e) => (e.message.text = "あ".repeat(300_000))),
    one("empty userId", (e) => (e.source.userId = "")),
    one("empty webhookEventId", (e) => (e.webhookEventId = "")),
    one("empty type", (e) => (e.type = "")),
    one("userId as a number", (e) => (e.source.userId = 12345)),
    one("webhookEventId as a number", (e) => (e.webhookEventId = 12345)),
    one("source as a string", (e) => (e.source = "user")),
    one("source null", (e) => (e.source = null)),
    one("message null", (e) => (e.message = null)),
    one("message as a string", (e) => (e.message = "こんにちは")),
    one("text as an object", (e) => (e.message.text = { a: 1 })),
    one("text as a number", (e) => (e.message.text = 12)),
    one("text missing", (e) => delete e.message.text),
    one("message type unknown", (e) => (e.message.type = "hologram")),
    one("deliveryContext null", (e) => (e.deliveryContext = null)),
    one("isRedelivery as a string", (e) => (e.deliveryContext = { isRedelivery: "yes" })),
    one("replyToken as a number", (e) => (e.replyToken = 5)),
    one("mode as an object", (e) => (e.mode = {})),
    one("an unknown event type", (e) => (e.type = "teleport")),
    { name: "events as an object", body: JSON.stringify({ destination: BOT_DESTINATION, events: {} }) },
    { name: "events [null]", body: JSON.stringify({ destination: BOT_DESTINATION, events: [null] }) },
    { name: "events [\"text\"]", body: JSON.stringify({ destination: BOT_DESTINATION, events: ["text"] }) },
    { name: "destination as a number", body: JSON.stringify({ destination: 5, events: [textEvent()] }) },
    { name: "a top-level array", body: JSON.stringify([textEvent()]) },
    { name: "a top-level string", body: JSON.stringify("events") },
    { name: "a top-level null", body: "null" },
    { name: "the same webhookEventId twice in one body", body: webhookBody(duplicateIds()) },
  ];
}

function duplicateIds(): Event[] {
  const first = textEvent();
  const second = textEvent((e) => (e.webhookEventId = first.webhookEventId));
  return [first, second];
}

// Values that have broken JSON-to-SQL paths before, for the fuzzer.
const interesting: unknown[] = [
  "", "\u0000", "a\u0000b", "\ud800", "\udfff", "😀", "\uffff", "\u202e", "x".repeat(3_000), "人".repeat(1_500),
  -1, 0, 1.5, 1e20, -1e20, 2 ** 53 + 1, 253402300800000, 8.64e15 + 1, -62198755200000,
  true, false, null, [], {}, [null], { "": "" }, nested(2_000), nested(2_000, "object"),
];

// `count` bodies, each a valid one (text, follow, postback, sticker, location, unfollow, image)
// with one to three values replaced, removed or added; the same seed gives the same bodies.
export function fuzzedBodies(seed: number, count: number): PoisonBody[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const templates = [
    () => events.text(newUserId(), "こんにちは"),
    () => events.follow(newUserId()),
    () => events.postback(newUserId(), "v1|profile|start|"),
    () => events.sticker(newUserId()),
    () => events.location(newUserId()),
    () => events.unfollow(newUserId()),
    () => events.image(newUserId()),
  ];
  const bodies: PoisonBody[] = [];
  for (let index = 0; index < count; index += 1) {
    const event = pick(templates)() as Event;
    const changes: string[] = [];
    const mutations = 1 + Math.floor(random() * 3);
    for (let step = 0; step < mutations; step += 1) {
      const paths = leafPaths(event);
      const path = pick(paths);
      const parent = path.slice(0, -1).reduce<any>((node, key) => node?.[key], event);
      const key = path[path.length - 1]!;
      if (parent === null || typeof parent !== "object") continue;
      const action = random();
      if (action < 0.6) {
        parent[key] = pick(interesting);
        changes.push(`${path.join(".")}=${describe(parent[key])}`);
      } else if (action < 0.8) {
        delete parent[key];
        changes.push(`-${path.join(".")}`);
      } else {
        parent[`fuzz${step}`] = pick(interesting);
        changes.push(`+${[...path.slice(0, -1), `fuzz${step}`].join(".")}=${describe(parent[`fuzz${step}`])}`);
      }
    }
    bodies.push({ name: `fuzz #${index}: ${changes.join(", ")}`, body: webhookBody([event]) });
  }
  return bodies;
}

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Object.entries(value as object);
  if (entries.length === 0 || prefix.length > 4) return [prefix];
  return [prefix, ...entries.flatMap(([key, child]) => leafPaths(child, [...prefix, key]))].filter((path) => path.length > 0);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…(${text.length})` : text;
}
