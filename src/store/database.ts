import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable } from "kysely";

// One typed interface naming every table and column of db/migrations.
// Timestamps are read back as Date and may be written as Date or ISO string.
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
// Postgres `numeric` comes back from both drivers as a string; we never lose precision on the way in.
type Numeric = ColumnType<string, number | string, number | string>;
type NullableNumeric = ColumnType<string | null, number | string | null | undefined, number | string | null>;
type BigId = ColumnType<string, never, never>;

export type FollowState = "following" | "blocked" | "unknown";
export type InboxStatus = "pending" | "processing" | "done" | "failed";
export type OutboundStatus = "pending" | "sending" | "sent" | "failed" | "skipped" | "expired";
export type CaseStatus = "new" | "in_progress" | "closed";

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

export interface InquiriesTable {
  id: Generated<string>;
  reference_no: string;
  user_id: string;
  category: string;
  status: ColumnType<CaseStatus, CaseStatus | undefined, CaseStatus>;
  department: string;
  subject: string | null;
  details: JSONColumnType<Record<string, unknown>, string | undefined, string>;
  listing_id: string | null;
  assignee_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: NullableTimestamp;
  anonymized_at: NullableTimestamp;
  // The thread of the case's messages (migration 0017).
  thread_id: ColumnType<string, string | undefined, string>;
}

export interface ReportsTable {
  id: Generated<string>;
  reference_no: string;
  user_id: string;
  category: string;
  status: ColumnType<CaseStatus, CaseStatus | undefined, CaseStatus>;
  department: string;
  description: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  assignee_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  closed_at: NullableTimestamp;
  anonymized_at: NullableTimestamp;
  // The thread of the case's messages (migration 0017).
  thread_id: ColumnType<string, string | undefined, string>;
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

export type SurveyStatus = "draft" | "open" | "closed";
export type QuestionKind = "single" | "multiple" | "scale" | "text";

export interface SurveysTable {
  id: Generated<string>;
  slug: string;
  title: string;
  description: string | null;
  department: string | null;
  status: ColumnType<SurveyStatus, SurveyStatus | undefined, SurveyStatus>;
  audience: ColumnType<"all" | "link", "all" | "link" | undefined, "all" | "link">;
  opens_at: NullableTimestamp;
  closes_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SurveyQuestionsTable {
  id: Generated<string>;
  survey_id: string;
  position: number;
  kind: QuestionKind;
  prompt: string;
  options: JSONColumnType<string[], string | undefined, string>;
  required: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface SurveyResponsesTable {
  id: Generated<string>;
  survey_id: string;
  user_id: string;
  submitted_at: Timestamp;
  // When the retention job removed the free-text answers (migration 0019).
  free_text_removed_at: NullableTimestamp;
}

export interface SurveyAnswersTable {
  response_id: string;
  question_id: string;
  value: ColumnType<unknown, string, string>;
}

export type ListingStatus = "draft" | "published" | "unpublished" | "contracted";

export interface VacantHouseListingsTable {
  id: Generated<string>;
  code: string;
  title: string;
  area: string;
  address: string | null;
  deal_type: "rent" | "sale";
  price_yen: number;
  layout: string | null;
  floor_area_sqm: NullableNumeric;
  land_area_sqm: NullableNumeric;
  built_year: number | null;
  description: string | null;
  photo_url: string | null;
  status: ColumnType<ListingStatus, ListingStatus | undefined, ListingStatus>;
  contracted_at: ColumnType<Date | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ListingPhotosTable {
  id: Generated<string>;
  listing_id: string;
  content_type: "image/jpeg" | "image/png" | "image/webp";
  byte_size: number;
  content: Uint8Array;
  created_at: Timestamp;
}

export interface KpiIndicatorsTable {
  id: string;
  name: string;
  aliases: JSONColumnType<string[], string | undefined, string>;
  unit: string;
  policy_no: number;
  policy_name: string;
  level: "policy" | "project";
  baseline_value: NullableNumeric;
  achievement_mark: string | null;
  target_value: NullableNumeric;
  departments: JSONColumnType<string[], string | undefined, string>;
  live_source: string | null;
  note: string | null;
  position: number;
}

export interface KpiValuesTable {
  indicator_id: string;
  fiscal_year: number;
  kind: "actual" | "target";
  source: string;
  value: Numeric;
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

// Per department and status, kept by triggers (migration 0010): the status tabs' exact counts.
export interface CaseStatusCountsTable {
  case_type: "inquiry" | "report";
  department: string;
  status: CaseStatus;
  n: string;
}

// Counts by month in Japan, kept by triggers (migration 0010): the KPI dashboard's live figures.
export interface MonthlyCountsTable {
  counter: string;
  month: string;
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

export interface RichMenuLinksTable {
  user_id: string;
  wanted_alias: string | null;
  linked_alias: string | null;
  due_at: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  synced_at: NullableTimestamp;
  updated_at: Timestamp;
}

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

export interface RateLimitsTable {
  name: string;
  next_slot_at: Timestamp;
}

// Failed staff logins per client address in the current window (migration 0018).
export interface LoginAddressAttemptsTable {
  address: string;
  window_started_at: Timestamp;
  failures: number;
}

export interface Database {
  login_address_attempts: LoginAddressAttemptsTable;
  notices: NoticesTable;
  notice_batches: NoticeBatchesTable;
  notice_links: NoticeLinksTable;
  rate_limits: RateLimitsTable;
  resident_profiles: ResidentProfilesTable;
  rich_menu_links: RichMenuLinksTable;
  line_follow_events: LineFollowEventsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  audit_log: AuditLogTable;
  case_notes: CaseNotesTable;
  case_status_counts: CaseStatusCountsTable;
  monthly_counts: MonthlyCountsTable;
  future_cafe_sessions: FutureCafeSessionsTable;
  future_cafe_signups: FutureCafeSignupsTable;
  conversations: ConversationsTable;
  line_users: LineUsersTable;
  inbox_events: InboxEventsTable;
  outbound_messages: OutboundMessagesTable;
  messages: MessagesTable;
  inquiries: InquiriesTable;
  reports: ReportsTable;
  report_photos: ReportPhotosTable;
  surveys: SurveysTable;
  survey_questions: SurveyQuestionsTable;
  survey_responses: SurveyResponsesTable;
  survey_answers: SurveyAnswersTable;
  vacant_house_listings: VacantHouseListingsTable;
  listing_photos: ListingPhotosTable;
  kpi_indicators: KpiIndicatorsTable;
  kpi_values: KpiValuesTable;
}

export type InboxEventRow = Selectable<InboxEventsTable>;
export type NewInboxEvent = Insertable<InboxEventsTable>;
export type OutboundMessageRow = Selectable<OutboundMessagesTable>;
export type NoticeRow = Selectable<NoticesTable>;
export type NoticeBatchRow = Selectable<NoticeBatchesTable>;
