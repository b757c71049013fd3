import type { SurveyStatus } from "../../store/tables/surveys.js";
import { html, type SafeHtml } from "../html.js";
import { csrfField } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import { dateTime } from "../views.js";
import { barChart } from "./survey-chart.js";
import { DESCRIPTION_MAX, KIND_NAMES, OPTION_MAX, OPTIONS_MAX, OPTIONS_MIN, QUESTIONS_MAX, TITLE_MAX } from "./survey-form.js";
import { canManage, TEXT_ANSWERS_SHOWN, type listSurveys, type SurveyRow } from "./survey-queries.js";
import { percent, type QuestionResult } from "./survey-results.js";

// The HTML of the survey pages (every value escaped by `html`).
export const SURVEY_STATUS_LABELS: Record<SurveyStatus, string> = { draft: "下書き", open: "受付中", closed: "終了" };
export const AUDIENCE_LABELS: Record<"all" | "link", string> = {
  all: "だれでも（「アンケート」と送ると一覧に出ます）",
  link: "リンクを知っている方だけ（「/survey 識別名」を送った方）",
};
const AUDIENCE_SHORT: Record<"all" | "link", string> = { all: "だれでも", link: "リンクのみ" };

export const deepLink = (slug: string) => `/survey ${slug}`;

export function messages(done: string | undefined, errors: string[]): SafeHtml {
  return html`${done ? html`<p class="notice" role="status">${done}</p>` : ""}
${errors.length > 0 ? html`<div class="error" role="alert"><p>保存できませんでした。次の点を直してください。</p><ul>${errors.map((error) => html`<li>${error}</li>`)}</ul></div>` : ""}`;
}

export function surveyList(staff: StaffPrincipal, rows: Awaited<ReturnType<typeof listSurveys>>): SafeHtml {
  return html`<p><a class="button" href="/staff/surveys/new">新しいアンケートを作る</a></p>
<table class="list">
<thead><tr><th>タイトル</th><th>状態</th><th>公開の範囲</th><th>担当課</th><th class="num">回答数</th><th>最後の回答</th><th>住民の方に送ってもらう言葉</th><th>操作</th></tr></thead>
<tbody>
${rows.length === 0 ? html`<tr><td colspan="8" class="empty">アンケートはまだありません。</td></tr>` : ""}
${rows.map(
  (row) => html`<tr>
<td><a href="/staff/surveys/${row.id}/results">${row.title}</a></td>
<td><span class="survey-status ${row.status}">${SURVEY_STATUS_LABELS[row.status]}</span></td>
<td>${AUDIENCE_SHORT[row.audience]}</td>
<td class="nowrap">${row.department ?? "（未設定）"}</td>
<td class="num">${row.responses.toLocaleString("ja-JP")}</td>
<td>${row.last_response_at ? dateTime(row.last_response_at) : "—"}</td>
<td><input class="deep-link" type="text" readonly value="${deepLink(row.slug)}" aria-label="「${row.title}」を開く言葉"></td>
<td class="actions"><a href="/staff/surveys/${row.id}/results">結果</a>
${canManage(staff, row) ? html` <a href="/staff/surveys/${row.id}/edit">編集</a> ${statusButton(staff, row, "list")}` : ""}</td>
</tr>`,
)}
</tbody>
</table>
<p class="hint">「住民の方に送ってもらう言葉」をお知らせやチラシに載せると、その言葉をLINEで送った方がすぐに回答を始められます。公開の範囲が「リンクのみ」のアンケートは、この方法でだけ回答できます。</p>`;
}

export function statusButton(staff: StaffPrincipal, survey: Pick<SurveyRow, "id" | "status" | "title">, back: "list" | "edit"): SafeHtml {
  const action = survey.status === "open" ? "close" : "open";
  const label = survey.status === "open" ? "受付を終了する" : survey.status === "closed" ? "受付を再開する" : "受付を開始する";
  return html`<form method="post" action="/staff/surveys/${survey.id}/${action}" class="inline">${csrfField(staff)}<input type="hidden" name="back" value="${back}"><button type="submit"${action === "open" ? html` class="primary"` : ""}>${label}</button></form>`;
}

export interface FormValues {
  title: string;
  description: string;
  audience: "all" | "link";
  department: string;
  slug: string;
  questions: string;
}

export function surveyForm(options: {
  staff: StaffPrincipal;
  action: string;
  values: FormValues;
  creating: boolean;
  // Set when the survey has responses: its questions are shown, not editable.
  lockedQuestions: { responses: number; text: string } | null;
  departments: string[];
}): SafeHtml {
  const { staff, action, values, creating, lockedQuestions, departments } = options;
  return html`<form method="post" action="${action}" class="survey-form">
${csrfField(staff)}
<label>タイトル（LINEにも表示されます）<input type="text" name="title" required maxlength="${TITLE_MAX}" value="${values.title}"></label>
<label>説明（回答を始めるときに表示されます。空欄でもかまいません）<textarea name="description" rows="3" maxlength="${DESCRIPTION_MAX}">${values.description}</textarea></label>
${
  creating
    ? html`<label>識別名（半角の英小文字・数字・ハイフン、3〜40文字。空欄なら自動で付けます）<input type="text" name="slug" maxlength="40" value="${values.slug}" placeholder="例：kankou-2026" autocomplete="off"></label>
<p class="hint">住民の方は「/survey 識別名」とLINEで送ると、このアンケートに回答できます。識別名は作成後には変更できません。</p>`
    : html`<p>住民の方に送ってもらう言葉：<input class="deep-link" type="text" readonly value="${deepLink(values.slug)}" aria-label="このアンケートを開く言葉"></p>`
}
<fieldset class="choices"><legend>公開の範囲</legend>
${(["all", "link"] as const).map((audience) => html`<label><input type="radio" name="audience" value="${audience}"${values.audience === audience ? html` checked` : ""}> ${AUDIENCE_LABELS[audience]}</label>`)}
</fieldset>
${
  staff.role === "admin"
    ? html`<label>担当課（この課の職員と管理者が編集できます。空欄なら管理者だけ）<input type="text" name="department" list="survey-departments" maxlength="40" value="${values.department}"></label>
<datalist id="survey-departments">${departments.map((department) => html`<option value="${department}">`)}</datalist>`
    : html`<p>担当課：${values.department || staff.department}</p>`
}
${
  lockedQuestions
    ? html`<h2>質問</h2>
<p class="notice">すでに${lockedQuestions.responses.toLocaleString("ja-JP")}件の回答が届いているため、質問は変更できません（集計が合わなくなるためです）。タイトル・説明・公開の範囲は変更できます。質問を変えたいときは、新しいアンケートを作ってください。</p>
<pre class="survey-questions">${lockedQuestions.text}</pre>`
    : html`<label for="survey-questions-input"><b>質問</b></label>
<textarea id="survey-questions-input" name="questions" rows="18" class="survey-questions" required>${values.questions}</textarea>
${formatHelp()}`
}
<p><button type="submit" class="primary">${creating ? "下書きとして作成する" : "保存する"}</button></p>
</form>`;
}

function formatHelp(): SafeHtml {
  return html`<details class="survey-help" open>
<summary>質問の書き方</summary>
<ul>
<li>1つの質問は、<b>種類を［　］で囲んだ行</b>から始めます。同じ行に質問文を続けて書きます。</li>
<li>選択肢は、質問文の次の行から<b>1行に1つ</b>ずつ書きます（${OPTIONS_MIN}〜${OPTIONS_MAX}個、1つ${OPTION_MAX}文字まで。LINEのボタンになります）。</li>
<li>質問と質問の間は、空行を入れると読みやすくなります。質問は${QUESTIONS_MAX}問までです。</li>
<li>答えなくてもよい質問は、種類のあとに「任意」と書きます（例：［text 任意］）。自由記述と「いくつでも選ぶ」の質問で使えます。</li>
</ul>
<table class="list">
<thead><tr><th>書き方</th><th>種類</th><th>選択肢</th></tr></thead>
<tbody>
<tr><td><code>[${KIND_NAMES.single.tag}]</code> または <code>[${KIND_NAMES.single.label}]</code></td><td>1つだけ選ぶ</td><td>必要</td></tr>
<tr><td><code>[${KIND_NAMES.multiple.tag}]</code> または <code>[${KIND_NAMES.multiple.label}]</code></td><td>当てはまるものをいくつでも選ぶ</td><td>必要</td></tr>
<tr><td><code>[${KIND_NAMES.scale.tag}]</code> または <code>[${KIND_NAMES.scale.label}]</code></td><td>1〜5の数字で答える（1と5の意味は質問文に書きます）</td><td>不要</td></tr>
<tr><td><code>[${KIND_NAMES.text.tag}]</code> または <code>[${KIND_NAMES.text.label}]</code></td><td>文章で自由に答える</td><td>不要</td></tr>
</tbody>
</table>
<p>例：</p>
<pre class="survey-example">[scale] 人吉市公式LINEの配信内容に、どのくらい満足していますか。（1：不満 〜 5：満足）

[single] 市からのお知らせは、どのくらいの頻度で届くとよいですか。
今より多く
今くらいでよい
今より少なく

[multiple] LINEでできるとよいと思う手続きを、すべてお選びください。
証明書の申請
施設の予約
道路などの不具合の通報

[text 任意] そのほか、ご意見やご要望がありましたら、ご自由にお書きください。</pre>
</details>`;
}

// `mayReadAnswers`: whether this member of staff sees what residents wrote (free text, the CSV).
export function resultsView(survey: SurveyRow, total: number, results: QuestionResult[], mayReadAnswers: boolean): SafeHtml {
  const readers = survey.department ? `${survey.department}の職員と管理者` : "管理者";
  return html`<dl class="facts">
<dt>状態</dt><dd><span class="survey-status ${survey.status}">${SURVEY_STATUS_LABELS[survey.status]}</span></dd>
<dt>回答数</dt><dd><b>${total.toLocaleString("ja-JP")}</b>件</dd>
<dt>公開の範囲</dt><dd>${AUDIENCE_LABELS[survey.audience]}</dd>
<dt>担当課</dt><dd>${survey.department ?? "（未設定）"}</dd>
<dt>住民の方に送ってもらう言葉</dt><dd><input class="deep-link" type="text" readonly value="${deepLink(survey.slug)}" aria-label="このアンケートを開く言葉"></dd>
</dl>
${total === 0 ? html`<p class="empty" role="status">このアンケートへの回答はまだありません。${survey.status === "draft" ? "受付を開始すると、住民の方が回答できるようになります。" : ""}</p>` : ""}
${
  mayReadAnswers
    ? html`<form method="get" action="/staff/api/exports/surveys/${survey.id}/answers.csv" class="filters">
<label>回答日 <input type="date" name="from"> 〜 <input type="date" name="to"></label>
<button type="submit">回答をCSVでダウンロード（Excel用）</button>
<span class="hint">日付を空欄にすると、すべての回答を出力します。</span>
</form>`
    : html`<p class="hint">自由記述の回答とCSVのダウンロードは、個人の情報が含まれることがあるため、${readers}だけがご覧になれます。</p>`
}
${results.map((result) => questionResult(result, mayReadAnswers))}`;
}

function questionResult(result: QuestionResult, mayReadAnswers: boolean): SafeHtml {
  const { question } = result;
  const heading = html`<h2>Q${question.position}. ${question.prompt}</h2>
<p class="hint">${KIND_NAMES[question.kind].label}${question.required ? "" : "（任意）"}・この質問への回答 ${result.answered.toLocaleString("ja-JP")}件</p>`;
  if (result.kind === "text") {
    return html`<section class="survey-result">${heading}
${
  !mayReadAnswers
    ? html`<p class="empty">回答の内容は担当課の職員と管理者だけがご覧になれます。</p>`
    : result.latest.length === 0
    ? html`<p class="empty">回答はまだありません。</p>`
    : html`<ul class="notes">${result.latest.map((answer) => html`<li><span class="meta">${dateTime(answer.at)}</span><span class="pre">${answer.text}</span></li>`)}</ul>
${result.answered > result.latest.length ? html`<p class="hint">新しい${TEXT_ANSWERS_SHOWN}件を表示しています。すべての回答はCSVでご覧ください。</p>` : ""}`
}
</section>`;
  }
  return html`<section class="survey-result">${heading}
${result.kind === "scale" ? html`<p>平均 <b class="survey-mean">${result.mean === null ? "—" : result.mean.toFixed(2)}</b>（1〜5）</p>` : ""}
${result.kind === "multiple" ? html`<p class="hint">いくつでも選べる質問のため、割合の合計は100%を超えることがあります。</p>` : ""}
<div class="survey-columns">
<table class="list survey-counts">
<thead><tr><th>${result.kind === "scale" ? "評価" : "選択肢"}</th><th class="num">件数</th><th class="num">割合</th></tr></thead>
<tbody>${result.counts.map((row) => html`<tr><td>${row.label}</td><td class="num">${row.count.toLocaleString("ja-JP")}</td><td class="num">${percent(row.share)}</td></tr>`)}</tbody>
</table>
<div class="chart">${barChart(result.counts, `Q${question.position}の回答の内訳`)}</div>
</div>
</section>`;
}
