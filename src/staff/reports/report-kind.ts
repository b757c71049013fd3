import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import type { CaseKind } from "../cases/case-kind.js";
import { NOTE_MAX } from "../cases/case-writes.js";
import { html, type SafeHtml } from "../html.js";
import { STATUS_LABELS } from "../labels.js";
import type { StaffPrincipal } from "../sessions.js";
import { dateTime } from "../views.js";
import { findReport, listReports, parseReportFilters, photosOf, reportDepartments, reportSource, type FoundReport } from "./report-queries.js";
import { changeReportStatus, type ReportActions } from "./report-writes.js";

// 通報 as a kind of case (/staff/reports): categories are the seeds' labels, a staff member's
// department filter is dropped (they see their own department), the page shows where (address,
// coordinates, a map link) and the photos, and a status change may push the resident a notice.
export function reportKind(actions: ReportActions): CaseKind<FoundReport> {
  const categories = actions.reports.categories.map((entry) => entry.label);
  const seededDepartments = [...new Set(actions.reports.categories.map((entry) => entry.department))];
  return {
    ...reportSource,
    noun: "通報",
    path: "/staff/reports",
    parseFilters: (query) => parseReportFilters(query, categories),
    dropsStaffDepartmentFilter: true,
    categoryOptions: (selected) => html`${categories.map((category) => html`<option${selected === category ? html` selected` : ""}>${category}</option>`)}`,
    categoryLabel: (category) => category,
    keywordPlaceholder: "受付番号・状態の説明・場所",
    adminDepartments: (db) => reportDepartments(db, seededDepartments),
    listHead: html`<tr><th>受付番号</th><th>種類</th><th>場所</th><th class="num">写真</th><th>状態</th><th>担当課</th><th>担当者</th><th>受付日時</th></tr>`,
    listColumns: 8,
    listRows: async (db, staff, filters) => {
      const { rows, hasMore } = await listReports(db, staff, filters);
      return { rows: rows.map(reportRow), hasMore };
    },
    find: findReport,
    caseSection: reportSection,
    doneMessages: DONE_MESSAGES,
    errorMessages: ERROR_MESSAGES,
    changeStatus: (db, staff, report, change) => changeReportStatus(db, actions, staff, report, change),
  };
}

const DONE_MESSAGES: Record<string, string> = {
  updated: "更新しました。",
  notified: "更新し、通報した方へLINEでお知らせしました。",
  not_notified: "更新しました。この方は公式アカウントをブロックしているため、お知らせは送っていません。",
  noted: "メモを追加しました。",
};
const ERROR_MESSAGES: Record<string, string> = {
  note_length: `メモは1〜${NOTE_MAX}文字で入力してください。`,
  status: "状態の値が正しくありません。",
};

function reportRow(row: Awaited<ReturnType<typeof listReports>>["rows"][number]): SafeHtml {
  return html`<tr>
<td><a href="/staff/reports/${row.id}">${row.reference_no}</a></td>
<td>${row.category}</td>
<td>${row.address ?? (row.latitude !== null && row.longitude !== null ? `位置情報（${coordinates(row.latitude, row.longitude)}）` : "—")}</td>
<td class="num">${Number(row.photo_count ?? 0)}</td>
<td><span class="status ${row.status}">${STATUS_LABELS[row.status]}</span></td>
<td>${row.department}</td>
<td>${row.assignee ?? "—"}</td>
<td>${dateTime(row.created_at)}</td>
</tr>`;
}

// The report's facts, where it is, its photos, then the status form with what a change will tell
// the resident.
async function reportSection(db: Kysely<Database>, _staff: StaffPrincipal, report: FoundReport, statusForm: SafeHtml): Promise<SafeHtml> {
  const photos = await photosOf(db, report.id);
  const blocked = report.follow_state === "blocked";
  return html`<h2>${report.reference_no}（${report.category}）</h2>
<dl class="facts">
  <dt>状態</dt><dd><span class="status ${report.status}">${STATUS_LABELS[report.status]}</span></dd>
  <dt>種類</dt><dd>${report.category}</dd>
  <dt>担当課</dt><dd>${report.department}</dd>
  <dt>受付日時</dt><dd>${dateTime(report.created_at)}</dd>
  ${report.closed_at ? html`<dt>完了日時</dt><dd>${dateTime(report.closed_at)}</dd>` : ""}
  <dt>状態の説明</dt><dd class="pre">${report.description ?? "（入力なし）"}</dd>
</dl>
<h2>場所</h2>
${locationView(report)}
<h2>写真（${photos.length}枚）</h2>
${
  photos.length === 0
    ? html`<p class="empty">写真はありません。</p>`
    : html`<div class="photos">${photos.map(
        (photo, index) =>
          html`<a href="/staff/api/report-photos/${photo.id}" target="_blank" rel="noopener noreferrer"><img src="/staff/api/report-photos/${photo.id}" alt="通報の写真 ${index + 1}枚目（${dateTime(photo.created_at)}）" loading="lazy"></a>`,
      )}</div>`
}
<h2>状態・担当者</h2>
${
  blocked
    ? html`<p class="error">この方は公式アカウントをブロックしているため、状態を変えてもLINEでのお知らせは届きません（送信しません）。</p>`
    : html`<p class="hint">状態を「${STATUS_LABELS.in_progress}」または「${STATUS_LABELS.closed}」に変えると、通報した方へLINEでお知らせが届きます。</p>`
}
${statusForm}`;
}

function coordinates(latitude: number, longitude: number): string {
  return `${latitude.toFixed(6)}, ${longitude.toFixed(6)}`;
}

// The address as sent, the coordinates of a LINE location message, and a link that opens the spot
// (or, with only a typed address, a search for it) on OpenStreetMap.
function locationView(report: { address: string | null; latitude: number | null; longitude: number | null }): SafeHtml {
  const { address, latitude, longitude } = report;
  const pinned = latitude !== null && longitude !== null && Number.isFinite(latitude) && Number.isFinite(longitude);
  const map = pinned
    ? html`<a href="https://www.openstreetmap.org/?mlat=${latitude.toFixed(6)}&amp;mlon=${longitude.toFixed(6)}#map=18/${latitude.toFixed(6)}/${longitude.toFixed(6)}" target="_blank" rel="noopener noreferrer">地図（OpenStreetMap）で開く</a>`
    : address
      ? html`<a href="https://www.openstreetmap.org/search?query=${encodeURIComponent(`${address} 人吉市`)}" target="_blank" rel="noopener noreferrer">地図（OpenStreetMap）で住所を検索する</a>`
      : "";
  return html`<dl class="facts">
  <dt>住所・目印</dt><dd class="pre">${address ?? "（入力なし）"}</dd>
  <dt>緯度・経度</dt><dd>${pinned ? coordinates(latitude, longitude) : "（位置情報なし）"}</dd>
  ${map ? html`<dt>地図</dt><dd>${map}</dd>` : ""}
</dl>`;
}
