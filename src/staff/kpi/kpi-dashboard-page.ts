import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { FriendChangeDay } from "../../kpi/follow-counts.js";
import { formatFigure, reiwaLabel } from "../../kpi/kpi-answer.js";
import type { Database } from "../../store/database.js";
import { html, type SafeHtml } from "../html.js";
import { page } from "../layout.js";
import {
  achievementRatio,
  dashboardData,
  latestActual,
  targetsFor,
  yearlyTargetYears,
  FRIEND_DAYS,
  type DashboardIndicator,
  type LiveFigures,
  type TargetFigure,
} from "./kpi-dashboard-data.js";

// The KPI dashboard (/staff/kpi): every indicator of the plan with its 令和5年度 actual, its
// 令和9年度 target, the yearly targets and the achievement ratio; for the indicators the bot
// feeds, this fiscal year's figures by month as a bar chart (inline SVG: the CSP allows no scripts).
const BASELINE_YEAR = 2023;
const FINAL_YEAR = 2027;

export function kpiDashboard(db: Kysely<Database>, procedures: readonly string[], now: () => Date = () => new Date()): Router {
  const router = express.Router();
  router.get("/staff/kpi", async (req, res) => {
    const data = await dashboardData(db, now(), procedures);
    const years = yearlyTargetYears(data.indicators);
    const live = data.indicators.filter((indicator) => data.live.has(indicator.id));
    const body = html`
<p class="hint">人吉市第6次総合計画 戦略6「地域・自治」の成果指標（KPI）です。今年度は${reiwaLabel(data.fiscalYear)}です。</p>
${indicatorTable(data.indicators, years, data.live)}
<p class="hint" id="ratio-note">※ 達成率＝最新の実績値÷${reiwaLabel(FINAL_YEAR)}の目標値（成果指標の表（KPI表）の値）×100。最新の実績値は、計画に記録された年度ごとの実績のうち最も新しい年度の値です（同じ年度に複数の資料の値があるときはKPI表の値）。このLINEで数えている今年度の途中の数は含みません。実績または目標がない指標、目標が0の指標は「—」と表示します。基金の保有額のように目標値が実績より低い指標もあるため、100%を超えることがあります。</p>
<p class="hint">「年度ごとの目標」は事務事業の実績・実施計画に記載された値です。資料によって値が異なる年度は、それぞれの値と資料名を並べています。</p>
<h2>このLINEで数えている指標（${reiwaLabel(data.fiscalYear)}）</h2>
${live.length === 0 ? html`<p class="empty">このLINEで数えている指標はありません。</p>` : live.map((indicator) => livePanel(indicator, data.live.get(indicator.id)!))}`;
    res.type("html").send(page({ title: "KPI（成果指標）", staff: req.staff!, current: "/staff/kpi", body }));
  });
  return router;
}

function number(value: number | string, unit = ""): string {
  return formatFigure(value, unit);
}

export function percent(ratio: number | null): string {
  return ratio === null ? "—" : `${ratio.toFixed(1)}%`;
}

function shortSource(source: string): string {
  return source.replace(/、[\d,]+千円）$/, "）");
}

function indicatorTable(indicators: DashboardIndicator[], years: number[], live: Map<string, LiveFigures>): SafeHtml {
  const columns = 7 + years.length;
  const policies = groupByPolicy(indicators);
  return html`<div class="table-scroll">
<table class="list kpi">
<caption>指標の一覧（${indicators.length.toLocaleString("ja-JP")}項目）</caption>
<thead>
<tr>
  <th scope="col" rowspan="2">指標</th>
  <th scope="col" rowspan="2" class="nowrap">単位</th>
  <th scope="col" rowspan="2" class="num">${reiwaLabel(BASELINE_YEAR)}の実績</th>
  <th scope="col" rowspan="2" class="nowrap">達成状況</th>
  <th scope="col" rowspan="2" class="num">${reiwaLabel(FINAL_YEAR)}の目標</th>
  ${years.length > 0 ? html`<th scope="colgroup" colspan="${years.length}">年度ごとの目標</th>` : ""}
  <th scope="col" rowspan="2" class="num nowrap">達成率<a href="#ratio-note" aria-label="達成率の計算方法">※</a></th>
  <th scope="col" rowspan="2" class="nowrap">担当課</th>
</tr>
<tr>${years.map((year) => html`<th scope="col" class="num">${reiwaLabel(year)}</th>`)}</tr>
</thead>
${policies.map(
  (policy) => html`<tbody>
<tr class="policy"><th scope="rowgroup" colspan="${columns}">施策${policy.no}　${policy.name}</th></tr>
${policy.indicators.map((indicator) => indicatorRow(indicator, years, live.has(indicator.id)))}
</tbody>`,
)}
</table>
</div>`;
}

function groupByPolicy(indicators: DashboardIndicator[]): { no: number; name: string; indicators: DashboardIndicator[] }[] {
  const groups: { no: number; name: string; indicators: DashboardIndicator[] }[] = [];
  for (const indicator of indicators) {
    const last = groups.at(-1);
    if (last && last.no === indicator.policy_no) last.indicators.push(indicator);
    else groups.push({ no: indicator.policy_no, name: indicator.policy_name, indicators: [indicator] });
  }
  return groups;
}

function indicatorRow(indicator: DashboardIndicator, years: number[], isLive: boolean): SafeHtml {
  const latest = latestActual(indicator, BASELINE_YEAR);
  const target = indicator.target_value === null ? null : Number(indicator.target_value);
  const ratio = achievementRatio(latest?.value ?? null, target);
  return html`<tr class="indicator" id="kpi-${indicator.id}">
  <th scope="row" class="name">${indicator.name}
    ${indicator.level === "project" ? html`<span class="kpi-tag">事務事業の指標</span>` : ""}
    ${indicator.note ? html`<span class="hint kpi-block">${indicator.note}</span>` : ""}
    ${isLive ? html`<a class="kpi-block" href="#live-${indicator.id}">今年度の月別の数を見る</a>` : ""}
  </th>
  <td>${indicator.unit}</td>
  <td class="num">${indicator.baseline_value === null ? "—" : number(indicator.baseline_value)}</td>
  <td class="mark">${indicator.achievement_mark ?? "—"}</td>
  <td class="num">${target === null ? "—" : number(target)}</td>
  ${years.map((year) => html`<td class="num">${targetCell(targetsFor(indicator.values, year, { withKpiTable: false }))}</td>`)}
  <td class="num nowrap">${percent(ratio)}${ratio !== null && latest ? html`<span class="hint kpi-block">${reiwaLabel(latest.fiscalYear).replace(/（.*）$/, "")}実績</span>` : ""}</td>
  <td class="departments">${indicator.departments.join("・")}</td>
</tr>`;
}

function targetCell(figures: TargetFigure[]): SafeHtml | string {
  if (figures.length === 0) return "—";
  if (figures.length === 1) return number(figures[0]!.value);
  return html`${figures.map((figure) => html`<span class="kpi-alt">${number(figure.value)}<small>${figure.sources.map(shortSource).join("、")}</small></span>`)}`;
}

// ---- Live indicators ----

const BASIS: Record<LiveFigures["source"], string> = {
  relocation_inquiries: "このLINEで受け付けた移住相談の件数を、受け付けた月ごとに数えています。",
  vacant_house_contracts: "空き家バンクで成約が記録された物件の件数を、成約日の月ごとに数えています。",
  line_friends:
    "このLINEの友だち数を各月末時点（今月は現時点）で示しています。現在ブロックしていない友だちを友だち追加の日で数えているため、途中でブロックした方は含みません。このボットが動く前からの友だちは、ボットに話しかけるまで数に入りません。目標はSNS全体のフォロワー数で、このLINEはその一部です。",
  line_procedures: "このLINEで最初から最後まで済ませられる手続きの数です。月ごとの記録はなく、現在の数を示しています。",
};

const TOTAL_LABELS: Record<LiveFigures["source"], string> = {
  relocation_inquiries: "今年度の合計",
  vacant_house_contracts: "今年度の合計",
  line_friends: "現在の友だち数",
  line_procedures: "現在の手続きの数",
};

function livePanel(indicator: DashboardIndicator, figures: LiveFigures): SafeHtml {
  const yearTargets = targetsFor(indicator.values, figures.fiscalYear, { withKpiTable: true });
  const unit = indicator.unit;
  const totalLabel = TOTAL_LABELS[figures.source];
  return html`<section class="kpi-live" id="live-${indicator.id}">
<h3>${indicator.name}</h3>
${
  figures.kind === "current"
    ? ""
    : html`<figure class="chart">${barChart({
        id: `chart-${indicator.id}`,
        title: `${indicator.name}（${reiwaLabel(figures.fiscalYear)}、${figures.kind === "monthly" ? "月別の件数" : "各月末の数"}）`,
        unit,
        months: figures.months,
      })}</figure>`
}
<dl class="facts">
  <dt>${totalLabel}</dt><dd><b>${number(figures.total, unit)}</b></dd>
  ${
    yearTargets.length > 0
      ? html`<dt>${reiwaLabel(figures.fiscalYear)}の目標</dt><dd>${yearTargets.map((figure) => html`<span class="kpi-block">${number(figure.value, unit)}（${figure.sources.map(shortSource).join("、")}）</span>`)}</dd>`
      : ""
  }
  ${figures.kind === "current" ? html`<dt>手続き</dt><dd>${figures.procedures.join("、")}</dd>` : ""}
  <dt>数え方</dt><dd>${BASIS[figures.source]}</dd>
</dl>
${figures.source === "line_friends" ? friendChangesTable(figures.days) : ""}
</section>`;
}

// Friends added and lost per day (follow and unfollow events), newest first.
function friendChangesTable(days: readonly FriendChangeDay[]): SafeHtml {
  const caption = `最近${FRIEND_DAYS}日の友だちの増減（友だち追加・ブロックの記録から）`;
  if (days.length === 0) return html`<p class="empty" id="friend-changes">${caption}：この期間の記録はありません。</p>`;
  return html`<table class="list" id="friend-changes">
<caption>${caption}</caption>
<thead><tr><th scope="col">日付</th><th scope="col" class="num">友だち追加</th><th scope="col" class="num">ブロック</th><th scope="col" class="num">差し引き</th></tr></thead>
<tbody>
${[...days].reverse().map(
  (day) => html`<tr data-day="${day.day}"><th scope="row">${day.day}</th><td class="num">${day.added}</td><td class="num">${day.lost}</td><td class="num">${signed(day.added - day.lost)}</td></tr>`,
)}
</tbody>
</table>`;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

// ---- The bar chart ----

const MONTH_LABELS = ["4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月"] as const;
const CHART = { width: 720, height: 260, left: 64, right: 16, top: 30, bottom: 36 } as const;

// An axis top and tick step of 1, 2 or 5 × 10^k, about four ticks, never below 1.
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough)!);
  return { top: Math.ceil(max / step) * step, step };
}

export function barChart(options: { id: string; title: string; unit: string; months: readonly (number | null)[] }): SafeHtml {
  const { id, title, unit, months } = options;
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const baseline = CHART.top + plotHeight;
  const slot = plotWidth / 12;
  const barWidth = Math.round(slot * 0.6);
  const { top, step } = niceScale(Math.max(0, ...months.map((value) => value ?? 0)));
  const y = (value: number) => baseline - (value / top) * plotHeight;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, index) => index * step);
  const shown = months.map((value, index) => ({ value, label: MONTH_LABELS[index]!, index })).filter((month) => month.value !== null);
  const pending = months.map((value, index) => ({ value, label: MONTH_LABELS[index]! })).filter((month) => month.value === null);
  const description =
    (shown.length > 0 ? shown.map((month) => `${month.label} ${number(month.value!, unit)}`).join("、") : "まだ数がありません") +
    (pending.length > 0 ? `。${pending[0]!.label}以降はまだありません。` : "。");
  const lastShown = shown.at(-1)?.index;
  return html`<svg class="kpi-chart" viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" role="img" aria-labelledby="${id}-title ${id}-desc">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${description}</desc>
<text class="axis-label" x="${CHART.left - 8}" y="${CHART.top - 14}" text-anchor="end">（${unit}）</text>
${ticks.map(
  (tick) => html`<g class="tick"><line class="grid" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${round(y(tick))}" y2="${round(y(tick))}"></line><text x="${CHART.left - 8}" y="${round(y(tick) + 4)}" text-anchor="end">${tick.toLocaleString("ja-JP")}</text></g>`,
)}
<line class="axis" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${baseline}" y2="${baseline}"></line>
${months.map((value, index) => {
  const center = CHART.left + slot * index + slot / 2;
  const label = html`<text class="month" x="${round(center)}" y="${baseline + 20}" text-anchor="middle">${MONTH_LABELS[index]}</text>`;
  if (value === null) return html`<g class="bar pending" data-month="${monthNumber(index)}">${label}</g>`;
  const height = (value / top) * plotHeight;
  return html`<g class="bar${index === lastShown ? " latest" : ""}" data-month="${monthNumber(index)}" data-value="${value}">
<title>${MONTH_LABELS[index]}：${number(value, unit)}</title>
${value > 0 ? html`<rect x="${round(center - barWidth / 2)}" y="${round(baseline - height)}" width="${barWidth}" height="${round(height)}"></rect>` : ""}
<text class="value" x="${round(center)}" y="${round(baseline - height - 6)}" text-anchor="middle">${value.toLocaleString("ja-JP")}</text>
${label}
</g>`;
})}
</svg>`;
}

function monthNumber(index: number): number {
  return ((index + 3) % 12) + 1;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
