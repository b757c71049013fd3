import type { Expression, Kysely, SqlBool } from "kysely";
import type { Database } from "../../store/database.js";
import type { CaseStatus } from "../../store/tables/cases.js";
import type { SafeHtml } from "../html.js";
import type { StaffPrincipal } from "../sessions.js";
import type { CaseFilters } from "./case-filters.js";

// Inquiries and reports are two kinds of one case: the same inbox (filters, status tabs, list,
// pager), the same page frame (status and assignee, internal notes, history, the case's own LINE
// conversation), the same 404s. A kind says only what differs: its table, words, categories and
// department rules, how a row and a case are shown, and what a status change does besides saving.
export type CaseType = "inquiry" | "report";
export type CaseTable = "inquiries" | "reports";

// What the shared reads (case-queries.ts) need of a kind: its table, and where its keyword is
// looked for besides the search bigrams (the LIKE recheck).
export interface CaseSource {
  // case_notes.case_type, audit_log.target_type and case_status_counts.case_type.
  type: CaseType;
  table: CaseTable;
  keywordMatches(pattern: string): Expression<SqlBool>[];
}

// What every case row the shared code touches has.
export interface CaseRecord {
  id: string;
  reference_no: string;
  status: CaseStatus;
  department: string;
  assignee_id: string | null;
  user_id: string;
  thread_id: string;
  closed_at: Date | null;
  follow_state: string | null;
}

export interface StatusChange {
  status: CaseStatus;
  assigneeId: string | null;
  now: Date;
}

export interface CaseKind<Found extends CaseRecord = CaseRecord> extends CaseSource {
  // 問い合わせ, 通報: the word the pages use.
  noun: string;
  // The inbox's URL; one case is `${path}/${id}`.
  path: string;

  // The inbox.
  parseFilters(query: unknown): CaseFilters;
  // true: a staff member's department filter is dropped (they see their department anyway);
  // false: filtering by another department shows them nothing.
  dropsStaffDepartmentFilter: boolean;
  categoryOptions(selected: string | undefined): SafeHtml;
  // The category as the empty inbox repeats it.
  categoryLabel(category: string): string;
  keywordPlaceholder: string;
  adminDepartments(db: Kysely<Database>): Promise<string[]>;
  listHead: SafeHtml;
  listColumns: number;
  listRows(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters): Promise<{ rows: SafeHtml[]; hasMore: boolean }>;
  belowList?(filters: CaseFilters): SafeHtml;

  // One case.
  find(db: Kysely<Database>, staff: StaffPrincipal, id: string): Promise<Found | undefined>;
  // The left column above the notes, with the shared status form placed where the kind wants it.
  caseSection(db: Kysely<Database>, staff: StaffPrincipal, found: Found, statusForm: SafeHtml): Promise<SafeHtml>;
  doneMessages: Record<string, string>;
  errorMessages: Record<string, string>;
  // Saves the change (and whatever the kind does with it); answers the `done` key to show.
  changeStatus(db: Kysely<Database>, staff: StaffPrincipal, found: Found, change: StatusChange): Promise<string>;
}

export interface CaseActions {
  // Sends outbox rows written by the console (after their transaction committed).
  deliver(ids: string[]): Promise<void>;
}
