import type { Kysely } from "kysely";
import type { CaseStatus, Database, OutboundStatus } from "../store/database.js";
import { audit } from "./audit.js";
import { html, type SafeHtml } from "./html.js";
import type { Request, Response } from "express";
import { csrfField, page } from "./layout.js";
import type { StaffPrincipal } from "./sessions.js";
import { STATUS_LABELS } from "./labels.js";
import { countLabel, type StatusCounts } from "./case-counts.js";
import { CaseFilterError, filtersQuery, MIN_SEARCH_CHARS, searchText, searchTooShort, type CaseFilters } from "./inquiries/inquiry-filters.js";

// Pieces shared by the console's pages.
const JST = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
export function dateTime(date: Date | string): string {
  return JST.format(new Date(date));
}

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

interface MessageRow {
  direction: "in" | "out";
  message_type: string;
  text: string | null;
  payload: Record<string, unknown> | null;
  created_at: Date;
  // The answer's delivery (outbound_messages.status); null for the resident's own messages.
  delivery?: OutboundStatus | null;
}

// How an answer's delivery stands, where it is not simply delivered.
const deliveryNotes: Partial<Record<OutboundStatus, string>> = {
  pending: "送信待ち（LINEに届け直しています）",
  sending: "送信中",
  failed: "送信できませんでした（LINEが受け付けませんでした）",
  expired: "送信できませんでした（LINEに長時間届けられず、期限切れになりました）",
  skipped: "送信していません（ブロックされています）",
};

export function conversationView(messages: MessageRow[], empty = "やりとりはまだありません。"): SafeHtml {
  if (messages.length === 0) return html`<p class="empty">${empty}</p>`;
  // Newest first in the markup, shown bottom-up (column-reverse): the box opens on the latest.
  return html`<ol class="chat" reversed>${[...messages].reverse().map(
    (message) => html`<li class="${message.direction === "in" ? "resident" : "bot"}">
<span class="meta">${message.direction === "in" ? "住民" : "市"}・${dateTime(message.created_at)}</span>
<span class="bubble">${describe(message)}</span>${message.delivery && deliveryNotes[message.delivery] ? html`<span class="delivery delivery-${message.delivery}">${deliveryNotes[message.delivery]!}</span>` : ""}</li>`,
  )}</ol>`;
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

function describe(message: MessageRow): string {
  if (message.text) return message.text;
  switch (message.message_type) {
    case "image":
      return "（画像）";
    case "sticker":
      return "（スタンプ）";
    case "location":
      return "（位置情報）";
    case "postback":
      return "（ボタンを押しました）";
    case "flex":
    case "template":
      return "（カード形式のメッセージ）";
    default:
      return `（${message.message_type}）`;
  }
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
export const NOTE_MAX = 5000;

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

// Saves an internal note on a case (and its audit entry); false when the text is empty or too long.
export async function addCaseNote(db: Kysely<Database>, staff: StaffPrincipal, caseType: "inquiry" | "report", caseId: string, body: unknown): Promise<boolean> {
  const text = String(body ?? "").trim();
  if (!text || text.length > NOTE_MAX) return false;
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("case_notes").values({ case_type: caseType, case_id: caseId, staff_id: staff.id, body: text }).execute();
    await audit(trx, staff, `${caseType}.note`, { type: caseType, id: caseId });
  });
  return true;
}
