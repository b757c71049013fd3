import type { ColumnType, Generated, JSONColumnType, Selectable } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type OutboundStatus = "pending" | "sending" | "sent" | "failed" | "skipped" | "expired";

export interface OutboundMessagesTable {
  id: Generated<string>;
  user_id: string;
  inbox_event_id: string | null;
  reply_token: string | null;
  reply_deadline: NullableTimestamp;
  messages: JSONColumnType<unknown[], string, string>;
  retry_key: string;
  status: ColumnType<OutboundStatus, OutboundStatus | undefined, OutboundStatus>;
  method: "reply" | "push" | null;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  claimed_by: string | null;
  lease_expires_at: NullableTimestamp;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
  // An earlier reply attempt may have reached LINE (db/migrations/0014_outbound_order_expiry.ts).
  reply_outcome_unknown: ColumnType<boolean, boolean | undefined, boolean>;
}

export type OutboundMessageRow = Selectable<OutboundMessagesTable>;
