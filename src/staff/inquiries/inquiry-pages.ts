import express, { type Router } from "express";
import type { Kysely } from "kysely";
import { enqueueOutbound } from "../../line/outbox.js";
import type { CaseStatus, Database } from "../../store/database.js";
import { awaitReplyOnCase, endReplyOnCase } from "../../store/line-users.js";
import { audit } from "../audit.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField, page } from "../layout.js";
import { CATEGORY_LABELS, categoryLabel, DETAIL_LABELS, STATUS_LABELS } from "../labels.js";
import type { StaffPrincipal } from "../sessions.js";
import { caseMessages, residentMessages } from "../case-messages.js";
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
import { filtersQuery, parseCaseFilters, type CaseFilters } from "./inquiry-filters.js";
import { colleaguesOf, countInquiriesByStatus, departments, findInquiry, historyOf, listInquiries, notesOf } from "./inquiry-queries.js";

// The inquiry inbox (/staff/inquiries) and one inquiry's page: the inquiry's own LINE conversation
// (the resident's whole history for administrators only), the form answers, status, assignee, internal notes, and a reply sent to the resident as a push.
export interface CaseActions {
  // Sends outbox rows written by the console (after their transaction committed).
  deliver(ids: string[]): Promise<void>;
}

const REPLY_MAX = 5000;

export function inquiryPages(db: Kysely<Database>, actions: CaseActions): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: "64kb" });

  router.get("/staff/inquiries", async (req, res) => {
    const staff = req.staff!;
    const filters = filtersOrRefuse(req, res, INBOX, () => parseCaseFilters(req.query));
    if (!filters) return;
    const [{ rows, hasMore }, counts, allDepartments] = await Promise.all([
      listInquiries(db, staff, filters),
      countInquiriesByStatus(db, staff, filters),
      staff.role === "admin" ? departments(db) : Promise.resolve([]),
    ]);
    const body = html`
${filterForm(filters, staff, allDepartments)}
${searchNotice(filters)}
${statusTabs("/staff/inquiries", filters, counts)}
<table class="list">
<thead><tr><th>受付番号</th><th>種類</th><th>件名</th><th>状態</th><th>担当課</th><th>担当者</th><th>受付日時</th></tr></thead>
<tbody>
${rows.length === 0 ? emptyCaseRow({ noun: "問い合わせ", path: "/staff/inquiries", columns: 7 }, filters, filters.category ? categoryLabel(filters.category) : undefined) : ""}
${rows.map(
  (row) => html`<tr>
<td><a href="/staff/inquiries/${row.id}">${row.reference_no}</a></td>
<td>${categoryLabel(row.category)}</td>
<td>${row.subject ?? ""}</td>
<td><span class="status ${row.status}">${STATUS_LABELS[row.status]}</span></td>
<td>${row.department}</td>
<td>${row.assignee ?? "—"}</td>
<td>${dateTime(row.created_at)}</td>
</tr>`,
)}
</tbody>
</table>
${pager("/staff/inquiries", filters, hasMore)}
<p><a class="button" href="/staff/api/exports/inquiries.csv${filtersQuery(filters, { page: 1 })}">CSVでダウンロード（Excel用）</a></p>`;
    res.type("html").send(page({ title: "問い合わせ", staff, current: "/staff/inquiries", body }));
  });

  router.get("/staff/inquiries/:id", async (req, res) => {
    const staff = req.staff!;
    const inquiry = await findInquiry(db, staff, req.params.id);
    if (!inquiry) {
      res.status(404).type("html").send(page({ title: "見つかりません", staff, body: html`<p>この問い合わせは見つからないか、閲覧できません。</p><p><a href="/staff/inquiries">一覧へ戻る</a></p>` }));
      return;
    }
    const [own, whole, notes, history, colleagues] = await Promise.all([
      caseMessages(db, inquiry.thread_id),
      staff.role === "admin" ? residentMessages(db, inquiry.user_id) : Promise.resolve(null),
      notesOf(db, "inquiry", inquiry.id),
      historyOf(db, "inquiry", inquiry.id),
      colleaguesOf(db, inquiry.department),
    ]);
    const done = typeof req.query.done === "string" ? DONE_MESSAGES[req.query.done] : undefined;
    const error = typeof req.query.error === "string" ? ERROR_MESSAGES[req.query.error] : undefined;
    const details = Object.entries(inquiry.details ?? {}).filter(([, value]) => value !== null && value !== "");
    const blocked = inquiry.follow_state === "blocked";
    const body = html`
<p><a href="/staff/inquiries">← 一覧へ戻る</a></p>
${done ? html`<p class="notice" role="status">${done}</p>` : ""}
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<div class="columns">
<section>
<h2>${inquiry.reference_no}（${categoryLabel(inquiry.category)}）</h2>
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
${caseStatusForm(`/staff/inquiries/${inquiry.id}/status`, staff, inquiry, colleagues)}
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
}
${caseNotesSection(`/staff/inquiries/${inquiry.id}/notes`, staff, notes)}
<h2>操作の記録</h2>
${historyView(history)}
</section>
<section>
${caseConversationSection(own, whole)}
</section>
</div>`;
    res.type("html").send(page({ title: `問い合わせ ${inquiry.reference_no}`, staff, current: "/staff/inquiries", body }));
  });

  router.post("/staff/inquiries/:id/reply", form, async (req, res) => {
    const staff = req.staff!;
    const inquiry = await findInquiry(db, staff, req.params.id);
    if (!inquiry) return void res.status(404).json({ error: "この問い合わせは見つかりません。" });
    const text = String((req.body as Record<string, unknown>).text ?? "").trim();
    if (!text || text.length > REPLY_MAX) return void res.redirect(303, `/staff/inquiries/${inquiry.id}?error=reply_length`);
    if (inquiry.follow_state === "blocked") return void res.redirect(303, `/staff/inquiries/${inquiry.id}?error=blocked`);
    const ids = await db.transaction().execute(async (trx) => {
      // Sent from this inquiry's page: the reply is this inquiry's message.
      const outbound = await enqueueOutbound(trx, { to: inquiry.user_id, messages: [{ type: "text", text }], threadId: inquiry.thread_id });
      // What the resident writes back is this inquiry's too, so its department reads the answer.
      await awaitReplyOnCase(trx, inquiry.user_id, inquiry.thread_id, new Date());
      await trx
        .updateTable("inquiries")
        .set({ status: inquiry.status === "new" ? "in_progress" : inquiry.status, updated_at: new Date() })
        .where("id", "=", inquiry.id)
        .execute();
      await audit(trx, staff, "inquiry.reply", { type: "inquiry", id: inquiry.id }, { outbound: outbound, length: text.length });
      return outbound;
    });
    await actions.deliver(ids);
    res.redirect(303, `/staff/inquiries/${inquiry.id}?done=sent`);
  });

  router.post("/staff/inquiries/:id/status", form, async (req, res) => {
    const staff = req.staff!;
    const inquiry = await findInquiry(db, staff, req.params.id);
    if (!inquiry) return void res.status(404).json({ error: "この問い合わせは見つかりません。" });
    const body = req.body as Record<string, unknown>;
    const status = String(body.status ?? "") as CaseStatus;
    if (!(status in STATUS_LABELS)) return void res.redirect(303, `/staff/inquiries/${inquiry.id}?error=status`);
    const assignee = String(body.assignee_id ?? "");
    const colleagues = await colleaguesOf(db, inquiry.department);
    const assigneeId = colleagues.some((person) => person.id === assignee) ? assignee : null;
    const now = new Date();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("inquiries")
        .set({ status, assignee_id: assigneeId, updated_at: now, closed_at: status === "closed" ? (inquiry.closed_at ?? now) : null })
        .where("id", "=", inquiry.id)
        .execute();
      if (status === "closed") await endReplyOnCase(trx, inquiry.user_id, inquiry.thread_id);
      await audit(trx, staff, "inquiry.update", { type: "inquiry", id: inquiry.id }, { from: inquiry.status, to: status, assignee_id: assigneeId });
    });
    res.redirect(303, `/staff/inquiries/${inquiry.id}?done=updated`);
  });

  router.post("/staff/inquiries/:id/notes", form, async (req, res) => {
    const staff = req.staff!;
    const inquiry = await findInquiry(db, staff, req.params.id);
    if (!inquiry) return void res.status(404).json({ error: "この問い合わせは見つかりません。" });
    const saved = await addCaseNote(db, staff, "inquiry", inquiry.id, (req.body as Record<string, unknown>).body);
    if (!saved) return void res.redirect(303, `/staff/inquiries/${inquiry.id}?error=note_length`);
    res.redirect(303, `/staff/inquiries/${inquiry.id}?done=noted`);
  });
  return router;
}

const INBOX = { path: "/staff/inquiries", noun: "問い合わせ" };
const DONE_MESSAGES: Record<string, string> = { sent: "返信を送信しました。", updated: "更新しました。", noted: "メモを追加しました。" };
const ERROR_MESSAGES: Record<string, string> = {
  reply_length: `返信は1〜${REPLY_MAX}文字で入力してください。`,
  note_length: `メモは1〜${NOTE_MAX}文字で入力してください。`,
  blocked: "この方は公式アカウントをブロックしているため、返信を送れません。",
  status: "状態の値が正しくありません。",
};

function filterForm(filters: CaseFilters, staff: StaffPrincipal, allDepartments: string[]): SafeHtml {
  return html`<form method="get" action="/staff/inquiries" class="filters">
  <label>種類 <select name="category"><option value="">すべて</option>${Object.entries(CATEGORY_LABELS).map(([value, label]) => html`<option value="${value}"${filters.category === value ? html` selected` : ""}>${label}</option>`)}</select></label>
  ${filters.status ? html`<input type="hidden" name="status" value="${filters.status}">` : ""}
  ${
    staff.role === "admin"
      ? html`<label>担当課 <select name="department"><option value="">すべて</option>${allDepartments.map((department) => html`<option${filters.department === department ? html` selected` : ""}>${department}</option>`)}</select></label>`
      : ""
  }
  <label>期間 <input type="date" name="from" value="${filters.from ?? ""}"> 〜 <input type="date" name="to" value="${filters.to ?? ""}"></label>
  <label>キーワード <input type="search" name="q" value="${filters.q ?? ""}" placeholder="受付番号・件名・やりとり"></label>
  <button type="submit">絞り込む</button>
  <a href="/staff/inquiries">条件をクリア</a>
</form>`;
}
