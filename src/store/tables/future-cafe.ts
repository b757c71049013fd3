import type { ColumnType, Generated } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export interface FutureCafeSessionsTable {
  id: Generated<string>;
  code: string;
  town: string;
  starts_at: Timestamp;
  place: string;
  capacity: number | null;
  status: ColumnType<"scheduled" | "cancelled", "scheduled" | "cancelled" | undefined, "scheduled" | "cancelled">;
  note: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ReminderState = "none" | "scheduled" | "sent" | "skipped";

export interface FutureCafeSignupsTable {
  id: Generated<string>;
  session_id: string;
  user_id: string;
  party_size: number;
  created_at: Timestamp;
  cancelled_at: NullableTimestamp;
  reminder_state: ColumnType<ReminderState, ReminderState | undefined, ReminderState>;
  reminder_due_at: NullableTimestamp;
  reminder_outbound_id: string | null;
}
