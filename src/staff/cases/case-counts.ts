import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import type { Database } from "../../store/database.js";
import type { CaseStatus } from "../../store/tables/cases.js";
import type { StaffPrincipal } from "../sessions.js";
import { searchText, type CaseFilters } from "./case-filters.js";
import type { CaseType } from "./case-kind.js";

// The status tabs' counts. Without a filter they are exact, read from case_status_counts (kept by
// triggers in the same transaction as every change, migration 0010). With a filter, each status
// is counted only up to COUNT_CAP + 1 rows: "more than 1,000" is all a tab needs to say, and
// counting hundreds of thousands of matches would make every filtered page slow.
export const COUNT_CAP = 1000;
const STATUSES: readonly CaseStatus[] = ["new", "in_progress", "closed"];

export interface StatusCounts {
  byStatus: Record<CaseStatus, number>;
  // false: a figure above COUNT_CAP means "at least COUNT_CAP + 1".
  exact: boolean;
}

// Only the department narrows the kept counts; any other filter needs the capped count.
export function countableFromTable(filters: CaseFilters): boolean {
  return !filters.category && !filters.from && !filters.to && !searchText(filters);
}

// The department the counts are for: the staff member's own, or the admin's chosen one (or all).
// A staff member filtering by another department sees nothing, as the list does.
function countedDepartment(staff: StaffPrincipal, filters: CaseFilters): { department?: string; none: boolean } {
  if (staff.role === "admin") return filters.department ? { department: filters.department, none: false } : { none: false };
  return { department: staff.department, none: filters.department !== undefined && filters.department !== staff.department };
}

export async function keptStatusCounts(db: Kysely<Database>, caseType: CaseType, staff: StaffPrincipal, filters: CaseFilters): Promise<StatusCounts> {
  const byStatus: Record<CaseStatus, number> = { new: 0, in_progress: 0, closed: 0 };
  const { department, none } = countedDepartment(staff, filters);
  if (none) return { byStatus, exact: true };
  let query = db
    .selectFrom("case_status_counts")
    .select(["status", (eb) => eb.fn.sum<string>("n").as("n")])
    .where("case_type", "=", caseType)
    .groupBy("status");
  if (department !== undefined) query = query.where("department", "=", department);
  for (const row of await query.execute()) byStatus[row.status as CaseStatus] = Number(row.n);
  return { byStatus, exact: true };
}

// One statement, one capped count per status: `select count(*) from (… limit 1001)` three times.
// `matching` orders its rows newest first although a count needs no order: then the planner
// weighs the same two ways as for the list (walk the newest cases and stop at 1,001, or gather
// every match through an index), instead of building a bitmap of every case holding a common
// bigram only to stop after 1,001 of them.
export async function cappedStatusCounts(
  db: Kysely<Database>,
  matching: (status: CaseStatus) => SelectQueryBuilder<Database, keyof Database, object>,
): Promise<StatusCounts> {
  const row = await db
    .selectNoFrom((eb) =>
      STATUSES.map((status) =>
        eb
          .selectFrom(
            matching(status)
              .select(sql<number>`1`.as("one"))
              .limit(COUNT_CAP + 1)
              .as("capped"),
          )
          .select(eb.fn.countAll<string>().as("n"))
          .as(status),
      ),
    )
    .executeTakeFirstOrThrow();
  const counts = row as Record<CaseStatus, string | number | null>;
  return { byStatus: { new: Number(counts.new ?? 0), in_progress: Number(counts.in_progress ?? 0), closed: Number(counts.closed ?? 0) }, exact: false };
}

// How a tab shows a count: the number, or 「1,000件以上」 when it was cut off.
export function countLabel(count: number, exact: boolean): string {
  return !exact && count > COUNT_CAP ? `${COUNT_CAP.toLocaleString("ja-JP")}件以上` : count.toLocaleString("ja-JP");
}
