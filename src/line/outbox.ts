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

// What the dispatcher needs of an outbox row to send it and record the outcome.
export type SendableOutbound = Pick<
  OutboundMessageRow,
  "id" | "user_id" | "inbox_event_id" | "reply_token" | "reply_deadline" | "messages" | "retry_key" | "method" | "attempts" | "claimed_by"
>;

// Who sends a row written as already claimed: the process that wrote it sends it right after
// commit, with no claim round trip; if it dies first, the lease runs out and the outbox sweep
// sends it instead.
export interface OutboundClaim {
  workerId: string;
  leaseMs: number;
}

// Writes the messages to send into the outbox, in the caller's transaction, together with one
// `messages` row per message for the conversation log. Nothing goes to LINE here: the dispatcher
// sends after the transaction committed, so a rolled-back handler never leaves a sent message.
export async function enqueueOutbound(trx: Transaction<Database> | Kysely<Database>, draft: OutboundDraft): Promise<string[]> {
  const ids: string[] = [];
  for (const chunk of outboundChunks(draft, null)) {
    const { rows } = await sql<{ id: string }>`with ${outboundStatement(trx, "o", chunk, draft)} select id from o`.execute(trx);
    ids.push(rows[0]!.id);
  }
  return ids;
}

export interface OutboundChunk {
  row: Omit<SendableOutbound, "id" | "messages"> & { messages: LineMessage[] };
  claim: OutboundClaim | null;
}

// One outbox row per request: LINE takes at most five messages in one.
export function outboundChunks(draft: OutboundDraft, claim: OutboundClaim | null): OutboundChunk[] {
  const chunks: OutboundChunk[] = [];
  for (let start = 0; start < draft.messages.length; start += MAX_MESSAGES_PER_REQUEST) {
    // Only the first request can use the reply token (it is single-use); the rest are pushed.
    const replyToken = start === 0 ? (draft.replyToken ?? null) : null;
    chunks.push({
      row: {
        user_id: draft.to,
        inbox_event_id: draft.inboxEventId ?? null,
        reply_token: replyToken,
        reply_deadline: replyToken ? new Date((draft.receivedAt ?? new Date()).getTime() + REPLY_TOKEN_USABLE_MS) : null,
        messages: draft.messages.slice(start, start + MAX_MESSAGES_PER_REQUEST),
        retry_key: randomUUID(),
        method: null,
        attempts: claim ? 1 : 0,
        claimed_by: claim?.workerId ?? null,
      },
      claim,
    });
  }
  return chunks;
}

// `name as (insert the outbox row returning id), name_log as (insert its log rows)`: a chunk's
// writes as two CTEs, for one statement with whatever else the caller writes; `name` holds its id.
export function outboundStatement(db: Transaction<Database> | Kysely<Database>, name: string, chunk: OutboundChunk, draft: OutboundDraft) {
  const { row, claim } = chunk;
  const outbound = db
    .insertInto("outbound_messages")
    .values({
      user_id: row.user_id,
      inbox_event_id: row.inbox_event_id,
      reply_token: row.reply_token,
      reply_deadline: row.reply_deadline,
      messages: JSON.stringify(row.messages),
      retry_key: row.retry_key,
      ...(claim
        ? { status: "sending" as const, attempts: row.attempts, claimed_by: claim.workerId, lease_expires_at: sql<Date>`now() + ${claim.leaseMs} * interval '1 millisecond'` }
        : {}),
    })
    .returning("id");
  const log = db.insertInto("messages").values(
    row.messages.map((message) => ({
      user_id: draft.to,
      direction: "out" as const,
      message_type: message.type,
      text: message.type === "text" ? message.text : "altText" in message ? message.altText : null,
      payload: JSON.stringify(message),
      inbox_event_id: draft.inboxEventId ?? null,
      outbound_id: sql<string>`(select id from ${sql.raw(name)})`,
    })),
  );
  return sql`${sql.raw(name)} as (${outbound}), ${sql.raw(`${name}_log`)} as (${log})`;
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

export async function recordOutboundResult(db: Kysely<Database>, row: Pick<OutboundMessageRow, "id" | "claimed_by" | "attempts">, result: OutboundResult): Promise<void> {
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
