import type { Request, Response } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { html, type SafeHtml } from "../html.js";
import { page } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import type { CaseFilters } from "./case-filters.js";
import type { CaseKind, CaseRecord } from "./case-kind.js";
import { countCasesByStatus } from "./case-queries.js";
import { emptyCaseRow, filtersOrRefuse, pager, searchNotice, statusTabs } from "./case-views.js";

// An inbox (/staff/inquiries, /staff/reports): the filters, the status tabs with their counts, a
// page of cases newest first, the pager. Conditions no form sends are answered 400.
export function caseInboxPage<Found extends CaseRecord>(db: Kysely<Database>, kind: CaseKind<Found>) {
  return async (req: Request, res: Response): Promise<void> => {
    const staff = req.staff!;
    const filters = filtersOrRefuse(req, res, { path: kind.path, noun: kind.noun }, () => kind.parseFilters(req.query));
    if (!filters) return;
    if (kind.dropsStaffDepartmentFilter && staff.role !== "admin") filters.department = undefined;
    const [{ rows, hasMore }, counts, allDepartments] = await Promise.all([
      kind.listRows(db, staff, filters),
      countCasesByStatus(db, kind, staff, filters),
      staff.role === "admin" ? kind.adminDepartments(db) : Promise.resolve([]),
    ]);
    const category = filters.category ? kind.categoryLabel(filters.category) : undefined;
    const body = html`
${filterForm(kind, filters, staff, allDepartments)}
${searchNotice(filters)}
${statusTabs(kind.path, filters, counts)}
<table class="list">
<thead>${kind.listHead}</thead>
<tbody>
${rows.length === 0 ? emptyCaseRow({ noun: kind.noun, path: kind.path, columns: kind.listColumns }, filters, category) : ""}
${rows}
</tbody>
</table>
${pager(kind.path, filters, hasMore)}${kind.belowList ? kind.belowList(filters) : ""}`;
    res.type("html").send(page({ title: kind.noun, staff, current: kind.path, body }));
  };
}

function filterForm(kind: CaseKind<CaseRecord>, filters: CaseFilters, staff: StaffPrincipal, allDepartments: string[]): SafeHtml {
  return html`<form method="get" action="${kind.path}" class="filters">
  <label>種類 <select name="category"><option value="">すべて</option>${kind.categoryOptions(filters.category)}</select></label>
  ${filters.status ? html`<input type="hidden" name="status" value="${filters.status}">` : ""}
  ${
    staff.role === "admin"
      ? html`<label>担当課 <select name="department"><option value="">すべて</option>${allDepartments.map((department) => html`<option${filters.department === department ? html` selected` : ""}>${department}</option>`)}</select></label>`
      : ""
  }
  <label>期間 <input type="date" name="from" value="${filters.from ?? ""}"> 〜 <input type="date" name="to" value="${filters.to ?? ""}"></label>
  <label>キーワード <input type="search" name="q" value="${filters.q ?? ""}" placeholder="${kind.keywordPlaceholder}"></label>
  <button type="submit">絞り込む</button>
  <a href="${kind.path}">条件をクリア</a>
</form>`;
}
