import type { Kysely, SelectQueryBuilder } from "kysely";
import type { Database } from "../../store/database.js";

// The LINE messages a case page shows. A case sees its own thread only (migration 0017): the flow
// run that created it, its hand-off, the replies sent from its page. The resident's whole history
// (other departments' cases, surveys, free chat) is for administrators.
export const CONVERSATION_LIMIT = 200;

export async function caseMessages(db: Kysely<Database>, thread: string, limit = CONVERSATION_LIMIT) {
  return newestLast(db.selectFrom("messages").where("messages.thread_id", "=", thread), limit);
}

export async function residentMessages(db: Kysely<Database>, userId: string, limit = CONVERSATION_LIMIT) {
  return newestLast(db.selectFrom("messages").where("messages.user_id", "=", userId), limit);
}

// The latest `limit` messages, oldest first, each answer with how its delivery stands (the outbox
// row's status).
async function newestLast(query: SelectQueryBuilder<Database, "messages", object>, limit: number) {
  const rows = await query
    .leftJoin("outbound_messages as outbound", "outbound.id", "messages.outbound_id")
    .select(["messages.id", "messages.direction", "messages.message_type", "messages.text", "messages.payload", "messages.created_at", "outbound.status as delivery"])
    .orderBy("messages.created_at", "desc")
    .orderBy("messages.id", "desc")
    .limit(limit)
    .execute();
  return rows.reverse();
}
