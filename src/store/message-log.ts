import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";

type Db = Kysely<Database> | Transaction<Database>;

export interface IncomingMessage {
  userId: string;
  inboxEventId: string;
  messageType: string;
  text: string | null;
  payload: Record<string, unknown> | null;
  lineMessageId: string | null;
  at: Date;
  intent?: string | null;
  confidence?: number | null;
  // The flow run or case the message belongs to (migration 0017); null or absent: none.
  threadId?: string | null;
}

// One row per incoming message or tap. The unique index on inbox_event_id (direction 'in') keeps a
// retried handler from logging the same message twice.
export async function recordIncomingMessage(db: Db, message: IncomingMessage): Promise<void> {
  await incomingMessageQuery(db, message).execute();
}

// The statement of recordIncomingMessage, to be run alone or as part of a larger one.
export function incomingMessageQuery(db: Db, message: IncomingMessage) {
  return db
    .insertInto("messages")
    .values({
      user_id: message.userId,
      direction: "in",
      message_type: message.messageType,
      text: message.text,
      payload: message.payload === null ? null : JSON.stringify(message.payload),
      intent: message.intent ?? null,
      confidence: message.confidence ?? null,
      inbox_event_id: message.inboxEventId,
      line_message_id: message.lineMessageId,
      created_at: message.at,
      // Always a parameter, so the statement's text (and its prepared plan) is the same either way.
      thread_id: message.threadId ?? null,
    })
    // The partial unique index's predicate as a literal, not a parameter: Postgres must see that
    // it matches the index also in a prepared statement's generic plan (prepared-statements.ts).
    .onConflict((conflict) => conflict.column("inbox_event_id").where(sql<boolean>`direction = 'in'`).doNothing());
}

// The resident took a message back (LINE's unsend event): keep the row, drop what it said.
export async function eraseUnsentMessage(db: Db, userId: string, lineMessageId: string): Promise<number> {
  const result = await db
    .updateTable("messages")
    .set({ text: null, payload: JSON.stringify({ unsent: true }) })
    .where("user_id", "=", userId)
    .where("line_message_id", "=", lineMessageId)
    .where("direction", "=", "in")
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
