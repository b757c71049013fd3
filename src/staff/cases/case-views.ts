import type { Request, Response } from "express";
import type { CaseStatus } from "../../store/tables/cases.js";
import { html, type SafeHtml } from "../html.js";
import { STATUS_LABELS } from "../labels.js";
import { csrfField, page } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import { conversationView, dateTime, type MessageRow } from "../views.js";
import { countLabel, type StatusCounts } from "./case-counts.js";
import { CaseFilterError, filtersQuery, MIN_SEARCH_CHARS, searchText, searchTooShort, type CaseFilters } from "./case-filters.js";
import { NOTE_MAX } from "./case-writes.js";

// The pieces of an inbox and of a case page that both kinds of case show.
export function statusTabs(path: string, filters: CaseFilters, counts: StatusCounts): SafeHtml {
  const { byStatus, exact } = counts;
  const total = byStatus.new + byStatus.in_progress + byStatus.closed;
  const tab = (status: CaseStatus | undefined, label: string, count: number) =>
    html`<a href="${path}${filtersQuery(filters, { status, page: 1 })}"${filters.status === status ? html` aria-current="true"` : ""}>${label} <b>${countLabel(count, exact)}</b></a>`;
  return html`<nav class="tabs" aria-label="状態">${tab(undefined, "すべて", total)}${(Object.keys(STATUS_LABELS) as CaseStatus[]).map((status) => tab(status, STATUS_LABELS[status], byStatus[status]))}</nav>`;
}

// An inbox's (or its CSV's) filters; conditions no form sends are answered 400 with what to fix,
// and undefined is returned.
export function filtersOrRefuse(req: Request, res: Response, inbox: { path: string; noun: string }, parse: () => CaseFilters): CaseFilters | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof CaseFilterError)) throw error;
    const body = html`<p class="error" role="alert">${inbox.noun}の絞り込み条件に正しくない値があるため、表示できませんでした。</p>
<ul>${error.problems.map((problem) => html`<li>${problem}</li>`)}</ul>
<p><a href="${inbox.path}">条件をクリアして一覧を表示する</a></p>`;
    res.status(400).type("html").send(page({ title: "絞り込み条件を確認してください", staff: req.staff!, current: inbox.path, body }));
    return undefined;
  }
}

// A one-character keyword is not searched (see searchText); the page says so above the list.
export function searchNotice(filters: CaseFilters): SafeHtml {
  return searchTooShort(filters) ? html`<p class="error" role="alert">キーワードは${MIN_SEARCH_CHARS}文字以上で検索してください。1文字では検索していません。</p>` : html``;
}

// The row an empty inbox shows instead of a bare table: nothing yet, nothing on this page, or
// nothing matching the conditions, repeated so staff see what was searched (a one-character
// keyword, which was not searched, is left out). `category` is the category's label.
export function emptyCaseRow(what: { noun: string; path: string; columns: number }, filters: CaseFilters, category: string | undefined): SafeHtml {
  const keyword = searchText(filters);
  const conditions = [
    keyword ? `キーワード「${keyword}」` : "",
    category ? `種類「${category}」` : "",
    filters.status ? `状態「${STATUS_LABELS[filters.status]}」` : "",
    filters.department ? `担当課「${filters.department}」` : "",
    filters.from || filters.to ? `期間「${filters.from ?? ""}〜${filters.to ?? ""}」` : "",
  ].filter((condition) => condition !== "");
  const message =
    filters.page > 1
      ? html`${filters.page}ページ目に表示する${what.noun}はありません。<a href="${what.path}${filtersQuery(filters, { page: 1 })}">1ページ目へ</a>`
      : conditions.length === 0
        ? html`${what.noun}はまだありません。`
        : html`条件に合う${what.noun}はありません（${conditions.join("、")}）。条件を変えるか、<a href="${what.path}">条件をクリア</a>してください。`;
  return html`<tr><td colspan="${what.columns}" class="empty" role="status">${message}</td></tr>`;
}

export function pager(path: string, filters: CaseFilters, hasMore: boolean): SafeHtml {
  if (filters.page === 1 && !hasMore) return html``;
  return html`<nav class="pager" aria-label="ページ">
${filters.page > 1 ? html`<a href="${path}${filtersQuery(filters, { page: filters.page - 1 })}">← 前へ</a>` : ""}
<span>${filters.page}ページ目</span>
${hasMore ? html`<a href="${path}${filtersQuery(filters, { page: filters.page + 1 })}">次へ →</a>` : ""}
</nav>`;
}

// A case page's conversation: the case's own messages for everyone; for administrators also the
// resident's whole history, labelled as such (it holds other departments' cases and surveys).
export function caseConversationSection(own: MessageRow[], whole: MessageRow[] | null): SafeHtml {
  return html`<h2>この案件のLINEのやりとり</h2>
<p class="hint">この案件の入力中のやりとりと、この案件のページから送った返信・お知らせだけを表示しています。</p>
${conversationView(own, "この案件に結びついたやりとりはありません。")}
${
  whole
    ? html`<h2>この方のLINEのやりとり全体（管理者のみ表示）</h2>
<p class="hint">他の課の案件、アンケートの回答、質問への自動応答も含みます。担当課の職員には表示されません。</p>
${conversationView(whole)}`
    : ""
}`;
}

export function notesView(notes: { body: string; created_at: Date; author: string | null }[]): SafeHtml {
  if (notes.length === 0) return html`<p class="empty">メモはありません。</p>`;
  return html`<ul class="notes">${notes.map((note) => html`<li><span class="meta">${note.author ?? "（削除された職員）"}・${dateTime(note.created_at)}</span><span class="pre">${note.body}</span></li>`)}</ul>`;
}

const ACTION_LABELS: Record<string, string> = {
  "inquiry.reply": "LINEで返信",
  "inquiry.update": "状態・担当者を更新",
  "inquiry.note": "メモを追加",
  "report.update": "状態・担当者を更新",
  "report.note": "メモを追加",
  "inquiry.export": "CSVに出力",
};

export function historyView(entries: { action: string; at: Date; who: string | null; detail: Record<string, unknown> }[]): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">記録はありません。</p>`;
  return html`<ul class="history">${entries.map((entry) => {
    const change = typeof entry.detail.to === "string" && entry.detail.to in STATUS_LABELS ? `（→ ${STATUS_LABELS[entry.detail.to as CaseStatus]}）` : "";
    return html`<li>${dateTime(entry.at)} ${entry.who ?? "—"}：${ACTION_LABELS[entry.action] ?? entry.action}${change}</li>`;
  })}</ul>`;
}

// Inquiries and reports are both cases: the same status/assignee form and internal notes.
export function caseStatusForm(
  action: string,
  staff: StaffPrincipal,
  current: { status: CaseStatus; assignee_id: string | null },
  colleagues: { id: string; display_name: string }[],
): SafeHtml {
  return html`<form method="post" action="${action}" class="row">
  ${csrfField(staff)}
  <label>状態 <select name="status">${(Object.keys(STATUS_LABELS) as CaseStatus[]).map((status) => html`<option value="${status}"${status === current.status ? html` selected` : ""}>${STATUS_LABELS[status]}</option>`)}</select></label>
  <label>担当者 <select name="assignee_id"><option value="">（未定）</option>${colleagues.map((person) => html`<option value="${person.id}"${person.id === current.assignee_id ? html` selected` : ""}>${person.display_name}</option>`)}</select></label>
  <button type="submit">更新する</button>
</form>`;
}

export function caseNotesSection(action: string, staff: StaffPrincipal, notes: Parameters<typeof notesView>[0]): SafeHtml {
  return html`<h2>内部メモ（住民の方には見えません）</h2>
${notesView(notes)}
<form method="post" action="${action}" class="reply">
  ${csrfField(staff)}
  <textarea name="body" rows="3" maxlength="${NOTE_MAX}" required></textarea>
  <button type="submit">メモを追加</button>
</form>`;
}
