import type { CaseNotesTable, CaseStatusCountsTable, InquiriesTable, ReportPhotosTable, ReportsTable } from "./tables/cases.js";
import type { FutureCafeSessionsTable, FutureCafeSignupsTable } from "./tables/future-cafe.js";
import type { InboxEventsTable } from "./tables/inbox.js";
import type { KpiIndicatorsTable, KpiValuesTable, MonthlyCountsTable } from "./tables/kpi.js";
import type { ListingPhotosTable, VacantHouseListingsTable } from "./tables/listings.js";
import type { NoticeBatchesTable, NoticeLinksTable, NoticesTable, RateLimitsTable } from "./tables/notices.js";
import type { OutboundMessagesTable } from "./tables/outbox.js";
import type { ConversationsTable, LineFollowEventsTable, LineUsersTable, MessagesTable, ResidentProfilesTable } from "./tables/residents.js";
import type { RichMenuLinksTable } from "./tables/rich-menus.js";
import type { AuditLogTable, LoginAddressAttemptsTable, StaffSessionsTable, StaffUsersTable } from "./tables/staff.js";
import type { SurveyAnswersTable, SurveyQuestionsTable, SurveyResponsesTable, SurveysTable } from "./tables/surveys.js";

// One typed interface naming every table and column of db/migrations, composed from one file per table family.
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
