import type { ColumnType, Generated, JSONColumnType } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type CaseStatus = "new" | "in_progress" | "closed";

// The columns every kind of case has (inquiries and reports).
interface CaseColumns {
  id: Generated<string>;
  reference_no: string;
  user_id: string;
  category: string;
  status: ColumnType<CaseStatus, CaseStatus | undefined, CaseStatus>;
  department: string;
  assignee_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: NullableTimestamp;
  anonymized_at: NullableTimestamp;
  // The thread of the case's messages (migration 0017).
  thread_id: ColumnType<string, string | undefined, string>;
}

export interface InquiriesTable extends CaseColumns {
  subject: string | null;
  details: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  listing_id: string | null;
}

export interface ReportsTable extends CaseColumns {
  description: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
}

export interface ReportPhotosTable {
  id: Generated<string>;
  // Null while the photo belongs to a report the resident has not sent yet.
  report_id: string | null;
  user_id: string | null;
  line_message_id: string | null;
  content_type: string;
  byte_size: number;
  content: Uint8Array;
  created_at: Timestamp;
}

// Per department and status, kept by triggers (migration 0010): the status tabs' exact counts.
export interface CaseStatusCountsTable {
  case_type: "inquiry" | "report";
  department: string;
  status: CaseStatus;
  n: string;
}

export interface CaseNotesTable {
  id: Generated<string>;
  case_type: "inquiry" | "report";
  case_id: string;
  staff_id: string | null;
  body: string;
  created_at: Timestamp;
}
