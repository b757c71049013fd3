import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { Database } from "../../store/database.js";
import { cappedStatusCounts, countableFromTable, keptStatusCounts, type StatusCounts } from "../case-counts.js";
import type { StaffPrincipal } from "../sessions.js";
import { bigramMatchIsExact, japanDayEnd, japanDayStart, likePattern, searchText, type CaseFilters } from "./inquiry-filters.js";

// The inquiry inbox's reads. A staff member sees their department's inquiries; an admin sees all.
// Another department's inquiry is simply not found (404), so nothing about it leaks.
export const PAGE_SIZE = 50;

type InquiryQuery = SelectQueryBuilder<Database, "inquiries", object>;

export function scopedInquiries(db: Kysely<Database>, staff: StaffPrincipal): InquiryQuery {
  const query = db.selectFrom("inquiries");
  return staff.role === "admin" ? query : query.where("inquiries.department", "=", staff.department);
}

// The inbox's filters, shared with the CSV download. The keyword is looked for in the inquiry and in
// what the resident wrote in its own thread (migration 0017), never in their other messages.
export function filteredInquiries(query: InquiryQuery, filters: CaseFilters, options: { withStatus: boolean }): InquiryQuery {
  let q = query;
  if (filters.category) q = q.where("inquiries.category", "=", filters.category);
  if (options.withStatus && filters.status) q = q.where("inquiries.status", "=", filters.status);
  if (filters.department) q = q.where("inquiries.department", "=", filters.department);
  if (filters.from) q = q.where("inquiries.created_at", ">=", japanDayStart(filters.from));
  if (filters.to) q = q.where("inquiries.created_at", "<", japanDayEnd(filters.to));
  const text = searchText(filters);
  if (text) {
    q = q.where(sql<boolean>`inquiries.search_bigrams @@ text_bigram_query(${text})`);
    // The bigrams may be scattered over the text (or over two of the case's messages), so
    // the words themselves are checked too, unless the query is a single bigram.
    if (!bigramMatchIsExact(text)) {
      const pattern = likePattern(text);
      q = q.where((eb) =>
        eb.or([
          eb("inquiries.reference_no", "ilike", pattern),
          eb("inquiries.subject", "ilike", pattern),
          eb(sql<string>`inquiries.details::text`, "ilike", pattern),
          sql<boolean>`thread_wrote(inquiries.thread_id, ${pattern})`,
        ]),
      );
    }
  }
  return q;
}

export async function listInquiries(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters) {
  const rows = await filteredInquiries(scopedInquiries(db, staff), filters, { withStatus: true })
    .leftJoin("staff_users as assignee", "assignee.id", "inquiries.assignee_id")
    .select([
      "inquiries.id",
      "inquiries.reference_no",
      "inquiries.category",
      "inquiries.status",
      "inquiries.department",
      "inquiries.subject",
      "inquiries.created_at",
      "inquiries.updated_at",
      "assignee.display_name as assignee",
    ])
    .orderBy("inquiries.created_at", "desc")
    .orderBy("inquiries.id", "desc")
    .limit(PAGE_SIZE + 1)
    .offset((filters.page - 1) * PAGE_SIZE)
    .execute();
  return { rows: rows.slice(0, PAGE_SIZE), hasMore: rows.length > PAGE_SIZE };
}

// Counts per status under the other filters (so the status tabs say what each would show).
export async function countInquiriesByStatus(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters): Promise<StatusCounts> {
  if (countableFromTable(filters)) return keptStatusCounts(db, "inquiry", staff, filters);
  return cappedStatusCounts(db, (status) =>
    filteredInquiries(scopedInquiries(db, staff), filters, { withStatus: false }).where("inquiries.status", "=", status).orderBy("inquiries.created_at", "desc"),
  );
}

export async function findInquiry(db: Kysely<Database>, staff: StaffPrincipal, id: string) {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  return scopedInquiries(db, staff)
    .leftJoin("vacant_house_listings as listing", "listing.id", "inquiries.listing_id")
    .leftJoin("line_users as resident", "resident.user_id", "inquiries.user_id")
    .selectAll("inquiries")
    .select(["listing.code as listing_code", "listing.title as listing_title", "resident.follow_state"])
    .where("inquiries.id", "=", id)
    .executeTakeFirst();
}

export async function notesOf(db: Kysely<Database>, caseType: "inquiry" | "report", caseId: string) {
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

export async function departments(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom("staff_users").select("department").distinct().orderBy("department").execute();
  return rows.map((row) => row.department);
}
