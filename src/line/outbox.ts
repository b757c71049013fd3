import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database, OutboundMessageRow } from "../store/database.js";
import type { LineMessage } from "./line-client.js";

// LINE's reference (Messaging API, "Send reply message"): a reply token must be used within one
// minute of receiving the webhook, and use after that is not guaranteed to work
// (https://developers.line.biz/en/reference/messaging-api/#send-reply-message).
// We keep a margin for the request itself and switch to push after this long.
export const REPLY_TOKEN_USABLE_MS = 50_000;

// LINE accepts at most 5 message objects per reply or push request.
export const MAX_MESSAGES_PER_REQUEST = 5;

export interface OutboundDraft {
  to: string;
  messages: LineMessage[];
  inboxEventId?: string | null;
  replyToken?: string | null;
  // When the webhook carrying the reply token was received: the token's clock starts there.
  receivedAt?: Date;
}

// Writes the messages to send into the outbox, in the caller's transaction, together with one
// `messages` row per message for the conversation log. Nothing goes to LINE here: the dispatcher
// sends after the transaction committed, so a rolled-back handler never leaves a sent message.
export async function enqueueOutbound(trx: Transaction<Database> | Kysely<Database>, draft: OutboundDraft): Promise<string[]> {
  if (draft.messages.length === 0) return [];
  const ids: string[] = [];
  for (let start = 0; start < draft.messages.length; start += MAX_MESSAGES_PER_REQUEST) {
    const chunk = draft.messages.slice(start, start + MAX_MESSAGES_PER_REQUEST);
    // Only the first request can use the reply token (it is single-use); the rest are pushed.
    const replyToken = start === 0 ? (draft.replyToken ?? null) : null;
    const outbound = await trx
      .insertInto("outbound_messages")
      .values({
        user_id: draft.to,
        inbox_event_id: draft.inboxEventId ?? null,
        reply_token: replyToken,
        reply_deadline: replyToken ? new Date((draft.receivedAt ?? new Date()).getTime() + REPLY_TOKEN_USABLE_MS) : null,
        messages: JSON.stringify(chunk),
        retry_key: randomUUID(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    ids.push(outbound.id);
    await trx
      .insertInto("messages")
      .values(
        chunk.map((message) => ({
          user_id: draft.to,
          direction: "out" as const,
          message_type: message.type,
          text: message.type === "text" ? message.text : "altText" in message ? message.altText : null,
          payload: JSON.stringify(message),
          inbox_event_id: draft.inboxEventId ?? null,
          outbound_id: outbound.id,
        })),
      )
      .execute();
  }
  return ids;
}

// Claims outbound rows for sending: the given ids (just written by this process), or, with no ids,
// any due row (pending past its backoff, or "sending" whose sender's lease expired).
export async function claimOutbound(
  db: Kysely<Database>,
  workerId: string,
  leaseMs: number,
  selection: { ids: string[] } | { limit: number },
): Promise<OutboundMessageRow[]> {
  const due =
    "ids" in selection
      ? sql`o.id in (${sql.join(selection.ids)}) and o.status = 'pending'`
      : sql`((o.status = 'pending' and o.next_attempt_at <= now()) or (o.status = 'sending' and o.lease_expires_at < now()))`;
  const limit = "ids" in selection ? selection.ids.length : selection.limit;
  if (limit === 0) return [];
  const result = await sql<OutboundMessageRow>`
    update outbound_messages
       set status = 'sending', attempts = attempts + 1, claimed_by = ${workerId},
           lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
     where id in (select o.id from outbound_messages o where ${due} order by o.id limit ${limit} for update skip locked)
    returning *`.execute(db);
  return result.rows;
}

export type OutboundResult =
  | { status: "sent"; method: "reply" | "push"; httpStatus: number }
  | { status: "skipped"; reason: string }
  | { status: "failed"; method: "reply" | "push"; httpStatus: number | null; error: string }
  | { status: "retry"; method: "reply" | "push"; httpStatus: number | null; error: string; retryInMs: number };

export async function recordOutboundResult(db: Kysely<Database>, row: OutboundMessageRow, result: OutboundResult): Promise<void> {
  const base = db
    .updateTable("outbound_messages")
    .where("id", "=", row.id)
    .where("claimed_by", "=", row.claimed_by)
    .where("attempts", "=", row.attempts);
  switch (result.status) {
    case "sent":
      await base
        .set({ status: "sent", method: result.method, last_status: result.httpStatus, last_error: null, sent_at: sql`now()`, lease_expires_at: null })
        .execute();
      return;
    case "skipped":
      await base.set({ status: "skipped", last_error: result.reason, lease_expires_at: null }).execute();
      return;
    case "failed":
      await base
        .set({ status: "failed", method: result.method, last_status: result.httpStatus, last_error: result.error, lease_expires_at: null })
        .execute();
      return;
    case "retry":
      await base
        .set({
          status: "pending",
          method: result.method,
          last_status: result.httpStatus,
          last_error: result.error,
          lease_expires_at: null,
          claimed_by: null,
          next_attempt_at: sql`now() + ${result.retryInMs} * interval '1 millisecond'`,
        })
        .execute();
      return;
  }
}
