import type { ColumnType, Generated, JSONColumnType } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type FollowState = "following" | "blocked" | "unknown";

export interface LineUsersTable {
  user_id: string;
  follow_state: ColumnType<FollowState, FollowState | undefined, FollowState>;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  followed_at: NullableTimestamp;
  blocked_at: NullableTimestamp;
  // The case a staff member last wrote to the resident from, until when (migration 0017).
  reply_thread_id: ColumnType<string | null, string | null | undefined, string | null>;
  reply_thread_until: NullableTimestamp;
}

export interface MessagesTable {
  id: Generated<string>;
  user_id: string;
  direction: "in" | "out";
  message_type: string;
  text: string | null;
  payload: JSONColumnType<Record<string, unknown>, string | null, string | null> | null;
  intent: string | null;
  confidence: number | null;
  inbox_event_id: string | null;
  outbound_id: string | null;
  line_message_id: string | null;
  created_at: Timestamp;
  // The flow run or case the message belongs to; null: none (migration 0017).
  thread_id: string | null;
}

export interface ConversationsTable {
  user_id: string;
  flow: string;
  step: string;
  data: JSONColumnType<Record<string, unknown>, string, string>;
  paused: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: Timestamp;
  expires_at: Timestamp;
  // The flow run's thread (migration 0017).
  thread_id: string | null;
}

export type Residence = "city" | "outside";

export interface ResidentProfilesTable {
  user_id: string;
  residence: Residence | null;
  school_district: string | null;
  town: string | null;
  age_band: string | null;
  interests: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LineFollowEventsTable {
  webhook_event_id: string;
  user_id: string;
  kind: "follow" | "unfollow";
  occurred_at: Timestamp;
}
