import type { NoticeRow, NoticeStatus } from "../../store/tables/notices.js";
import type { NoticeListRow } from "../../notices/notice-records.js";
import { canApproveNotice, canCancelNotice } from "../../notices/notice-permissions.js";
import type { NoticeResults } from "../../notices/notice-results.js";
import type { SegmentOptions } from "../../notices/segment-options.js";
import { SEGMENT_FIELDS, type Audience, type SegmentField } from "../../notices/segments.js";
import type { NoticeTemplate } from "../../notices/notice-templates.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import { dateTime } from "../views.js";
import type { ComposeValues } from "./notice-form.js";

export const NOTICE_STATUS_LABELS: Record<NoticeStatus, string> = {
  draft: "下書き",
  pending: "承認待ち",
  approved: "承認済み（配信待ち）",
  sending: "配信中",
  sent: "配信済み",
  failed: "配信できず",
  cancelled: "取り消し",
};
export const FIELD_LABELS: Record<SegmentField, string> = { residence: "お住まい", school_district: "校区", town: "町内", age_band: "年代", interests: "関心のある分野" };
const KIND_LABELS = { text: "テキスト", image: "画像", flex: "Flex（テンプレート）" } as const;

export function noticeList(rows: NoticeListRow[]): SafeHtml {
  return html`<p><a class="button" href="/staff/notices/new">新しいお知らせを作る</a></p>
${
  rows.length === 0
    ? html`<p class="empty">お知らせはまだありません。</p>`
    : html`<table class="list"><thead><tr><th>件名</th><th>種類</th><th>配信先</th><th>状態</th><th>作成</th><th>承認</th><th>配信日時</th><th class="num">配信数</th></tr></thead><tbody>
${rows.map(
  (row) => html`<tr><td><a href="/staff/notices/${row.id}">${row.title}</a></td><td>${KIND_LABELS[row.kind]}</td><td>${row.audience === "all" ? "友だち全員" : "条件で絞り込み"}</td>
<td><span class="status">${NOTICE_STATUS_LABELS[row.status]}</span></td><td>${row.author}</td><td>${row.approver ?? "—"}</td>
<td>${row.send_at ? dateTime(row.send_at) : row.scheduled_at ? dateTime(row.scheduled_at) : "承認後すぐ"}</td><td class="num">${row.recipient_count?.toLocaleString("ja-JP") ?? "—"}</td></tr>`,
)}</tbody></table>`
}`;
}

// The audience's size; when nobody matches, it says so, before staff ask for an approval.
export function recipientCountText(count: number): string {
  return count === 0 ? "0 人（この配信先に当てはまる方はいません。条件を見直してください）" : `${count.toLocaleString("ja-JP")} 人`;
}

export function audienceSummary(audience: Audience, options: SegmentOptions): SafeHtml {
  if (audience.kind === "all") return html`友だち全員（ブロック中の方を除く）`;
  const parts = SEGMENT_FIELDS.filter((field) => audience.segment[field].length > 0).map((field) => {
    const labels = audience.segment[field].map((value) => options[field].find((option) => option.value === value)?.label ?? value);
    return html`<li>${FIELD_LABELS[field]}：${labels.join("・")}${labels.length > 1 ? "（いずれか）" : ""}</li>`;
  });
  return html`<ul class="conditions">${parts}</ul><span class="hint">条件はすべて満たす方に送ります。</span>`;
}

export interface ComposeView {
  staff: StaffPrincipal;
  values: ComposeValues;
  templates: NoticeTemplate[];
  options: SegmentOptions;
  count: number;
  errors: string[];
  linksCounted: boolean;
}

export function composeForm(view: ComposeView): SafeHtml {
  const { values, templates, options } = view;
  const template = templates.find((candidate) => candidate.id === values.template) ?? templates[0];
  const typeLink = (type: string, label: string, templateId?: string) => {
    const current = values.type === type && (!templateId || templateId === template?.id);
    return html`<a href="/staff/notices/new?type=${type}${templateId ? `&template=${templateId}` : ""}"${current ? html` aria-current="page"` : ""}>${label}</a>`;
  };
  return html`${view.errors.length > 0 ? html`<div class="error" role="alert"><ul>${view.errors.map((error) => html`<li>${error}</li>`)}</ul></div>` : ""}
<nav class="tabs" aria-label="お知らせの種類">${typeLink("text", "テキスト")}${typeLink("image", "画像")}${templates.map((candidate) => typeLink("flex", `Flex：${candidate.label}`, candidate.id))}</nav>
<form method="post" action="/staff/notices/new" class="compose-form" data-count-url="/staff/api/notices/count">
${csrfField(view.staff)}<input type="hidden" name="type" value="${values.type}">
<fieldset><legend>内容</legend>
<label class="field">件名（職員用。住民の方には表示されません）<input name="title" value="${values.title}" maxlength="100" required></label>
${contentFields(values, template)}
${view.linksCounted ? html`<p class="hint">本文やボタンのリンクは、押された回数を数えるため市のサーバーを経由するリンクに置き換えて送ります（誰が押したかは記録しません）。</p>` : html`<p class="hint">PUBLIC_BASE_URL が未設定のため、リンクの押された回数は数えません。</p>`}
</fieldset>
<fieldset><legend>配信先</legend>
<label><input type="radio" name="audience" value="all"${values.audience === "all" ? html` checked` : ""}> 友だち全員</label>
<label><input type="radio" name="audience" value="segment"${values.audience === "segment" ? html` checked` : ""}> 受信設定の条件で絞り込む</label>
${SEGMENT_FIELDS.map(
  (field) => html`<div><strong>${FIELD_LABELS[field]}</strong>${
    options[field].length === 0
      ? html` <span class="hint">（まだ選べる値がありません）</span>`
      : html`<div class="checks">${options[field].map(
          (option) =>
            html`<label><input type="checkbox" name="seg_${field}" value="${option.value}"${values.segment[field].includes(option.value as never) ? html` checked` : ""}> ${option.label}</label>`,
        )}</div>`
  }</div>`,
)}
<p class="hint">同じ項目の中で複数選ぶと「いずれか」、項目どうしは「すべて」を満たす方が対象です。ブロック中の方には送りません。</p>
<p>配信対象：<output id="recipient-count" class="count" aria-live="polite">${recipientCountText(view.count)}</output></p>
</fieldset>
<fieldset><legend>配信日時</legend>
<label><input type="radio" name="when" value="now"${values.when === "now" ? html` checked` : ""}> 承認されたらすぐ</label>
<label><input type="radio" name="when" value="later"${values.when === "later" ? html` checked` : ""}> 日時を指定</label>
<input type="datetime-local" name="scheduled_at" value="${values.scheduled_at}" aria-label="配信日時">
</fieldset>
<div class="row"><button type="submit" name="intent" value="draft">下書き保存</button><button type="submit" name="intent" value="submit" class="primary">承認を依頼する</button></div>
</form>
<script src="/staff/assets/notice-compose.js" defer></script>`;
}

function contentFields(values: ComposeValues, template: NoticeTemplate | undefined): SafeHtml {
  if (values.type === "text") {
    return html`<label class="field">本文<textarea name="text" rows="8" maxlength="5000" required>${values.text}</textarea></label>`;
  }
  if (values.type === "image") {
    return html`<label class="field">画像のURL（https、JPEGまたはPNG）<input name="image_url" type="url" value="${values.image_url}" required></label>
<label class="field">プレビュー画像のURL（空欄なら同じ画像）<input name="preview_url" type="url" value="${values.preview_url}"></label>`;
  }
  if (!template) return html`<p class="error">Flexテンプレートがありません（seeds/notice-templates/）。</p>`;
  return html`<input type="hidden" name="template" value="${template.id}">
${template.fields.map((field) =>
  field.kind === "multiline"
    ? html`<label class="field">${field.label}<textarea name="f_${field.key}" rows="5"${field.max ? html` maxlength="${field.max}"` : ""}>${values.fields[field.key] ?? ""}</textarea></label>`
    : html`<label class="field">${field.label}<input name="f_${field.key}" type="${field.kind === "text" ? "text" : "url"}" value="${values.fields[field.key] ?? ""}"${field.max ? html` maxlength="${field.max}"` : ""}></label>`,
)}`;
}

export interface DetailView {
  staff: StaffPrincipal;
  notice: NoticeRow;
  author: string;
  approver: string | null;
  audience: SafeHtml;
  count: number;
  preview: SafeHtml;
  messages: { done?: string; errors: string[] };
}

export function noticeDetail(view: DetailView): SafeHtml {
  const { notice, staff } = view;
  const canApprove = canApproveNotice(staff, notice);
  const action = (path: string, label: string, primary = false) =>
    html`<form method="post" action="/staff/notices/${notice.id}/${path}" class="inline">${csrfField(staff)}<button type="submit"${primary ? html` class="primary"` : ""}>${label}</button></form>`;
  return html`${view.messages.done ? html`<p class="notice" role="status">${view.messages.done}</p>` : ""}
${view.messages.errors.length > 0 ? html`<div class="error" role="alert">${view.messages.errors.map((error) => html`<p>${error}</p>`)}</div>` : ""}
<div class="compose">
<div>
<dl class="facts">
<dt>状態</dt><dd><span class="status">${NOTICE_STATUS_LABELS[notice.status]}</span></dd>
<dt>作成</dt><dd>${view.author}（${dateTime(notice.created_at)}）</dd>
<dt>承認</dt><dd>${view.approver ? html`${view.approver}（${dateTime(notice.approved_at!)}）` : "—"}</dd>
<dt>配信日時</dt><dd>${notice.scheduled_at ? dateTime(notice.scheduled_at) : "承認されたらすぐ"}</dd>
<dt>配信先</dt><dd>${view.audience}</dd>
<dt>${notice.recipient_count === null ? "いまの対象人数" : "配信した人数"}</dt><dd><strong>${notice.recipient_count === null ? recipientCountText(view.count) : `${notice.recipient_count.toLocaleString("ja-JP")} 人`}</strong></dd>
${notice.last_error ? html`<dt>理由</dt><dd class="error">${notice.last_error}</dd>` : ""}
</dl>
<div class="row">
${notice.status === "draft" ? action("submit", "承認を依頼する", true) : ""}
${canApprove ? action("approve", notice.scheduled_at ? "承認して予約する" : "承認して配信する", true) : ""}
${notice.status === "pending" && !canApprove ? html`<span class="hint">${staff.id === notice.created_by ? "作成した方とは別の管理者が承認します。" : "管理者の承認を待っています。"}</span>` : ""}
${canCancelNotice(staff, notice) ? action("cancel", "配信を取り消す") : ""}
${["sending", "sent", "failed"].includes(notice.status) ? html`<a class="button" href="/staff/notices/${notice.id}/results">配信結果を見る</a>` : ""}
</div>
</div>
<div><h2>LINEでの見え方</h2>${view.preview}</div>
</div>
<p><a href="/staff/notices">← 一覧へ戻る</a></p>
<script src="/staff/assets/notice-compose.js" defer></script>`;
}

export function resultsView(notice: NoticeRow, results: NoticeResults): SafeHtml {
  const n = (value: number) => value.toLocaleString("ja-JP");
  return html`<dl class="facts">
<dt>状態</dt><dd><span class="status">${NOTICE_STATUS_LABELS[notice.status]}</span>${notice.status === "sending" ? html` <span class="hint">（配信が終わるまで、数字は増えていきます）</span>` : ""}</dd>
<dt>配信開始</dt><dd>${notice.started_at ? dateTime(notice.started_at) : "—"}</dd>
<dt>配信終了</dt><dd>${notice.finished_at ? dateTime(notice.finished_at) : "—"}</dd>
<dt>対象人数</dt><dd><strong id="result-recipients">${n(results.recipients)} 人</strong></dd>
<dt>届けた人数</dt><dd><strong id="result-reached">${n(results.reached)} 人</strong></dd>
<dt>送信した回数（バッチ）</dt><dd id="result-batches">${n(results.batches.sent)} / ${n(results.batches.total)} 回${results.batches.failed > 0 ? `（失敗 ${n(results.batches.failed)} 回）` : ""}</dd>
<dt>リンクが押された回数</dt><dd id="result-clicks">${n(results.clicks)} 回</dd>
${notice.last_error ? html`<dt>理由</dt><dd class="error">${notice.last_error}</dd>` : ""}
</dl>
<h2>送れなかった分</h2>
${
  results.failures.length === 0
    ? html`<p class="empty">ありません。</p>`
    : html`<table class="list"><thead><tr><th>LINEからの理由</th><th class="num">回数</th><th class="num">人数</th></tr></thead><tbody>${results.failures.map(
        (failure) => html`<tr><td class="pre">${failure.reason}</td><td class="num">${n(failure.batches)}</td><td class="num">${n(failure.recipients)}</td></tr>`,
      )}</tbody></table>`
}
<h2>リンク</h2>
${
  results.links.length === 0
    ? html`<p class="empty">数えているリンクはありません。</p>`
    : html`<table class="list"><thead><tr><th>リンク先</th><th class="num">押された回数</th></tr></thead><tbody>${results.links.map(
        (link) => html`<tr><td><a href="${link.url}" rel="noreferrer" target="_blank">${link.url}</a></td><td class="num">${n(link.clicks)}</td></tr>`,
      )}</tbody></table>`
}
<p><a href="/staff/notices/${notice.id}">← お知らせへ戻る</a></p>`;
}
