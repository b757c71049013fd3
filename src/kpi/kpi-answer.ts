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
  name: string;
  unit: string;
  baseline_value: string | null;
  target_value: string | null;
  achievement_mark: string | null;
  departments: string[];
  note: string | null;
}

// One indicator as a resident reads it: the KPI table's 令和5年度 actual and 令和9年度 target.
export function kpiAnswerFor(indicator: IndicatorSummary): string {
  const lines = [`「${indicator.name}」`];
  if (indicator.baseline_value !== null) {
    const mark = indicator.achievement_mark ? `（達成状況 ${indicator.achievement_mark}）` : "";
    lines.push(`${reiwaLabel(2023)}の実績：${formatFigure(indicator.baseline_value, indicator.unit)}${mark}`);
  }
  if (indicator.target_value !== null) lines.push(`${reiwaLabel(2027)}の目標：${formatFigure(indicator.target_value, indicator.unit)}`);
  if (indicator.departments.length > 0) lines.push(`担当：${indicator.departments.join("・")}`);
  if (indicator.note) lines.push(indicator.note);
  return lines.join("\n");
}

export async function indicatorSummaries(db: Db, ids: string[]): Promise<IndicatorSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("kpi_indicators")
    .select(["id", "name", "unit", "baseline_value", "target_value", "achievement_mark", "departments", "note"])
    .where("id", "in", ids)
    .execute();
  return ids.flatMap((id) => rows.filter((row) => row.id === id));
}

export async function policyIndicatorNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("kpi_indicators").select("name").where("level", "=", "policy").orderBy("position").execute();
  return rows.map((row) => row.name);
}
