import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { Database } from "../../store/database.js";
import type { CaseStatus } from "../../store/tables/cases.js";
import type { StaffPrincipal } from "../sessions.js";
import { cappedStatusCounts, countableFromTable, keptStatusCounts, type StatusCounts } from "./case-counts.js";
import { bigramMatchIsExact, likePattern, searchText, type CaseFilters } from "./case-filters.js";
import { japanDayEnd, japanDayStart } from "../../japan-time.js";
import type { CaseSource, CaseTable, CaseType } from "./case-kind.js";

// The inboxes' reads, for either kind of case. A staff member sees their department's cases; an
// admin sees all. Another department's case is simply not found (404), so nothing about it leaks.
export const PAGE_SIZE = 50;

export type CaseQuery = SelectQueryBuilder<Database, CaseTable, object>;

export function scopedCases(db: Kysely<Database>, source: CaseSource, staff: StaffPrincipal): CaseQuery {
  const query = db.selectFrom(source.table);
  return staff.role === "admin" ? query : query.where(`${source.table}.department`, "=", staff.department);
}

// The inbox's filters, shared with the status tabs and the CSV download.
export function filteredCases(query: CaseQuery, source: CaseSource, filters: CaseFilters, options: { withStatus: boolean }): CaseQuery {
  const table = source.table;
  let q = query;
  if (filters.category) q = q.where(`${table}.category`, "=", filters.category);
  if (options.withStatus && filters.status) q = q.where(`${table}.status`, "=", filters.status);
  if (filters.department) q = q.where(`${table}.department`, "=", filters.department);
  if (filters.from) q = q.where(`${table}.created_at`, ">=", japanDayStart(filters.from));
  if (filters.to) q = q.where(`${table}.created_at`, "<", japanDayEnd(filters.to));
  const text = searchText(filters);
  if (text) {
    q = q.where(sql<boolean>`${sql.ref(`${table}.search_bigrams`)} @@ text_bigram_query(${text})`);
    // The bigrams may be scattered over the text (or over two of the case's messages), so
    // the words themselves are checked too, unless the query is a single bigram.
    if (!bigramMatchIsExact(text)) {
      const matches = source.keywordMatches(likePattern(text));
      q = q.where((eb) => eb.or(matches));
    }
  }
  return q;
}

// One page of an inbox, newest first; one row more is read to know whether a next page exists.
export async function newestPage<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, table: CaseTable, page: number) {
  const rows = await query
    .orderBy(sql.ref(`${table}.created_at`), "desc")
    .orderBy(sql.ref(`${table}.id`), "desc")
    .limit(PAGE_SIZE + 1)
    .offset((page - 1) * PAGE_SIZE)
    .execute();
  return { rows: rows.slice(0, PAGE_SIZE), hasMore: rows.length > PAGE_SIZE };
}

// Counts per status under the other filters (so the status tabs say what each would show).
export async function countCasesByStatus(db: Kysely<Database>, source: CaseSource, staff: StaffPrincipal, filters: CaseFilters): Promise<StatusCounts> {
  if (countableFromTable(filters)) return keptStatusCounts(db, source.type, staff, filters);
  const table = source.table;
  return cappedStatusCounts(db, (status) =>
    filteredCases(scopedCases(db, source, staff), source, filters, { withStatus: false }).where(`${table}.status`, "=", status).orderBy(`${table}.created_at`, "desc"),
  );
}

// Case ids in URLs are bigint serials: anything else is not found without asking the database.
export function isCaseId(id: string): boolean {
  return /^\d{1,18}$/.test(id);
}

export async function notesOf(db: Kysely<Database>, caseType: CaseType, caseId: string) {
  return db
    .selectFrom("case_notes")
    .leftJoin("staff_users", "staff_users.id", "case_notes.staff_id")
    .select(["case_notes.body", "case_notes.created_at", "staff_users.display_name as author"])
    .where("case_type", "=", caseType)
    .where("case_id", "=", caseId)
    .orderBy("case_notes.created_at")
    .execute();
}

export async function historyOf(db: Kysely<Database>, targetType: string, targetId: string) {
  return db
    .selectFrom("audit_log")
    .leftJoin("staff_users", "staff_users.id", "audit_log.staff_id")
    .select(["audit_log.action", "audit_log.detail", "audit_log.at", "staff_users.display_name as who"])
    .where("target_type", "=", targetType)
    .where("target_id", "=", targetId)
    .orderBy("audit_log.at", "desc")
    .limit(50)
    .execute();
}

export async function colleaguesOf(db: Kysely<Database>, department: string) {
  return db.selectFrom("staff_users").select(["id", "display_name"]).where("department", "=", department).where("disabled_at", "is", null).orderBy("display_name").execute();
}

// The assignee a status form chose, when they are a colleague in the case's department; else none.
export async function assigneeAmongColleagues(db: Kysely<Database>, department: string, chosen: unknown): Promise<string | null> {
  const assignee = String(chosen ?? "");
  const colleagues = await colleaguesOf(db, department);
  return colleagues.some((person) => person.id === assignee) ? assignee : null;
}

// The departments staff belong to: what an admin filters inquiries by.
export async function staffDepartments(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom("staff_users").select("department").distinct().orderBy("department").execute();
  return rows.map((row) => row.department);
}

// Locks the case's row for a status change, so two staff members moving it at once act once.
export async function lockCaseStatus(trx: Kysely<Database>, table: CaseTable, id: string): Promise<CaseStatus | undefined> {
  const row = await trx.selectFrom(table).select("status").where("id", "=", id).forUpdate().executeTakeFirst();
  return row?.status;
}
