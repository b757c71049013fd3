import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/database.js";
import type { OutboundMessageRow, OutboundStatus } from "../store/tables/outbox.js";
import type { LineMessage } from "../line/line-client.js";

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
  // The flow run or case the messages belong to (messages.thread_id, migration 0017).
  threadId?: string | null;
}

// What the dispatcher needs of an outbox row to send it and record the outcome.
export type SendableOutbound = Pick<
  OutboundMessageRow,
  | "id"
  | "user_id"
  | "inbox_event_id"
  | "reply_token"
  | "reply_deadline"
  | "messages"
  | "retry_key"
  | "method"
  | "attempts"
  | "claimed_by"
  | "created_at"
  | "reply_outcome_unknown"
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
        created_at: new Date(),
        reply_outcome_unknown: false,
      },
      claim,
    });
  }
  return chunks;
}

// `name as (insert the outbox row returning id and status), name_log as (insert its log rows)`: a
// chunk's writes as two CTEs, for one statement with whatever else the caller writes.
// A row is written claimed (status 'sending', for the caller to send right after commit) only when
// the resident's earlier answers still unsent, if any, are being sent by the same process (its
// dispatcher sends this one after them, send-lanes.ts): otherwise it waits, pending, for them (a
// resident's answers leave in order; OutboundDispatcher sends it when the earlier one is done).
export function outboundStatement(db: Transaction<Database> | Kysely<Database>, name: string, chunk: OutboundChunk, draft: OutboundDraft) {
  const { row, claim } = chunk;
  const waits = sql<boolean>`exists (
    select 1 from outbound_messages earlier
     where earlier.user_id = ${row.user_id}
       and earlier.status in ('pending', 'sending')
       and (earlier.status = 'pending' or earlier.claimed_by is distinct from ${claim?.workerId ?? null}::text))`;
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
        ? {
            status: sql<OutboundStatus>`case when ${waits} then 'pending' else 'sending' end`,
            attempts: sql<number>`case when ${waits} then 0 else ${row.attempts}::int end`,
            claimed_by: sql<string | null>`case when ${waits} then null else ${claim.workerId}::text end`,
            lease_expires_at: sql<Date | null>`case when ${waits} then null else now() + ${claim.leaseMs} * interval '1 millisecond' end`,
          }
        : {}),
    })
    .returning(["id", "status"]);
  const log = db.insertInto("messages").values(
    row.messages.map((message) => ({
      user_id: draft.to,
      direction: "out" as const,
      message_type: message.type,
      text: message.type === "text" ? message.text : "altText" in message ? message.altText : null,
      payload: JSON.stringify(message),
      inbox_event_id: draft.inboxEventId ?? null,
      outbound_id: sql<string>`(select id from ${sql.raw(name)})`,
      thread_id: draft.threadId ?? null,
    })),
  );
  return sql`${sql.raw(name)} as (${outbound}), ${sql.raw(`${name}_log`)} as (${log})`;
}

// Claims outbound rows for sending: the given ids (just written by this process), the next unsent
// rows of the given residents (their earlier answer is done), or, with a limit, any due row
// (pending past its backoff, or "sending" whose sender's lease expired).
// A row is claimed only when no earlier row of the same resident is unsent, so a resident's
// answers leave in the order they were written, whichever process sends them.
// A row taken over from a sender whose lease expired may have reached LINE already: if that sender
// was replying, reply_outcome_unknown records it (OutboundDispatcher).
export async function claimOutbound(
  db: Kysely<Database>,
  workerId: string,
  leaseMs: number,
  selection: { ids: string[] } | { userIds: string[] } | { limit: number },
): Promise<OutboundMessageRow[]> {
  const due =
    "ids" in selection
      ? selection.ids.length === 0
        ? null
        : sql`o.id in (${sql.join(selection.ids)}) and o.status = 'pending'`
      : "userIds" in selection
        ? selection.userIds.length === 0
          ? null
          : sql`o.user_id in (${sql.join(selection.userIds)}) and o.status = 'pending' and o.next_attempt_at <= now()`
        : sql`((o.status = 'pending' and o.next_attempt_at <= now()) or (o.status = 'sending' and o.lease_expires_at < now()))`;
  const limit = "ids" in selection ? selection.ids.length : "userIds" in selection ? selection.userIds.length : selection.limit;
  if (due === null || limit === 0) return [];
  const result = await sql<OutboundMessageRow>`
    update outbound_messages
       set status = 'sending', attempts = attempts + 1, claimed_by = ${workerId},
           lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
           reply_outcome_unknown = reply_outcome_unknown or (status = 'sending' and reply_token is not null)
     where id in (
       select o.id from outbound_messages o
        where ${due}
          and not exists (
            select 1 from outbound_messages earlier
             where earlier.user_id = o.user_id and earlier.id < o.id and earlier.status in ('pending', 'sending'))
        order by o.id limit ${limit} for update skip locked)
    returning *`.execute(db);
  return result.rows;
}

// The unsent answers of one event (to resume sending them after the connection broke as the
// event's transaction committed).
export async function answersOfEvent(db: Kysely<Database>, eventId: string): Promise<(OutboundMessageRow & SendableOutbound)[]> {
  return db
    .selectFrom("outbound_messages")
    .selectAll()
    .where("inbox_event_id", "=", eventId)
    .where("status", "in", ["pending", "sending"])
    .orderBy("id")
    .execute();
}

export type OutboundResult =
  | { status: "sent"; method: "reply" | "push"; httpStatus: number }
  | { status: "skipped"; reason: string }
  | { status: "failed"; method: "reply" | "push"; httpStatus: number | null; error: string }
  | { status: "expired"; method: "reply" | "push" | null; httpStatus: number | null; error: string }
  // replyOutcomeUnknown: this attempt was a reply that may have reached LINE.
  | { status: "retry"; method: "reply" | "push"; httpStatus: number | null; error: string; retryInMs: number; replyOutcomeUnknown?: boolean };

// Records an outcome other than "sent" (SentRecorder writes those), while the sender still holds
// the row (same claimer, same attempt). Returns whether the resident has a later answer waiting
// for this one to be done: the caller sends it next.
export async function recordOutboundResult(
  db: Kysely<Database>,
  row: Pick<OutboundMessageRow, "id" | "claimed_by" | "attempts">,
  result: Exclude<OutboundResult, { status: "sent" }>,
): Promise<boolean> {
  const base = db
    .updateTable("outbound_messages")
    .where("id", "=", row.id)
    .where("claimed_by", "=", row.claimed_by)
    .where("attempts", "=", row.attempts);
  const laterWaiting = sql<boolean>`exists (select 1 from outbound_messages later where later.user_id = outbound_messages.user_id and later.id > outbound_messages.id and later.status = 'pending')`;
  switch (result.status) {
    case "skipped":
      return waiting(await base.set({ status: "skipped", last_error: result.reason, lease_expires_at: null }).returning(laterWaiting.as("waiting")).execute());
    case "failed":
    case "expired":
      return waiting(
        await base
          .set({ status: result.status, method: result.method, last_status: result.httpStatus, last_error: result.error, lease_expires_at: null })
          .returning(laterWaiting.as("waiting"))
          .execute(),
      );
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
          ...(result.replyOutcomeUnknown ? { reply_outcome_unknown: true } : {}),
        })
        .execute();
      return false;
  }
}

// Gives claimed rows back unattempted: pending again, their attempt not counted.
export async function releaseOutbound(db: Kysely<Database>, rows: Pick<OutboundMessageRow, "id" | "claimed_by" | "attempts">[]): Promise<void> {
  for (const row of rows) {
    await db
      .updateTable("outbound_messages")
      .set({ status: "pending", claimed_by: null, lease_expires_at: null, attempts: sql`attempts - 1`, next_attempt_at: sql`now()` })
      .where("id", "=", row.id)
      .where("claimed_by", "=", row.claimed_by)
      .where("attempts", "=", row.attempts)
      .execute();
  }
}

function waiting(rows: { waiting: boolean }[]): boolean {
  return rows.some((row) => row.waiting);
}
