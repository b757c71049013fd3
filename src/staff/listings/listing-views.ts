import type { ListingStatus } from "../../store/tables/listings.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import { dateTime } from "../views.js";
import { LIMITS, type FormErrors, type FormField, type ListingFormInput } from "./listing-form.js";
import type { ListingDetail, listListings } from "./listing-queries.js";
import { allowed, DEAL_LABELS, japanToday, LINE_IMAGE_TYPES, LISTING_STATUS_LABELS } from "./listing-rules.js";

// The HTML of the 空き家バンク pages: the list, one listing, and the form.
export const PHOTO_MAX_BYTES = 5 * 1024 * 1024;

export function priceLabel(dealType: "rent" | "sale", yen: number): string {
  return dealType === "rent" ? `月額 ${yen.toLocaleString("ja-JP")}円` : `${yen.toLocaleString("ja-JP")}円`;
}

export function statusBadge(status: ListingStatus): SafeHtml {
  return html`<span class="status listing-${status}">${LISTING_STATUS_LABELS[status]}</span>`;
}

type ListRow = Awaited<ReturnType<typeof listListings>>[number];

export function listingTable(rows: ListRow[], filter: ListingStatus | undefined, counts: Record<ListingStatus, number>, canEdit: boolean, truncated: boolean): SafeHtml {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const tab = (status: ListingStatus | undefined, label: string, count: number) =>
    html`<a href="/staff/listings${status ? `?status=${status}` : ""}"${filter === status ? html` aria-current="true"` : ""}>${label} <b>${count.toLocaleString("ja-JP")}</b></a>`;
  return html`
<p class="row">${canEdit ? html`<a class="button" href="/staff/listings/new">新しい物件を登録する</a>` : ""}
<span class="hint">「公開中」の物件が、LINEの空き家バンク検索に表示されます。${canEdit ? "" : "物件の登録・変更は地域コミュニティ課の職員と管理者が行います。"}</span></p>
<nav class="tabs" aria-label="状態">${tab(undefined, "すべて", total)}${(Object.keys(LISTING_STATUS_LABELS) as ListingStatus[]).map((status) => tab(status, LISTING_STATUS_LABELS[status], counts[status]))}</nav>
<table class="list">
<thead><tr><th>物件番号</th><th>物件名</th><th>地区</th><th>種別</th><th class="num">価格</th><th>間取り</th><th>状態</th><th>成約日</th><th>写真</th><th>更新日時</th></tr></thead>
<tbody>
${rows.length === 0 ? html`<tr><td colspan="10" class="empty" role="status">${emptyListingMessage(filter, canEdit)}</td></tr>` : ""}
${rows.map(
  (row) => html`<tr>
<td><a href="/staff/listings/${row.id}">${row.code}</a></td>
<td>${row.title}</td>
<td>${row.area}</td>
<td>${DEAL_LABELS[row.deal_type]}</td>
<td class="num">${priceLabel(row.deal_type, row.price_yen)}</td>
<td>${row.layout ?? "—"}</td>
<td>${statusBadge(row.status)}</td>
<td>${row.contracted_on ?? "—"}</td>
<td>${row.photo_id ? "あり" : "—"}</td>
<td>${dateTime(row.updated_at)}</td>
</tr>`,
)}
</tbody>
</table>
${truncated ? html`<p class="hint">表示は先頭の${rows.length.toLocaleString("ja-JP")}件までです。状態で絞り込んでください。</p>` : ""}`;
}

function emptyListingMessage(filter: ListingStatus | undefined, canEdit: boolean): SafeHtml {
  if (filter) return html`状態が「${LISTING_STATUS_LABELS[filter]}」の物件はありません。<a href="/staff/listings">すべての物件を見る</a>`;
  return html`物件はまだ登録されていません。${canEdit ? "「新しい物件を登録する」から登録できます。" : ""}`;
}

const HISTORY_LABELS: Record<string, string> = {
  "listing.create": "下書きとして登録",
  "listing.update": "内容を更新",
  "listing.publish": "公開",
  "listing.unpublish": "非公開に変更",
  "listing.contract": "成約を記録",
  "listing.uncontract": "成約の記録を取り消し",
  "listing.photo": "写真を登録",
};

export function listingHistory(entries: { action: string; at: Date; who: string | null; detail: Record<string, unknown> }[]): SafeHtml {
  if (entries.length === 0) return html`<p class="empty">記録はありません。</p>`;
  return html`<ul class="history">${entries.map((entry) => {
    const date = typeof entry.detail.contracted_at === "string" ? `（成約日 ${entry.detail.contracted_at}）` : "";
    return html`<li>${dateTime(entry.at)} ${entry.who ?? "—"}：${HISTORY_LABELS[entry.action] ?? entry.action}${date}</li>`;
  })}</ul>`;
}

export function listingDetail(options: {
  listing: ListingDetail;
  staff: StaffPrincipal;
  canEdit: boolean;
  history: SafeHtml;
  publicBaseUrl: string | null;
  now: Date;
  notice?: string | undefined;
  error?: string | undefined;
  contractDate?: string | undefined;
}): SafeHtml {
  const { listing, staff, canEdit, now } = options;
  const facts: [string, string | SafeHtml | null][] = [
    ["状態", statusBadge(listing.status)],
    ["成約日", listing.contracted_on],
    ["種別", DEAL_LABELS[listing.deal_type]],
    ["価格", priceLabel(listing.deal_type, listing.price_yen)],
    ["地区", listing.area],
    ["所在地", listing.address],
    ["間取り", listing.layout],
    ["延床面積", listing.floor_area_sqm === null ? null : `${Number(listing.floor_area_sqm)}㎡`],
    ["土地面積", listing.land_area_sqm === null ? null : `${Number(listing.land_area_sqm)}㎡`],
    ["建築年", listing.built_year === null ? null : `${listing.built_year}年`],
    ["登録日時", dateTime(listing.created_at)],
    ["更新日時", dateTime(listing.updated_at)],
  ];
  return html`
<p><a href="/staff/listings">← 一覧へ戻る</a></p>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ""}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
<div class="columns">
<section>
<h2>${listing.code} ${listing.title}</h2>
<dl class="facts">
${facts.filter(([, value]) => value !== null).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
${listing.description ? html`<dt>紹介文</dt><dd class="pre">${listing.description}</dd>` : ""}
</dl>
${canEdit ? html`<p><a class="button" href="/staff/listings/${listing.id}/edit">内容を編集する</a></p>` : ""}
<h2>公開と成約</h2>
${canEdit ? statusForms(listing, staff, now, options.contractDate) : html`<p class="hint">公開・非公開・成約の記録は、地域コミュニティ課の職員と管理者が行います。</p>`}
<h2>操作の記録</h2>
${options.history}
</section>
<section>
<h2>写真</h2>
${photoSection(listing, staff, canEdit, options.publicBaseUrl)}
</section>
</div>`;
}

function statusForms(listing: ListingDetail, staff: StaffPrincipal, now: Date, contractDate: string | undefined): SafeHtml {
  const action = (name: string, label: string, hint: string) =>
    html`<form method="post" action="/staff/listings/${listing.id}/${name}" class="row">${csrfField(staff)}<button type="submit">${label}</button><span class="hint">${hint}</span></form>`;
  const contracted = listing.status === "contracted";
  return html`
${allowed("publish", listing.status) ? action("publish", "公開する", "LINEの空き家バンク検索に表示されます。") : ""}
${allowed("unpublish", listing.status) ? action("unpublish", "非公開にする", "LINEの検索に表示されなくなります（内容は残ります）。") : ""}
<form method="post" action="/staff/listings/${listing.id}/contract" class="row">
  ${csrfField(staff)}
  <label>成約日 <input type="date" name="contracted_at" required min="2000-01-01" max="${japanToday(now)}" value="${contractDate ?? listing.contracted_on ?? ""}"></label>
  <button type="submit"${contracted ? "" : html` class="primary"`}>${contracted ? "成約日を直す" : "成約を記録する（売買・賃貸の契約済み）"}</button>
</form>
<p class="hint">成約を記録すると、LINEの検索には表示されなくなり、KPI「空き家バンク登録物件を購入、または借りた件数」に成約日の年度の1件として数えられます。</p>
${contracted ? action("uncontract", "成約の記録を取り消す", "誤って記録したときに使います。物件は「非公開」に戻ります。") : ""}`;
}

function photoSection(listing: ListingDetail, staff: StaffPrincipal, canEdit: boolean, publicBaseUrl: string | null): SafeHtml {
  const preview = listing.photo_id
    ? html`<div class="photos"><img src="/staff/listings/${listing.id}/photo?v=${listing.photo_id}" alt="${listing.title}の写真"></div>
<p class="hint">${listing.photo_type}・${Math.ceil(Number(listing.photo_bytes) / 1024).toLocaleString("ja-JP")}KB・${listing.photo_at ? dateTime(listing.photo_at) : ""}に登録</p>`
    : html`<p class="empty">写真はまだありません。</p>`;
  const shown = listing.photo_url?.startsWith("https://")
    ? html`<p class="hint">LINEでは次の写真を表示します：${listing.photo_url}</p>`
    : html`<p class="hint">LINEでは「写真は準備中です」と表示されます。${photoAdvice(listing.photo_type, publicBaseUrl)}</p>`;
  const upload = canEdit
    ? html`<form id="listing-photo-form" class="reply" data-upload-url="/staff/listings/${listing.id}/photo" data-csrf="${staff.csrfToken}" data-max-bytes="${PHOTO_MAX_BYTES}">
  <label>${listing.photo_id ? "写真を差し替える" : "写真を登録する"}（JPEG・PNG・WebP、5MBまで。LINEに表示されるのはJPEGとPNGです）<br><input type="file" name="photo" accept="image/jpeg,image/png,image/webp" required></label>
  <button type="submit" class="primary">アップロードする</button>
  <p id="listing-photo-status" role="status" aria-live="polite"></p>
</form>
<noscript><p class="error">写真のアップロードには、ブラウザのJavaScriptを有効にしてください。</p></noscript>
<script src="/staff/assets/listing-photo.js" defer></script>`
    : "";
  return html`${preview}${shown}${upload}`;
}

// Why an uploaded photo is not (yet) what LINE shows.
function photoAdvice(photoType: string | null, publicBaseUrl: string | null): string {
  if (photoType && !LINE_IMAGE_TYPES.includes(photoType)) return "WebP形式の写真はLINEでは表示できません。JPEGかPNGで登録し直してください。";
  if (!publicBaseUrl) return "登録した写真をLINEに表示するには、システム管理者がPUBLIC_BASE_URL（https）を設定したうえで、写真を登録し直してください。";
  return photoType ? "この写真はPUBLIC_BASE_URLの設定前に登録されたものです。写真を登録し直すと、LINEに表示されます。" : "";
}

const FIELD_LABELS: Record<FormField, string> = {
  code: "物件番号",
  title: "物件名",
  area: "地区",
  address: "所在地",
  deal_type: "種別",
  price_yen: "価格（円）",
  layout: "間取り",
  floor_area_sqm: "延床面積（㎡）",
  land_area_sqm: "土地面積（㎡）",
  built_year: "建築年（西暦）",
  description: "紹介文",
};

export function listingForm(options: { action: string; staff: StaffPrincipal; input: ListingFormInput; errors: FormErrors; areas: string[]; isNew: boolean; cancel: string }): SafeHtml {
  const { input, errors } = options;
  const invalid = (field: FormField) => (errors[field] ? html` aria-invalid="true" aria-describedby="error-${field}"` : "");
  const message = (field: FormField) => (errors[field] ? html`<span class="error" id="error-${field}">${errors[field]}</span>` : "");
  const textField = (field: FormField, attributes: SafeHtml, hint = "") =>
    html`<label>${FIELD_LABELS[field]}<br><input name="${field}" value="${input[field]}"${attributes}${invalid(field)}>${hint ? html` <span class="hint">${hint}</span>` : ""}</label>${message(field)}`;
  const problems = Object.entries(errors);
  const areas = options.areas.includes(input.area) || !input.area ? options.areas : [input.area, ...options.areas];
  return html`
${problems.length > 0 ? html`<div class="error" role="alert"><p>入力内容を確かめてください（${problems.length}か所）。</p><ul>${problems.map(([field, text]) => html`<li>${FIELD_LABELS[field as FormField]}：${text}</li>`)}</ul></div>` : ""}
<form method="post" action="${options.action}" class="reply">
  ${csrfField(options.staff)}
  ${options.isNew ? textField("code", html` required maxlength="${LIMITS.code}" autocomplete="off"`, "半角英数字とハイフン。あとから変えられません。") : html`<p>物件番号：${input.code}</p>`}
  ${textField("title", html` required maxlength="${LIMITS.title}" size="40"`, "LINEのカードに大きく表示されます。")}
  <label>${FIELD_LABELS.area}<br><select name="area" required${invalid("area")}><option value="">選んでください</option>${areas.map((area) => html`<option${area === input.area ? html` selected` : ""}>${area}</option>`)}</select> <span class="hint">住民の方は町名で探します。</span></label>${message("area")}
  ${textField("address", html` maxlength="${LIMITS.address}" size="40"`, "住民の方には表示されません。")}
  <fieldset${invalid("deal_type")}><legend>${FIELD_LABELS.deal_type}</legend>
    <label><input type="radio" name="deal_type" value="rent"${input.deal_type === "rent" ? html` checked` : ""}> 賃貸</label>
    <label><input type="radio" name="deal_type" value="sale"${input.deal_type === "sale" ? html` checked` : ""}> 売買</label>
  </fieldset>${message("deal_type")}
  ${textField("price_yen", html` required inputmode="numeric"`, "賃貸は月額、売買は売買価格を、円単位の整数で（例：35000）。")}
  ${textField("layout", html` maxlength="10" size="8"`, "例：3LDK、5K、1R")}
  ${textField("floor_area_sqm", html` inputmode="decimal" size="10"`, "例：72.5")}
  ${textField("land_area_sqm", html` inputmode="decimal" size="10"`, "例：210")}
  ${textField("built_year", html` inputmode="numeric" maxlength="5" size="6"`, "例：1978")}
  <label>${FIELD_LABELS.description}<br><textarea name="description" rows="5" maxlength="${LIMITS.description}"${invalid("description")}>${input.description}</textarea></label>${message("description")}
  <p><button type="submit" class="primary">${options.isNew ? "下書きとして登録する" : "保存する"}</button> <a href="${options.cancel}">やめる</a></p>
</form>`;
}
