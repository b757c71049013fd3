import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import type { StatusCounts } from "../cases/case-counts.js";
import { parseCaseFilters, type CaseFilters } from "../cases/case-filters.js";
import type { CaseSource } from "../cases/case-kind.js";
import { countCasesByStatus, filteredCases, isCaseId, newestPage, scopedCases } from "../cases/case-queries.js";
import type { StaffPrincipal } from "../sessions.js";

// The report inbox's reads, on the shared case queries. A staff member sees their department's
// reports (and their photos); an admin sees all. Another department's report or photo is simply
// not found (404). The keyword is looked for in the reference, the description and the address.
export const reportSource: CaseSource = {
  type: "report",
  table: "reports",
  keywordMatches: (pattern) => [
    sql<boolean>`${sql.ref("reports.reference_no")} ilike ${pattern}`,
    sql<boolean>`${sql.ref("reports.description")} ilike ${pattern}`,
    sql<boolean>`${sql.ref("reports.address")} ilike ${pattern}`,
  ],
};

// Report categories are stored by their seed label (道路, 街灯, …), so the inbox's category filter
// is checked against those labels instead of the inquiry codes' pattern.
export function parseReportFilters(query: unknown, categories: readonly string[]): CaseFilters {
  return parseCaseFilters(query, { categories });
}

export async function listReports(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters) {
  const query = filteredCases(scopedCases(db, reportSource, staff), reportSource, filters, { withStatus: true })
    .leftJoin("staff_users as assignee", "assignee.id", "reports.assignee_id")
    .select((eb) => [
      "reports.id",
      "reports.reference_no",
      "reports.category",
      "reports.status",
      "reports.department",
      "reports.address",
      "reports.latitude",
      "reports.longitude",
      "reports.created_at",
      "assignee.display_name as assignee",
      eb
        .selectFrom("report_photos")
        .select((inner) => inner.fn.countAll<string>().as("n"))
        .whereRef("report_photos.report_id", "=", "reports.id")
        .as("photo_count"),
    ]);
  return newestPage(query, "reports", filters.page);
}

export async function countReportsByStatus(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters): Promise<StatusCounts> {
  return countCasesByStatus(db, reportSource, staff, filters);
}

export async function findReport(db: Kysely<Database>, staff: StaffPrincipal, id: string) {
  if (!isCaseId(id)) return undefined;
  return scopedCases(db, reportSource, staff)
    .leftJoin("line_users as resident", "resident.user_id", "reports.user_id")
    .selectAll("reports")
    .select("resident.follow_state")
    .where("reports.id", "=", id)
    .executeTakeFirst();
}

export type FoundReport = NonNullable<Awaited<ReturnType<typeof findReport>>>;

// The photos' metadata, for the page; the bytes go out one by one through findReportPhoto.
export async function photosOf(db: Kysely<Database>, reportId: string) {
  return db
    .selectFrom("report_photos")
    .select(["id", "content_type", "byte_size", "created_at"])
    .where("report_id", "=", reportId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

// One photo with its bytes, only when its (sent) report is visible to this staff member.
export async function findReportPhoto(db: Kysely<Database>, staff: StaffPrincipal, photoId: string) {
  if (!isCaseId(photoId)) return undefined;
  let query = db
    .selectFrom("report_photos")
    .innerJoin("reports", "reports.id", "report_photos.report_id")
    .select(["report_photos.content", "report_photos.content_type"])
    .where("report_photos.id", "=", photoId);
  if (staff.role !== "admin") query = query.where("reports.department", "=", staff.department);
  return query.executeTakeFirst();
}

// The departments an admin can filter by: those of the seeds' categories and any already on a report.
export async function reportDepartments(db: Kysely<Database>, seeded: readonly string[]): Promise<string[]> {
  // From the kept status counts (a few rows), not from every report.
  const rows = await db.selectFrom("case_status_counts").select("department").distinct().where("case_type", "=", "report").where("n", ">", "0").execute();
  return [...new Set([...seeded, ...rows.map((row) => row.department)])].sort((a, b) => a.localeCompare(b, "ja"));
}
