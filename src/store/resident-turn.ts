import { sql, type Expression, type OperationNodeSource, type Transaction } from "kysely";
import type { Database } from "./database.js";
import { userSeenQuery } from "./line-users.js";
import { incomingMessageQuery, type IncomingMessage } from "./message-log.js";
import type { ConversationState } from "./conversations.js";
import { executeStandalone } from "./deferred-begin.js";
import { prepared } from "./prepared-statements.js";

// What the bot needs to know about a resident before answering them. Read with the claim of
// their event, in the same statement (inbox-queries.ts, inbox-writer.ts: `residentStateColumns`),
// or, when the event came without it, in one read of its own. The writes every message brings
// (user seen, message logged) are not made here but returned, for the statement that finishes
// the event (finish-event.ts): so most events cost the database two statements in all, the claim
// and the finish, without BEGIN or COMMIT (deferred-begin.ts).
export interface ResidentState {
  // null when the source is not a user (a group or room without a user id), or for a user the
  // database does not know yet.
  followState: string | null;
  // Staff are handling a hand-off: the bot stays silent.
  openHandoff: boolean;
  // Not locked: the inbox hands one resident's events to one worker at a time, in order, so no
  // other event of theirs changes it before this one's answer is written.
  conversation: ConversationState | null;
  // The case whose page wrote to the resident lately (line-users.ts: awaitReplyOnCase): what they
  // write back outside any flow belongs to it. Null when none, or when that time is over.
  replyThread: string | null;
}

export interface ResidentTurn extends ResidentState {
  // User seen and message logged, to be written with the event's answer (both idempotent).
  writes: OperationNodeSource[];
}

// The columns a claim returns for its event's user: whoever claims an event is the one to answer
// it, and no other event of that user is unfinished (the inbox's order), so this is their state
// as the answer will find it.
export interface ResidentStateColumns {
  resident_follow_state: string | null;
  resident_open_handoff: boolean;
  resident_reply_thread: string | null;
  resident_conversation: { flow: string; step: string; data: Record<string, unknown> | null; paused: boolean; expires_at: string; thread_id?: string | null } | null;
}

export function residentStateColumns(userId: Expression<string | null>) {
  return sql<ResidentStateColumns>`
    (select follow_state from line_users where user_id = ${userId}) as resident_follow_state,
    exists (select 1 from inquiries where user_id = ${userId} and category = 'human' and status <> 'closed') as resident_open_handoff,
    (select reply_thread_id from line_users where user_id = ${userId} and reply_thread_until > now()) as resident_reply_thread,
    (select json_build_object('flow', flow, 'step', step, 'data', data, 'paused', paused, 'expires_at', expires_at, 'thread_id', thread_id)
       from conversations where user_id = ${userId}) as resident_conversation`;
}

export function residentStateOf(row: ResidentStateColumns): ResidentState {
  const conversation = row.resident_conversation;
  return {
    followState: row.resident_follow_state,
    openHandoff: row.resident_open_handoff,
    replyThread: row.resident_reply_thread ?? null,
    conversation:
      conversation === null
        ? null
        : { flow: conversation.flow, step: conversation.step, data: conversation.data ?? {}, paused: conversation.paused ?? false, expiresAt: new Date(conversation.expires_at), thread: conversation.thread_id ?? null },
  };
}

// `to` is whom the bot answers (the user, or the group when LINE gave no user id); `seen` is the
// user whose event this is, when there is one, to be recorded as seen at `at`, with `incoming` logged.
// `claimed`: the state read with the event's claim, for `to`; without it, it is read here.
export async function openResidentTurn(
  trx: Transaction<Database>,
  turn: { to: string; seen: { userId: string; at: Date; incoming: IncomingMessage | null } | null },
  claimed: ResidentState | null = null,
): Promise<ResidentTurn> {
  const { to, seen } = turn;
  const writes = seen ? [userSeenQuery(trx, seen.userId, seen.at), ...(seen.incoming ? [incomingMessageQuery(trx, seen.incoming)] : [])] : [];
  if (claimed) return { ...claimed, writes };
  const { rows } = await executeStandalone(trx, prepared(sql<ResidentStateColumns>`select ${residentStateColumns(sql`${to}::text`)}`.compile(trx)));
  const state = residentStateOf(rows[0]!);
  // A group's follow state is not a user's (no user id: nothing recorded).
  return { ...state, followState: seen ? state.followState : null, writes };
}
