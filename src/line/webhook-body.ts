import { z } from "zod";
import type { webhook } from "@line/bot-sdk";

// The shape every event must have for the inbox to accept it (LINE's webhook.yml: `Event`).
// Unknown event types and extra fields pass through untouched: LINE adds event types over time,
// and an event we cannot handle yet must still be stored, not rejected.
const eventSchema = z
  .object({
    type: z.string().min(1),
    timestamp: z.number().int().nonnegative(),
    webhookEventId: z.string().min(1).max(128),
    mode: z.string().optional(),
    deliveryContext: z.object({ isRedelivery: z.boolean() }).loose(),
    source: z
      .object({ type: z.string(), userId: z.string().optional(), groupId: z.string().optional(), roomId: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

const callbackSchema = z.object({
  destination: z.string(),
  events: z.array(eventSchema).max(1000),
});

export type WebhookEvent = webhook.Event;

export interface ParsedCallback {
  destination: string;
  events: WebhookEvent[];
}

export function parseWebhookBody(body: unknown): { ok: true; value: ParsedCallback } | { ok: false; error: string } {
  const parsed = callbackSchema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? first.path.join(".") || "body" : "body";
    return { ok: false, error: `not a LINE webhook body: ${where}: ${first?.message ?? "invalid"}` };
  }
  return { ok: true, value: parsed.data as unknown as ParsedCallback };
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
