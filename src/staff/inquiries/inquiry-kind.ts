import { filtersQuery, parseCaseFilters } from "../cases/case-filters.js";
import type { CaseKind } from "../cases/case-kind.js";
import { staffDepartments } from "../cases/case-queries.js";
import { NOTE_MAX } from "../cases/case-writes.js";
import { html, type SafeHtml } from "../html.js";
import { CATEGORY_LABELS, categoryLabel, DETAIL_LABELS, STATUS_LABELS } from "../labels.js";
import { csrfField } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import { dateTime } from "../views.js";
import { findInquiry, inquirySource, listInquiries, type FoundInquiry } from "./inquiry-queries.js";
import { changeInquiryStatus } from "./inquiry-writes.js";

// Inquiries as a kind of case (/staff/inquiries): categories are codes shown by their label, a staff
// member filtering by another department sees nothing, the page shows the form answers and a reply
// form (inquiry-pages.ts), and the inbox offers the CSV download.
export const REPLY_MAX = 5000;

export const inquiryKind: CaseKind<FoundInquiry> = {
  ...inquirySource,
  noun: "問い合わせ",
  path: "/staff/inquiries",
  parseFilters: (query) => parseCaseFilters(query),
  dropsStaffDepartmentFilter: false,
  categoryOptions: (selected) =>
    html`${Object.entries(CATEGORY_LABELS).map(([value, label]) => html`<option value="${value}"${selected === value ? html` selected` : ""}>${label}</option>`)}`,
  categoryLabel,
  keywordPlaceholder: "受付番号・件名・やりとり",
  adminDepartments: staffDepartments,
  listHead: html`<tr><th>受付番号</th><th>種類</th><th>件名</th><th>状態</th><th>担当課</th><th>担当者</th><th>受付日時</th></tr>`,
  listColumns: 7,
  listRows: async (db, staff, filters) => {
    const { rows, hasMore } = await listInquiries(db, staff, filters);
    return { rows: rows.map(inquiryRow), hasMore };
  },
  belowList: (filters) => html`
<p><a class="button" href="/staff/api/exports/inquiries.csv${filtersQuery(filters, { page: 1 })}">CSVでダウンロード（Excel用）</a></p>`,
  find: findInquiry,
  caseSection: async (_db, staff, inquiry, statusForm) => inquirySection(staff, inquiry, statusForm),
  doneMessages: { sent: "返信を送信しました。", updated: "更新しました。", noted: "メモを追加しました。" },
  errorMessages: {
    reply_length: `返信は1〜${REPLY_MAX}文字で入力してください。`,
    note_length: `メモは1〜${NOTE_MAX}文字で入力してください。`,
    blocked: "この方は公式アカウントをブロックしているため、返信を送れません。",
    status: "状態の値が正しくありません。",
  },
  changeStatus: changeInquiryStatus,
};

function inquiryRow(row: Awaited<ReturnType<typeof listInquiries>>["rows"][number]): SafeHtml {
  return html`<tr>
<td><a href="/staff/inquiries/${row.id}">${row.reference_no}</a></td>
<td>${categoryLabel(row.category)}</td>
<td>${row.subject ?? ""}</td>
<td><span class="status ${row.status}">${STATUS_LABELS[row.status]}</span></td>
<td>${row.department}</td>
<td>${row.assignee ?? "—"}</td>
<td>${dateTime(row.created_at)}</td>
</tr>`;
}

// The inquiry's facts and form answers, the status form, and the reply form (not for a resident
// who blocked the account: nothing could reach them).
function inquirySection(staff: StaffPrincipal, inquiry: FoundInquiry, statusForm: SafeHtml): SafeHtml {
  const details = Object.entries(inquiry.details ?? {}).filter(([, value]) => value !== null && value !== "");
  const blocked = inquiry.follow_state === "blocked";
  return html`<h2>${inquiry.reference_no}（${categoryLabel(inquiry.category)}）</h2>
<dl class="facts">
  <dt>状態</dt><dd><span class="status ${inquiry.status}">${STATUS_LABELS[inquiry.status]}</span></dd>
  <dt>担当課</dt><dd>${inquiry.department}</dd>
  <dt>件名</dt><dd>${inquiry.subject ?? ""}</dd>
  ${inquiry.listing_code ? html`<dt>物件</dt><dd>${inquiry.listing_code} ${inquiry.listing_title ?? ""}</dd>` : ""}
  <dt>受付日時</dt><dd>${dateTime(inquiry.created_at)}</dd>
  ${staff.role === "admin" ? html`<dt>LINEユーザー</dt><dd><a href="/staff/privacy?user=${inquiry.user_id}">${inquiry.user_id}</a></dd>` : ""}
  ${inquiry.anonymized_at ? html`<dt>個人情報</dt><dd>保存期間を過ぎたため削除済み（${dateTime(inquiry.anonymized_at)}）</dd>` : ""}
  ${details.map(([key, value]) => html`<dt>${DETAIL_LABELS[key] ?? key}</dt><dd class="pre">${Array.isArray(value) ? value.join("、") : String(value)}</dd>`)}
</dl>
${statusForm}
${inquiry.category === "human" && inquiry.status !== "closed" ? html`<p class="hint">この取り次ぎを「完了」にすると、この方への自動応答が再開します。</p>` : ""}
<h2>LINEで返信する</h2>
${
  blocked
    ? html`<p class="error">この方は公式アカウントをブロックしているため、返信を送れません。</p>`
    : html`<form method="post" action="/staff/inquiries/${inquiry.id}/reply" class="reply">
  ${csrfField(staff)}
  <textarea name="text" rows="5" maxlength="${REPLY_MAX}" required placeholder="住民の方へのお返事（LINEのトークに届きます）"></textarea>
  <button type="submit" class="primary">送信する</button>
</form>`
}`;
}
