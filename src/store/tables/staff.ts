import type { ColumnType, Generated, JSONColumnType } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type StaffRole = "admin" | "staff";

export interface StaffUsersTable {
  id: Generated<string>;
  login_id: string;
  display_name: string;
  department: string;
  role: StaffRole;
  password_hash: string;
  failed_logins: ColumnType<number, number | undefined, number>;
  locked_until: NullableTimestamp;
  disabled_at: NullableTimestamp;
  created_at: Timestamp;
  last_login_at: NullableTimestamp;
}

export interface StaffSessionsTable {
  id: string;
  staff_id: string;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  staff_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  at: Timestamp;
}

// Failed staff logins per client address in the current window (migration 0018).
export interface LoginAddressAttemptsTable {
  address: string;
  window_started_at: Timestamp;
  failures: number;
}
