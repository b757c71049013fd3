import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import type { StatusCounts } from "../cases/case-counts.js";
import type { CaseFilters } from "../cases/case-filters.js";
import { countCasesByStatus, filteredCases, isCaseId, newestPage, scopedCases } from "../cases/case-queries.js";
import type { CaseSource } from "../cases/case-kind.js";
import type { StaffPrincipal } from "../sessions.js";

// The inquiry inbox's reads, on the shared case queries. The keyword is looked for in the inquiry
// and in what the resident wrote in its own thread (migration 0017), never in their other messages.
export const inquirySource: CaseSource = {
  type: "inquiry",
  table: "inquiries",
  keywordMatches: (pattern) => [
    sql<boolean>`${sql.ref("inquiries.reference_no")} ilike ${pattern}`,
    sql<boolean>`${sql.ref("inquiries.subject")} ilike ${pattern}`,
    sql<boolean>`${sql.ref("inquiries.details")}::text ilike ${pattern}`,
    sql<boolean>`thread_wrote(${sql.ref("inquiries.thread_id")}, ${pattern})`,
  ],
};

export async function listInquiries(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters) {
  const query = filteredCases(scopedCases(db, inquirySource, staff), inquirySource, filters, { withStatus: true })
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
    ]);
  return newestPage(query, "inquiries", filters.page);
}

export async function countInquiriesByStatus(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters): Promise<StatusCounts> {
  return countCasesByStatus(db, inquirySource, staff, filters);
}

export async function findInquiry(db: Kysely<Database>, staff: StaffPrincipal, id: string) {
  if (!isCaseId(id)) return undefined;
  return scopedCases(db, inquirySource, staff)
    .leftJoin("vacant_house_listings as listing", "listing.id", "inquiries.listing_id")
    .leftJoin("line_users as resident", "resident.user_id", "inquiries.user_id")
    .selectAll("inquiries")
    .select(["listing.code as listing_code", "listing.title as listing_title", "resident.follow_state"])
    .where("inquiries.id", "=", id)
    .executeTakeFirst();
}

export type FoundInquiry = NonNullable<Awaited<ReturnType<typeof findInquiry>>>;

// The inquiries of the CSV download: the inbox's filters and scope, oldest first, the inquiries'
// own fields only (never the resident's LINE messages).
export async function inquiriesForExport(db: Kysely<Database>, staff: StaffPrincipal, filters: CaseFilters, limit: number) {
  return filteredCases(scopedCases(db, inquirySource, staff), inquirySource, filters, { withStatus: true })
    .leftJoin("staff_users as assignee", "assignee.id", "inquiries.assignee_id")
    .select([
      "inquiries.reference_no",
      "inquiries.category",
      "inquiries.status",
      "inquiries.department",
      "inquiries.subject",
      "inquiries.details",
      "inquiries.created_at",
      "inquiries.closed_at",
      "assignee.display_name as assignee",
    ])
    .orderBy("inquiries.created_at")
    .limit(limit)
    .execute();
}
