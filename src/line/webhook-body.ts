import { z } from "zod";
import type { webhook } from "@line/bot-sdk";
import { toStorableJson } from "./storable-json.js";

// What a signed body gets (issue 12: every signed body is answered 200 or 4xx, never 500):
// - 400 for the whole body: it is not a webhook body (no `destination` string, no `events` array
//   of at most 1000), or one of its events has no usable `webhookEventId` (a string of 1–128
//   characters). The id is what makes storing an event once-only (redeliveries are no-ops), so an
//   event without one cannot be stored, and 200 is never answered for an event that was not stored.
// - Every other event is stored. Its strings are cleaned first (storable-json.ts: NUL and lone
//   surrogates, which Postgres refuses, become U+FFFD) and the event is handled as usual, unless
//   it is "refused": stored with status `failed` and the reason in `last_error`, never handed to a
//   handler, so staff and logs see it and the other events of the body are answered. Refused:
//   - its envelope or the fields its handler reads do not follow LINE's webhook.yml (a type
//     swapped, a field missing): parse at the edge, so handlers can trust the types;
//   - its timestamp is not a time the store holds (LATEST_STORABLE_TIME_MS), or a source id is
//     longer than an index holds (sourceId);
//   - it nests deeper than MAX_EVENT_DEPTH;
//   - an id the bot keys rows by or sends back to LINE (webhookEventId, the source's ids,
//     replyToken, message.id) had to be cleaned: LINE's ids are ASCII, so the event is not LINE's,
//     and answering it would send a made-up id to LINE.

// The deepest event in LINE's webhook.yml nests 5 levels (things.result.actionResults[].data);
// anything far deeper is not a LINE event, and JSON.stringify overflows the stack on a few
// thousand levels.
export const MAX_EVENT_DEPTH = 32;

// 9999-12-31T23:59:59.999Z. The embedded database's driver sends a Date as toISOString(), which
// writes a later year as "+010000-…", and Postgres reads "+01" as a time zone (SQLSTATE 22009);
// past 8.64e15 ms a JS Date is invalid and pg sends "0NaN-…" (22007). A LINE timestamp is the
// event's time in milliseconds, so four-digit years hold every real one.
export const LATEST_STORABLE_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// LINE's user, group and room ids are 33 characters (U, C or R and 32 hex digits). The bot keys
// rows and btree indexes by them (line_users, outbound_messages, …), and a btree entry holds at
// most 2704 bytes: a longer one fails the handler's statements (SQLSTATE 54000) at every retry.
const sourceId = z.string().max(128);

export function isStorableTimestamp(timestamp: unknown): timestamp is number {
  return typeof timestamp === "number" && Number.isInteger(timestamp) && timestamp >= 0 && timestamp <= LATEST_STORABLE_TIME_MS;
}

const callbackSchema = z.object({
  destination: z.string(),
  events: z.array(z.unknown()).max(1000),
});

const eventIdSchema = z.object({ webhookEventId: z.string().min(1).max(128) }).loose();

// The shape every event must have for the inbox to accept it (LINE's webhook.yml: `Event`).
// Unknown event types and extra fields pass through untouched: LINE adds event types over time,
// and an event we cannot handle yet must still be stored, not refused.
const envelopeSchema = z
  .object({
    type: z.string().min(1),
    timestamp: z.number().refine(isStorableTimestamp, "must be a time in milliseconds between 1970 and 9999"),
    mode: z.string().optional(),
    deliveryContext: z.object({ isRedelivery: z.boolean() }).loose(),
    source: z
      .object({ type: z.string(), userId: sourceId.optional(), groupId: sourceId.optional(), roomId: sourceId.optional() })
      .loose()
      .optional(),
    replyToken: z.string().optional(),
  })
  .loose();

// The fields src/events reads, per event type (webhook.yml: MessageEvent, PostbackEvent, …).
// (Maps, not object literals: an event type such as "constructor" must find nothing.)
const handledFields = new Map<string, z.ZodType>([
  ["message", z.object({ message: z.object({ id: z.string(), type: z.string() }).loose() }).loose()],
  ["postback", z.object({ postback: z.object({ data: z.string() }).loose() }).loose()],
  ["unsend", z.object({ unsend: z.object({ messageId: z.string() }).loose() }).loose()],
  ["follow", z.object({ follow: z.object({ isUnblocked: z.boolean() }).loose().optional() }).loose()],
]);

// The fields src/events/incoming-message.ts and the flows read, per message type.
const handledMessageFields = new Map<string, z.ZodType>([
  ["text", z.object({ text: z.string() }).loose()],
  [
    "location",
    z
      .object({
        latitude: z.number().min(-90).max(90),
        longitude: z.number().min(-180).max(180),
        title: z.string().optional(),
        address: z.string().optional(),
      })
      .loose(),
  ],
  ["file", z.object({ fileName: z.string(), fileSize: z.number() }).loose()],
]);

export type WebhookEvent = webhook.Event;

export interface ParsedCallback {
  destination: string;
  // Every event of the body, in order, with its strings cleaned.
  events: WebhookEvent[];
  // Refused events (by webhookEventId): why each is stored as failed instead of handled.
  refusals: Map<string, string>;
  // How many strings had a character Postgres refuses replaced, in all events.
  cleanedStrings: number;
}

export function parseWebhookBody(body: unknown): { ok: true; value: ParsedCallback } | { ok: false; error: string } {
  const parsed = callbackSchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: notAWebhookBody(parsed.error, []) };
  const value: ParsedCallback = { destination: parsed.data.destination, events: [], refusals: new Map(), cleanedStrings: 0 };
  for (const [index, raw] of parsed.data.events.entries()) {
    const id = eventIdSchema.safeParse(raw);
    if (!id.success) return { ok: false, error: notAWebhookBody(id.error, ["events", index]) };
    const storable = toStorableJson(raw, MAX_EVENT_DEPTH);
    const event = storable.value as WebhookEvent;
    value.events.push(event);
    value.cleanedStrings += storable.replacedStrings;
    const refusal = storable.tooDeep
      ? `nests deeper than ${MAX_EVENT_DEPTH} levels (LINE's events nest 5): the deeper parts were not stored`
      : (shapeProblem(event) ?? (storable.replacedStrings > 0 ? cleanedIdProblem(raw as Record<string, unknown>, event) : null));
    if (refusal !== null) value.refusals.set(event.webhookEventId, `not a LINE event: ${refusal}`);
  }
  return { ok: true, value };
}

function notAWebhookBody(error: z.ZodError, at: (string | number)[]): string {
  return `not a LINE webhook body: ${firstIssue(error, at, "body")}`;
}

function firstIssue(error: z.ZodError, at: (string | number)[], whole: string): string {
  const first = error.issues[0];
  const where = [...at, ...(first?.path ?? [])].map(String).join(".") || whole;
  return `${where}: ${first?.message ?? "invalid"}`;
}

function shapeProblem(event: WebhookEvent): string | null {
  return issueOf(envelopeSchema, event, []) ?? issueOf(handledFields.get(event.type), event, []) ?? messageProblem(event);
}

function messageProblem(event: WebhookEvent): string | null {
  if (event.type !== "message") return null;
  // handledFields checked that the message is an object with a string type.
  const { message } = event as { message: { type: string } };
  return issueOf(handledMessageFields.get(message.type), message, ["message"]);
}

function issueOf(schema: z.ZodType | undefined, value: unknown, at: string[]): string | null {
  if (!schema) return null;
  const result = schema.safeParse(value);
  return result.success ? null : firstIssue(result.error, at, "event");
}

// The ids compared before and after cleaning (see the rules above).
function cleanedIdProblem(raw: Record<string, unknown>, event: Record<string, unknown>): string | null {
  const idPaths = [["webhookEventId"], ["replyToken"], ["source", "userId"], ["source", "groupId"], ["source", "roomId"], ["message", "id"]];
  for (const path of idPaths) {
    if (valueAt(raw, path) !== valueAt(event, path)) return `${path.join(".")}: holds characters a LINE id never has (NUL or a lone surrogate)`;
  }
  return null;
}

function valueAt(value: unknown, path: string[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === "object" && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

// The id the bot answers to: the user, or the group/room the event came from.
export function sourceIdOf(event: WebhookEvent): string | null {
  const source = event.source;
  if (!source) return null;
  if (source.type === "user") return source.userId ?? null;
  if (source.type === "group") return source.groupId;
  if (source.type === "room") return source.roomId;
  return null;
}

export function userIdOf(event: WebhookEvent): string | null {
  return event.source && "userId" in event.source ? (event.source.userId ?? null) : null;
}

export function replyTokenOf(event: WebhookEvent): string | null {
  return "replyToken" in event && typeof event.replyToken === "string" ? event.replyToken : null;
}
