import { sql, type Transaction } from "kysely";
import type { Database } from "./database.js";
import { userSeenQuery } from "./line-users.js";
import { incomingMessageQuery, type IncomingMessage } from "./message-log.js";
import type { ConversationState } from "./conversations.js";

// What the bot needs to know about a resident before answering them, read in the same round trip
// as the writes every message brings (user seen, message logged): each statement is a round trip
// to the database, and these used to be four.
export interface ResidentTurn {
  // null when the source is not a user (a group or room without a user id): nothing recorded.
  followState: string | null;
  // Staff are handling a hand-off: the bot stays silent.
  openHandoff: boolean;
  // Locked (FOR UPDATE) until the transaction ends, as loadConversation does.
  conversation: ConversationState | null;
}

interface TurnRow {
  follow_state: string | null;
  open_handoff: boolean;
  flow: string | null;
  step: string | null;
  data: Record<string, unknown> | null;
  paused: boolean | null;
  expires_at: Date | string | null;
}

// Data-modifying CTEs all run, whether the final SELECT reads them or not; the SELECT sees the
// tables as they were before them, which is all it reads (hand-offs and conversations).
// `to` is whom the bot answers (the user, or the group when LINE gave no user id); `seen` is the
// user whose event this is, when there is one, recorded as seen at `at`, with `incoming` logged.
export async function openResidentTurn(
  trx: Transaction<Database>,
  turn: { to: string; seen: { userId: string; at: Date; incoming: IncomingMessage | null } | null },
): Promise<ResidentTurn> {
  const userId = turn.to;
  const { seen } = turn;
  const writes = seen
    ? sql`with seen as (${userSeenQuery(trx, seen.userId, seen.at).returning("follow_state")})${seen.incoming ? sql`, logged as (${incomingMessageQuery(trx, seen.incoming)})` : sql``}`
    : sql``;
  const followState = seen ? sql`(select follow_state from seen)` : sql`null::text`;
  const { rows } = await sql<TurnRow>`
    ${writes}
    select ${followState} as follow_state,
           exists (select 1 from inquiries where user_id = ${userId} and category = 'human' and status <> 'closed') as open_handoff,
           c.flow, c.step, c.data, c.paused, c.expires_at
      from (select 1) as one
      left join (select flow, step, data, paused, expires_at from conversations where user_id = ${userId} for update) as c on true`.execute(trx);
  const row = rows[0]!;
  return {
    followState: row.follow_state,
    openHandoff: row.open_handoff,
    conversation:
      row.flow === null
        ? null
        : { flow: row.flow, step: row.step!, data: row.data ?? {}, paused: row.paused ?? false, expiresAt: new Date(row.expires_at!) },
  };
}
