import type { ColumnType, Generated, JSONColumnType, Selectable } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type NoticeStatus = "draft" | "pending" | "approved" | "sending" | "sent" | "failed" | "cancelled";

export type NoticeKind = "text" | "image" | "flex";

export interface NoticesTable {
  id: Generated<string>;
  title: string;
  kind: NoticeKind;
  content: JSONColumnType<Record<string, unknown>, string, string>;
  messages: JSONColumnType<unknown[], string, string>;
  audience: "all" | "segment";
  segment: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  status: ColumnType<NoticeStatus, NoticeStatus | undefined, NoticeStatus>;
  scheduled_at: NullableTimestamp;
  created_by: string;
  approved_by: string | null;
  approved_at: NullableTimestamp;
  cancelled_by: string | null;
  cancelled_at: NullableTimestamp;
  send_at: NullableTimestamp;
  claimed_by: string | null;
  lease_expires_at: NullableTimestamp;
  planned_through: string | null;
  planning_done: ColumnType<boolean, boolean | undefined, boolean>;
  recipient_count: number | null;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface NoticeBatchesTable {
  id: Generated<string>;
  notice_id: string;
  seq: number;
  method: "broadcast" | "multicast";
  retry_key: string;
  recipients: string[] | null;
  recipient_count: number;
  status: ColumnType<"pending" | "sent" | "failed", "pending" | "sent" | "failed" | undefined, "pending" | "sent" | "failed">;
  attempts: ColumnType<number, number | undefined, number>;
  last_status: number | null;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface NoticeLinksTable {
  token: string;
  notice_id: string;
  url: string;
  clicks: ColumnType<number, number | undefined, number>;
}

export type NoticeRow = Selectable<NoticesTable>;

export type NoticeBatchRow = Selectable<NoticeBatchesTable>;

export interface RateLimitsTable {
  name: string;
  next_slot_at: Timestamp;
}
