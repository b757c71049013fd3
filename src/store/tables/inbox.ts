import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type InboxStatus = "pending" | "processing" | "done" | "failed";

export interface InboxEventsTable {
  webhook_event_id: string;
  event_type: string;
  user_id: string | null;
  payload: JSONColumnType<Record<string, unknown>, string, string>;
  event_time: Timestamp;
  is_redelivery: ColumnType<boolean, boolean | undefined, boolean>;
  arrival_seq: Generated<string>;
  received_at: Timestamp;
  status: ColumnType<InboxStatus, InboxStatus | undefined, InboxStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Timestamp;
  claimed_by: string | null;
  lease_expires_at: NullableTimestamp;
  last_error: string | null;
  handled_at: NullableTimestamp;
  // Set aside by a claim until an earlier unfinished event of the same user ends (migration 0016).
  held_back: ColumnType<boolean, boolean | undefined, boolean>;
}

export type InboxEventRow = Selectable<InboxEventsTable>;

export type NewInboxEvent = Insertable<InboxEventsTable>;
