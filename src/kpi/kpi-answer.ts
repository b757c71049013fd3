import type { Kysely, Transaction } from "kysely";
import type { Database } from "../store/database.js";

type Db = Kysely<Database> | Transaction<Database>;

// Fiscal years are stored as the western year they start in; residents read them in 令和.
export function reiwaLabel(fiscalYear: number): string {
  const reiwa = fiscalYear - 2018;
  return `令和${reiwa === 1 ? "元" : reiwa}年度（${fiscalYear}年度）`;
}

export function formatFigure(value: string | number, unit: string): string {
  const number = Number(value);
  const text = Number.isInteger(number) ? number.toLocaleString("ja-JP") : String(number);
  return `${text}${unit}`;
}

export interface IndicatorSummary {
  id: string;
  name: string;
  unit: string;
  baseline_value: string | null;
  target_value: string | null;
  achievement_mark: string | null;
  departments: string[];
  note: string | null;
  live_source: string | null;
  values: { fiscal_year: number; kind: "actual" | "target"; source: string; value: string }[];
}

export interface LiveFigure {
  value: number;
  fiscalYear: number;
  countedAt: Date;
  basis: string;
}

function dateLabel(date: Date): string {
  const parts = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "long", day: "numeric" }).format(date);
  return parts;
}

// Yearly targets of the implementation plans (and the 令和6年度 target of the project sheets),
// one line, in year order; where two sources disagree for one year, both are said with their source.
function yearlyTargets(indicator: IndicatorSummary): string[] {
  const targets = indicator.values.filter((value) => value.kind === "target" && value.source !== "KPI表");
  const years = [...new Set(targets.map((value) => value.fiscal_year))].sort((a, b) => a - b);
  const lines: string[] = [];
  const plain: string[] = [];
  for (const year of years) {
    const forYear = targets.filter((value) => value.fiscal_year === year);
    const distinct = [...new Set(forYear.map((value) => Number(value.value)))];
    if (distinct.length === 1) plain.push(`${reiwaLabel(year)} ${formatFigure(distinct[0]!, indicator.unit)}`);
    else lines.push(`${reiwaLabel(year)}の目標は資料によって異なります：${forYear.map((value) => `${shortSource(value.source)}では${formatFigure(value.value, indicator.unit)}`).join("、")}。`);
  }
  return [...(plain.length > 0 ? [`年度ごとの目標（実施計画など）：${plain.join("、")}`] : []), ...lines];
}

// The KPI table's 令和9年度 target against any other figure for 令和9年度.
function finalTargetConflict(indicator: IndicatorSummary): string | null {
  if (indicator.target_value === null) return null;
  const others = indicator.values.filter((value) => value.kind === "target" && value.fiscal_year === 2027 && Number(value.value) !== Number(indicator.target_value));
  if (others.length === 0) return null;
  return `令和9年度の目標は、成果指標の表（KPI表）では${formatFigure(indicator.target_value, indicator.unit)}、${others.map((value) => `${shortSource(value.source)}では${formatFigure(value.value, indicator.unit)}`).join("、")}です。`;
}

function shortSource(source: string): string {
  return source.replace(/、[\d,]+千円）$/, "）");
}

// One indicator as a resident reads it: the KPI table's 令和5年度 actual, mark and 令和9年度 target,
// the yearly targets, this fiscal year's live count when the bot feeds the indicator, and where
// the plan gives two figures for one target, which is which.
export function kpiAnswerFor(indicator: IndicatorSummary, live: LiveFigure | null = null): string {
  const lines = [`「${indicator.name}」（単位：${indicator.unit}）`];
  if (indicator.baseline_value !== null) {
    const mark = indicator.achievement_mark ? `（達成状況 ${indicator.achievement_mark}）` : "";
    lines.push(`${reiwaLabel(2023)}の実績：${formatFigure(indicator.baseline_value, indicator.unit)}${mark}`);
  }
  if (indicator.target_value !== null) lines.push(`${reiwaLabel(2027)}の目標：${formatFigure(indicator.target_value, indicator.unit)}`);
  lines.push(...yearlyTargets(indicator));
  const conflict = finalTargetConflict(indicator);
  if (conflict) lines.push(conflict);
  if (live) {
    lines.push(`今年度（${reiwaLabel(live.fiscalYear)}）の数：${formatFigure(live.value, indicator.unit)}（${dateLabel(live.countedAt)}時点、${live.basis}）`);
  }
  if (indicator.departments.length > 0) lines.push(`担当：${indicator.departments.join("・")}`);
  return lines.join("\n");
}

export async function indicatorSummaries(db: Db, ids: string[]): Promise<IndicatorSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("kpi_indicators")
    .select(["id", "name", "unit", "baseline_value", "target_value", "achievement_mark", "departments", "note", "live_source"])
    .where("id", "in", ids)
    .execute();
  const values = await db.selectFrom("kpi_values").select(["indicator_id", "fiscal_year", "kind", "source", "value"]).where("indicator_id", "in", ids).execute();
  return ids.flatMap((id) =>
    rows.filter((row) => row.id === id).map((row) => ({ ...row, values: values.filter((value) => value.indicator_id === id) })),
  );
}
