import type { JSONColumnType } from "kysely";
import type { Numeric, NullableNumeric } from "./column-types.js";

export interface KpiIndicatorsTable {
  id: string;
  name: string;
  aliases: JSONColumnType<string[], string | undefined, string>;
  unit: string;
  policy_no: number;
  policy_name: string;
  level: "policy" | "project";
  baseline_value: NullableNumeric;
  achievement_mark: string | null;
  target_value: NullableNumeric;
  departments: JSONColumnType<string[], string | undefined, string>;
  live_source: string | null;
  note: string | null;
  position: number;
}

export interface KpiValuesTable {
  indicator_id: string;
  fiscal_year: number;
  kind: "actual" | "target";
  source: string;
  value: Numeric;
}

// Counts by month in Japan, kept by triggers (migration 0010): the KPI dashboard's live figures.
export interface MonthlyCountsTable {
  counter: string;
  month: string;
  n: string;
}
