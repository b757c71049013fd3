import type { Transaction } from "kysely";
import type { Database } from "./database.js";

export interface ConversationState {
  flow: string;
  step: string;
  data: Record<string, unknown>;
  paused: boolean;
  expiresAt: Date;
  // The flow run's thread: the messages of this run, and the case it creates, carry it. Null for a
  // draft saved before threads existed (migration 0017).
  thread: string | null;
}

// What a write saves: the flow's step and draft, and the run's thread.
export interface SavedConversation {
  flow: string;
  step: string;
  data: Record<string, unknown>;
  paused?: boolean;
  // Absent only where no flow runs (tests that save a bare state).
  thread?: string;
}

// 30 idle minutes end a draft (issue 5); every saved step moves the deadline.
export const CONVERSATION_IDLE_MS = 30 * 60_000;

// Read with FOR UPDATE: the row stays this transaction's until it commits, whichever process
// serves the resident's next message.
export async function loadConversation(trx: Transaction<Database>, userId: string): Promise<ConversationState | null> {
  const row = await trx.selectFrom("conversations").selectAll().where("user_id", "=", userId).forUpdate().executeTakeFirst();
  if (!row) return null;
  return { flow: row.flow, step: row.step, data: row.data, paused: row.paused, expiresAt: new Date(row.expires_at), thread: row.thread_id };
}

// A change to a resident's conversation, decided while handling an event and written once at its end.
export type ConversationWrite =
  | { kind: "save"; state: SavedConversation; at: Date }
  | { kind: "end" };

export async function saveConversation(
  trx: Transaction<Database>,
  userId: string,
  state: SavedConversation,
  at: Date,
): Promise<void> {
  await conversationWriteQuery(trx, userId, { kind: "save", state, at }).execute();
}

export async function endConversation(trx: Transaction<Database>, userId: string): Promise<void> {
  await conversationWriteQuery(trx, userId, { kind: "end" }).execute();
}

// The statement of a ConversationWrite, to be run alone or as part of a larger one.
export function conversationWriteQuery(trx: Transaction<Database>, userId: string, write: ConversationWrite) {
  if (write.kind === "end") return trx.deleteFrom("conversations").where("user_id", "=", userId);
  const { state, at } = write;
  const values = {
    flow: state.flow,
    step: state.step,
    data: JSON.stringify(state.data),
    paused: state.paused ?? false,
    thread_id: state.thread ?? null,
    updated_at: at,
    expires_at: new Date(at.getTime() + CONVERSATION_IDLE_MS),
  };
  return trx
    .insertInto("conversations")
    .values({ user_id: userId, ...values })
    .onConflict((conflict) => conflict.column("user_id").doUpdateSet(values));
}

// The thread of the resident's open hand-off: what they write while staff handle it belongs to it.
export async function openHandoffThread(trx: Transaction<Database>, userId: string): Promise<string | null> {
  const row = await trx
    .selectFrom("inquiries")
    .select("thread_id")
    .where("user_id", "=", userId)
    .where("category", "=", "human")
    .where("status", "<>", "closed")
    .orderBy("created_at", "desc")
    .executeTakeFirst();
  return row?.thread_id ?? null;
}
