import { sql, type Expression, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../../store/database.js";
import { friendChangesPerDay, type FriendChangeDay } from "../../kpi/follow-counts.js";
import type { LiveSource } from "../../kpi/live-counts.js";
import { keptMonthlyCounts } from "../../kpi/monthly-counts.js";
import { japanDayStart, japanYearMonth } from "../../japan-time.js";

// What the KPI dashboard shows: every indicator of the plan with its yearly figures, and for the
// indicators the bot feeds, this fiscal year's figures by month (April to March, months in JST).
// Pure functions first (fiscal months, running totals, achievement ratio), then the queries.

export interface KpiValue {
  fiscal_year: number;
  kind: "actual" | "target";
  source: string;
  value: string;
}

export interface DashboardIndicator {
  id: string;
  name: string;
  unit: string;
  policy_no: number;
  policy_name: string;
  level: "policy" | "project";
  baseline_value: string | null;
  achievement_mark: string | null;
  target_value: string | null;
  departments: string[];
  live_source: string | null;
  note: string | null;
  values: KpiValue[];
}

// The source name of the figures in each policy's KPI table (see seeds/kpi.yaml).
export const KPI_TABLE_SOURCE = "KPI表";

// Where an instant falls: its fiscal year (the western year the fiscal year starts in) and its
// month's place in that year (0 = April … 11 = March), in JST.
export function fiscalMonthOf(date: Date): { fiscalYear: number; index: number } {
  const { year, month } = japanYearMonth(date);
  return month >= 4 ? { fiscalYear: year, index: month - 4 } : { fiscalYear: year - 1, index: month + 8 };
}

export interface FiscalMonth {
  // Calendar month, 4 … 12, 1 … 3.
  month: number;
  // The month's first instant in JST, and the next month's.
  from: Date;
  to: Date;
  // The same bounds as calendar dates, for `date` columns.
  firstDay: string;
  nextFirstDay: string;
}

// The twelve months of fiscal year N: April N … March N+1, bounded in JST.
export function fiscalMonths(fiscalYear: number): FiscalMonth[] {
  const firstDayOf = (index: number) => {
    const year = fiscalYear + Math.floor((index + 3) / 12);
    const month = ((index + 3) % 12) + 1;
    return { month, day: `${year}-${String(month).padStart(2, "0")}-01` };
  };
  return Array.from({ length: 12 }, (_, index) => {
    const start = firstDayOf(index);
    const next = firstDayOf(index + 1);
    return {
      month: start.month,
      from: japanDayStart(start.day),
      to: japanDayStart(next.day),
      firstDay: start.day,
      nextFirstDay: next.day,
    };
  });
}

// How many months of the fiscal year have begun at `now`: 0 before it starts, 12 after it ends.
export function monthsBegun(fiscalYear: number, now: Date): number {
  const position = fiscalMonthOf(now);
  if (position.fiscalYear < fiscalYear) return 0;
  if (position.fiscalYear > fiscalYear) return 12;
  return position.index + 1;
}

// Month by month counts into month-end totals, starting from what there was before.
export function runningTotals(base: number, counts: readonly number[]): number[] {
  let total = base;
  return counts.map((count) => (total += count));
}

// Months that have not begun yet have no figure (a chart shows nothing for them, not zero).
export function onlyBegun(values: readonly number[], begun: number): (number | null)[] {
  return values.map((value, index) => (index < begun ? value : null));
}

// Achievement ratio in percent: an actual figure against the final target; null when either is
// missing or the target is zero.
export function achievementRatio(actual: number | null, target: number | null): number | null {
  if (actual === null || target === null || !Number.isFinite(actual) || !Number.isFinite(target) || target === 0) return null;
  return (actual / target) * 100;
}

// The most recent actual figure the plan records: the latest fiscal year's, the KPI table's where
// several places give one for that year; the baseline (令和5年度 actual) when there is none.
export function latestActual(indicator: Pick<DashboardIndicator, "values" | "baseline_value">, baselineYear: number): { value: number; fiscalYear: number } | null {
  const actuals = indicator.values.filter((value) => value.kind === "actual");
  if (actuals.length > 0) {
    const year = Math.max(...actuals.map((value) => value.fiscal_year));
    const forYear = actuals.filter((value) => value.fiscal_year === year);
    const chosen = forYear.find((value) => value.source === KPI_TABLE_SOURCE) ?? forYear[0]!;
    return { value: Number(chosen.value), fiscalYear: year };
  }
  return indicator.baseline_value === null ? null : { value: Number(indicator.baseline_value), fiscalYear: baselineYear };
}

export interface TargetFigure {
  value: number;
  sources: string[];
}

// The distinct target figures for one fiscal year, each with the places that give it; where the
// places agree there is one figure. `withKpiTable: false` leaves out the KPI table's own figure.
export function targetsFor(values: readonly KpiValue[], fiscalYear: number, options: { withKpiTable: boolean }): TargetFigure[] {
  const figures: TargetFigure[] = [];
  for (const value of values) {
    if (value.kind !== "target" || value.fiscal_year !== fiscalYear) continue;
    if (!options.withKpiTable && value.source === KPI_TABLE_SOURCE) continue;
    const number = Number(value.value);
    const same = figures.find((figure) => figure.value === number);
    if (same) same.sources.push(value.source);
    else figures.push({ value: number, sources: [value.source] });
  }
  return figures;
}

// The fiscal years for which any indicator has a yearly target outside the KPI table, in order.
export function yearlyTargetYears(indicators: readonly Pick<DashboardIndicator, "values">[]): number[] {
  const years = new Set<number>();
  for (const indicator of indicators) {
    for (const value of indicator.values) if (value.kind === "target" && value.source !== KPI_TABLE_SOURCE) years.add(value.fiscal_year);
  }
  return [...years].sort((a, b) => a - b);
}

// ---- Live figures ----

export type LiveFigures =
  | {
      source: Exclude<LiveSource, "line_procedures" | "line_friends">;
      // monthly: what happened in each month; cumulative: the number at each month's end (or now).
      kind: "monthly" | "cumulative";
      fiscalYear: number;
      months: (number | null)[];
      // The year's total so far (monthly) or the current number (cumulative).
      total: number;
    }
  | {
      source: "line_friends";
      kind: "cumulative";
      fiscalYear: number;
      months: (number | null)[];
      total: number;
      // Friends added and lost on each day of the last FRIEND_DAYS days that had any.
      days: FriendChangeDay[];
    }
  | { source: "line_procedures"; kind: "current"; fiscalYear: number; total: number; procedures: readonly string[] };

// How many days of friends added and lost the dashboard lists.
export const FRIEND_DAYS = 30;

const LIVE_SOURCES: readonly LiveSource[] = ["relocation_inquiries", "vacant_house_contracts", "line_friends", "line_procedures"];

export function isLiveSource(value: string | null): value is LiveSource {
  return value !== null && (LIVE_SOURCES as readonly string[]).includes(value);
}

type Db = Kysely<Database>;

export async function dashboardIndicators(db: Db): Promise<DashboardIndicator[]> {
  const [indicators, values] = await Promise.all([
    db
      .selectFrom("kpi_indicators")
      .select(["id", "name", "unit", "policy_no", "policy_name", "level", "baseline_value", "achievement_mark", "target_value", "departments", "live_source", "note"])
      .orderBy("position")
      .orderBy("id")
      .execute(),
    db.selectFrom("kpi_values").select(["indicator_id", "fiscal_year", "kind", "source", "value"]).orderBy("indicator_id").orderBy("fiscal_year").orderBy("source").execute(),
  ]);
  return indicators.map((indicator) => ({
    ...indicator,
    values: values.filter((value) => value.indicator_id === indicator.id).map(({ indicator_id: _, ...value }) => value),
  }));
}

// One `count(*) filter (…)` per month, aliased m0 … m11, so a single scan gives the twelve counts.
function countsPerMonth(months: FiscalMonth[], column: Expression<unknown>, columnType: "timestamptz" | "date"): RawBuilder<unknown>[] {
  return months.map((month) => {
    const bounds = columnType === "date" ? [sql`${month.firstDay}::date`, sql`${month.nextFirstDay}::date`] : [sql`${month.from}`, sql`${month.to}`];
    return sql`count(*) filter (where ${column} >= ${bounds[0]} and ${column} < ${bounds[1]})`;
  });
}

function readCounts(row: Record<string, unknown> | undefined): number[] {
  return Array.from({ length: 12 }, (_, index) => Number(row?.[`m${index}`] ?? 0));
}

function aliased(counts: RawBuilder<unknown>[]) {
  return counts.map((count, index) => count.as(`m${index}`));
}

export async function liveFigures(db: Db, source: LiveSource, now: Date, procedures: readonly string[]): Promise<LiveFigures> {
  const { fiscalYear } = fiscalMonthOf(now);
  const months = fiscalMonths(fiscalYear);
  const begun = monthsBegun(fiscalYear, now);
  const firstDays = months.map((month) => month.firstDay);
  const monthly = (counted: "relocation_inquiries" | "vacant_house_contracts", counts: number[]): LiveFigures => {
    const shown = onlyBegun(counts, begun);
    return { source: counted, kind: "monthly", fiscalYear, months: shown, total: shown.reduce<number>((sum, count) => sum + (count ?? 0), 0) };
  };
  switch (source) {
    case "relocation_inquiries": {
      const kept = await keptMonthlyCounts(db, "inquiries.relocation", firstDays, months[11]!.nextFirstDay);
      return monthly(source, kept.months);
    }
    case "vacant_house_contracts": {
      const row = await db
        .selectFrom("vacant_house_listings")
        .select(aliased(countsPerMonth(months, sql.ref("contracted_at"), "date")))
        .where("status", "=", "contracted")
        .where(sql<boolean>`contracted_at >= ${months[0]!.firstDay}::date and contracted_at < ${months[11]!.nextFirstDay}::date`)
        .executeTakeFirst();
      return monthly(source, readCounts(row as Record<string, unknown> | undefined));
    }
    case "line_friends": {
      // Friends who follow now, by the month they were added; those added before this fiscal
      // year (or with no follow on record: friends from before the bot) are the starting number.
      const kept = await keptMonthlyCounts(db, "friends", firstDays, months[11]!.nextFirstDay);
      const totals = onlyBegun(runningTotals(kept.before, kept.months), begun);
      const current = totals.filter((value): value is number => value !== null).at(-1) ?? kept.before;
      const days = await friendChangesPerDay(db, new Date(now.getTime() - FRIEND_DAYS * 24 * 60 * 60 * 1000), now);
      return { source, kind: "cumulative", fiscalYear, months: totals, total: current, days };
    }
    case "line_procedures":
      return { source, kind: "current", fiscalYear, total: procedures.length, procedures };
  }
}

export interface DashboardData {
  fiscalYear: number;
  indicators: DashboardIndicator[];
  live: Map<string, LiveFigures>;
}

export async function dashboardData(db: Db, now: Date, procedures: readonly string[]): Promise<DashboardData> {
  const indicators = await dashboardIndicators(db);
  const liveIndicators = indicators.filter((indicator) => isLiveSource(indicator.live_source));
  const figures = await Promise.all(liveIndicators.map((indicator) => liveFigures(db, indicator.live_source as LiveSource, now, procedures)));
  return {
    fiscalYear: fiscalMonthOf(now).fiscalYear,
    indicators,
    live: new Map(liveIndicators.map((indicator, index) => [indicator.id, figures[index]!])),
  };
}
