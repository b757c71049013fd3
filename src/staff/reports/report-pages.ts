import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { ReportTexts } from "../../flows/flow-texts.js";
import { enqueueOutbound } from "../../line/outbox.js";
import type { CaseStatus, Database } from "../../store/database.js";
import { awaitReplyOnCase, endReplyOnCase } from "../../store/line-users.js";
import { audit } from "../audit.js";
import { html, type SafeHtml } from "../html.js";
import type { CaseActions } from "../inquiries/inquiry-pages.js";
import { colleaguesOf, historyOf, notesOf } from "../inquiries/inquiry-queries.js";
import { caseMessages, residentMessages } from "../case-messages.js";
import type { CaseFilters } from "../inquiries/inquiry-filters.js";
import { page } from "../layout.js";
import { STATUS_LABELS } from "../labels.js";
import type { StaffPrincipal } from "../sessions.js";
import {
  addCaseNote,
  caseConversationSection,
  caseNotesSection,
  caseStatusForm,
  dateTime,
  emptyCaseRow,
  filtersOrRefuse,
  historyView,
  NOTE_MAX,
  pager,
  searchNotice,
  statusTabs,
} from "../views.js";
import { countReportsByStatus, findReport, findReportPhoto, listReports, lockReportStatus, parseReportFilters, photosOf, reportDepartments } from "./report-queries.js";

// The 通報 inbox (/staff/reports) and one report's page: where (address, coordinates, a link to a
// public map), the photos, what the resident wrote and the report's own LINE conversation (the
// resident's whole history for administrators only), status, assignee
// and internal notes. Moving a report to 対応中 or 完了 tells the resident by a LINE push.
export type ReportConsoleTexts = Pick<ReportTexts, "categories" | "status_pushes">;

export interface ReportActions extends CaseActions {
  reports: ReportConsoleTexts;
}

// Photos are served only as these image types; anything else stored is sent as opaque bytes.
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

export function reportPages(db: Kysely<Database>, actions: ReportActions): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: "64kb" });
  const categories = actions.reports.categories.map((entry) => entry.label);
  const seededDepartments = [...new Set(actions.reports.categories.map((entry) => entry.department))];

  router.get("/staff/reports", async (req, res) => {
    const staff = req.staff!;
    const filters = filtersOrRefuse(req, res, { path: "/staff/reports", noun: "通報" }, () => parseReportFilters(req.query, categories));
    if (!filters) return;
    if (staff.role !== "admin") filters.department = undefined;
    const [{ rows, hasMore }, counts, allDepartments] = await Promise.all([
      listReports(db, staff, filters),
      countReportsByStatus(db, staff, filters),
      staff.role === "admin" ? reportDepartments(db, seededDepartments) : Promise.resolve([]),
    ]);
    const body = html`
${filterForm(filters, staff, categories, allDepartments)}
${searchNotice(filters)}
${statusTabs("/staff/reports", filters, counts)}
<table class="list">
<thead><tr><th>受付番号</th><th>種類</th><th>場所</th><th class="num">写真</th><th>状態</th><th>担当課</th><th>担当者</th><th>受付日時</th></tr></thead>
<tbody>
${rows.length === 0 ? emptyCaseRow({ noun: "通報", path: "/staff/reports", columns: 8 }, filters, filters.category) : ""}
${rows.map(
  (row) => html`<tr>
<td><a href="/staff/reports/${row.id}">${row.reference_no}</a></td>
<td>${row.category}</td>
<td>${row.address ?? (row.latitude !== null && row.longitude !== null ? `位置情報（${coordinates(row.latitude, row.longitude)}）` : "—")}</td>
<td class="num">${Number(row.photo_count ?? 0)}</td>
<td><span class="status ${row.status}">${STATUS_LABELS[row.status]}</span></td>
<td>${row.department}</td>
<td>${row.assignee ?? "—"}</td>
<td>${dateTime(row.created_at)}</td>
</tr>`,
)}
</tbody>
</table>
${pager("/staff/reports", filters, hasMore)}`;
    res.type("html").send(page({ title: "通報", staff, current: "/staff/reports", body }));
  });

  router.get("/staff/reports/:id", async (req, res) => {
    const staff = req.staff!;
    const report = await findReport(db, staff, req.params.id);
    if (!report) {
      res.status(404).type("html").send(page({ title: "見つかりません", staff, body: html`<p>この通報は見つからないか、閲覧できません。</p><p><a href="/staff/reports">一覧へ戻る</a></p>` }));
      return;
    }
    const [photos, own, whole, notes, history, colleagues] = await Promise.all([
      photosOf(db, report.id),
      caseMessages(db, report.thread_id),
      staff.role === "admin" ? residentMessages(db, report.user_id) : Promise.resolve(null),
      notesOf(db, "report", report.id),
      historyOf(db, "report", report.id),
      colleaguesOf(db, report.department),
    ]);
    const done = typeof req.query.done === "string" ? DONE_MESSAGES[req.query.done] : undefined;
    const error = typeof req.query.error === "string" ? ERROR_MESSAGES[req.query.error] : undefined;
    const blocked = report.follow_state === "blocked";
    const body = html`
<p><a href="/staff/reports">← 一覧へ戻る</a></p>
${done ? html`<p class="notice" role="status">${done}</p>` : ""}
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<div class="columns">
<section>
<h2>${report.reference_no}（${report.category}）</h2>
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
${caseStatusForm(`/staff/reports/${report.id}/status`, staff, report, colleagues)}
${caseNotesSection(`/staff/reports/${report.id}/notes`, staff, notes)}
<h2>操作の記録</h2>
${historyView(history)}
</section>
<section>
${caseConversationSection(own, whole)}
</section>
</div>`;
    res.type("html").send(page({ title: `通報 ${report.reference_no}`, staff, current: "/staff/reports", body }));
  });

  router.post("/staff/reports/:id/status", form, async (req, res) => {
    const staff = req.staff!;
    const report = await findReport(db, staff, req.params.id);
    if (!report) return void res.status(404).json({ error: "この通報は見つかりません。" });
    const body = req.body as Record<string, unknown>;
    const status = String(body.status ?? "") as CaseStatus;
    if (!(status in STATUS_LABELS)) return void res.redirect(303, `/staff/reports/${report.id}?error=status`);
    const assignee = String(body.assignee_id ?? "");
    const colleagues = await colleaguesOf(db, report.department);
    const assigneeId = colleagues.some((person) => person.id === assignee) ? assignee : null;
    const blocked = report.follow_state === "blocked";
    const now = new Date();
    const { ids, changed } = await db.transaction().execute(async (trx) => {
      const from = (await lockReportStatus(trx, report.id)) ?? report.status;
      const changed = from !== status && (status === "in_progress" || status === "closed");
      await trx
        .updateTable("reports")
        .set({ status, assignee_id: assigneeId, updated_at: now, closed_at: status === "closed" ? (report.closed_at ?? now) : null })
        .where("id", "=", report.id)
        .execute();
      const text = changed && !blocked ? statusPush(actions.reports.status_pushes[status], report) : null;
      // Sent because of this report: the notice is the report's message.
      const ids = text ? await enqueueOutbound(trx, { to: report.user_id, messages: [{ type: "text", text }], threadId: report.thread_id }) : [];
      // What the resident writes back to the notice is the report's too, until it is closed.
      if (status === "closed") await endReplyOnCase(trx, report.user_id, report.thread_id);
      else if (text) await awaitReplyOnCase(trx, report.user_id, report.thread_id, now);
      await audit(trx, staff, "report.update", { type: "report", id: report.id }, { from, to: status, assignee_id: assigneeId, notified: ids.length > 0 });
      return { ids, changed };
    });
    await actions.deliver(ids);
    const done = ids.length > 0 ? "notified" : changed && blocked ? "not_notified" : "updated";
    res.redirect(303, `/staff/reports/${report.id}?done=${done}`);
  });

  router.post("/staff/reports/:id/notes", form, async (req, res) => {
    const staff = req.staff!;
    const report = await findReport(db, staff, req.params.id);
    if (!report) return void res.status(404).json({ error: "この通報は見つかりません。" });
    const saved = await addCaseNote(db, staff, "report", report.id, (req.body as Record<string, unknown>).body);
    if (!saved) return void res.redirect(303, `/staff/reports/${report.id}?error=note_length`);
    res.redirect(303, `/staff/reports/${report.id}?done=noted`);
  });

  router.get("/staff/api/report-photos/:photoId", async (req, res) => {
    const photo = await findReportPhoto(db, req.staff!, req.params.photoId);
    if (!photo) return void res.status(404).json({ error: "この写真は見つかりません。" });
    const bytes = Buffer.from(photo.content.buffer, photo.content.byteOffset, photo.content.byteLength);
    res.set({
      "Content-Type": IMAGE_TYPES.has(photo.content_type) ? photo.content_type : "application/octet-stream",
      "Content-Disposition": "inline",
      "X-Content-Type-Options": "nosniff",
      "Content-Length": String(bytes.byteLength),
    });
    res.end(bytes);
  });
  return router;
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

function statusPush(template: string, report: { reference_no: string; category: string; department: string }): string {
  return template.replaceAll("{reference}", report.reference_no).replaceAll("{category}", report.category).replaceAll("{department}", report.department);
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

function filterForm(filters: CaseFilters, staff: StaffPrincipal, categories: string[], allDepartments: string[]): SafeHtml {
  return html`<form method="get" action="/staff/reports" class="filters">
  <label>種類 <select name="category"><option value="">すべて</option>${categories.map((category) => html`<option${filters.category === category ? html` selected` : ""}>${category}</option>`)}</select></label>
  ${filters.status ? html`<input type="hidden" name="status" value="${filters.status}">` : ""}
  ${
    staff.role === "admin"
      ? html`<label>担当課 <select name="department"><option value="">すべて</option>${allDepartments.map((department) => html`<option${filters.department === department ? html` selected` : ""}>${department}</option>`)}</select></label>`
      : ""
  }
  <label>期間 <input type="date" name="from" value="${filters.from ?? ""}"> 〜 <input type="date" name="to" value="${filters.to ?? ""}"></label>
  <label>キーワード <input type="search" name="q" value="${filters.q ?? ""}" placeholder="受付番号・状態の説明・場所"></label>
  <button type="submit">絞り込む</button>
  <a href="/staff/reports">条件をクリア</a>
</form>`;
}
