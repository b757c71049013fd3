import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { CaseStatus, Database } from "../../store/database.js";
import { cappedStatusCounts, countableFromTable, keptStatusCounts, type StatusCounts } from "../case-counts.js";
import { japanDayEnd, japanDayStart, likePattern, parseCaseFilters, bigramMatchIsExact, searchText, type CaseFilters } from "../inquiries/inquiry-filters.js";
import { PAGE_SIZE } from "../inquiries/inquiry-queries.js";
import type { StaffPrincipal } from "../sessions.js";

// The report inbox's reads. A staff member sees their department's reports (and their photos); an
// admin sees all. Another department's report or photo is simply not found (404).
type ReportQuery = SelectQueryBuilder<Database, "reports", object>;

// Report categories are stored by their seed label (道路, 街灯, …), so the inbox's category filter
// is checked against those labels instead of the inquiry codes' pattern.
export function parseReportFilters(query: unknown, categories: readonly string[]): CaseFilters {
  return parseCaseFilters(query, { categories });
}

function scoped(db: Kysely<Database>, staff: StaffPrincipal): ReportQuery {
  const query = db.selectFrom("reports");
  return staff.role === "admin" ? query : query.where("reports.department", "=", staff.department);
}

function filtered(query: ReportQuery, filters: CaseFilters, options: { withStatus: boolean }): ReportQuery {
  let q = query;
  if (filters.category) q = q.where("reports.category", "=", filters.category);
  if (options.withStatus && filters.status) q = q.where("reports.status", "=", filters.status);
  if (filters.department) q = q.where("reports.department", "=", filters.department);
  if (filters.from) q = q.where("reports.created_at", ">=", japanDayStart(filters.from));
  if (filters.to) q = q.where("reports.created_at", "<", japanDayEnd(filters.to));
  const text = searchText(filters);
  if (text) {
    q = q.where(sql<boolean>`reports.search_bigrams @@ text_bigram_query(${text})`);
    if (!bigramMatchIsExact(text)) {
      const pattern = likePattern(text);
      q = q.where((eb) => eb.or([eb("reports.reference_no", "ilike", pattern), eb("reports.description", "ilike", pattern), eb("reports.address", "ilike", pattern)]));
    }
  }
  return q;
}

export async function listReports(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters) {
  const rows = await filtered(scoped(db, staff), filters, { withStatus: true })
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
    ])
    .orderBy("reports.created_at", "desc")
    .orderBy("reports.id", "desc")
    .limit(PAGE_SIZE + 1)
    .offset((filters.page - 1) * PAGE_SIZE)
    .execute();
  return { rows: rows.slice(0, PAGE_SIZE), hasMore: rows.length > PAGE_SIZE };
}

// Counts per status under the other filters (so the status tabs say what each would show).
export async function countReportsByStatus(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters): Promise<StatusCounts> {
  if (countableFromTable(filters)) return keptStatusCounts(db, "report", staff, filters);
  return cappedStatusCounts(db, (status) =>
    filtered(scoped(db, staff), filters, { withStatus: false }).where("reports.status", "=", status).orderBy("reports.created_at", "desc"),
  );
}

export async function findReport(db: Kysely<Database>, staff: StaffPrincipal, id: string) {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  return scoped(db, staff)
    .leftJoin("line_users as resident", "resident.user_id", "reports.user_id")
    .selectAll("reports")
    .select("resident.follow_state")
    .where("reports.id", "=", id)
    .executeTakeFirst();
}

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
  if (!/^\d{1,18}$/.test(photoId)) return undefined;
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

// Locks the report's row for a status change, so two staff members moving it at once push the
// resident one message, not two.
export async function lockReportStatus(trx: Kysely<Database>, id: string): Promise<CaseStatus | undefined> {
  const row = await trx.selectFrom("reports").select("status").where("id", "=", id).forUpdate().executeTakeFirst();
  return row?.status;
}
