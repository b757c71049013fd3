import { describe, expect, it } from "vitest";
import {
  achievementRatio,
  fiscalMonthOf,
  fiscalMonths,
  latestActual,
  monthsBegun,
  onlyBegun,
  runningTotals,
  targetsFor,
  yearlyTargetYears,
  type KpiValue,
} from "../../src/staff/kpi/kpi-dashboard-data.js";
import { barChart, niceScale, percent } from "../../src/staff/kpi/kpi-dashboard-page.js";

const value = (fiscal_year: number, kind: "actual" | "target", figure: number, source = "KPI表"): KpiValue => ({ fiscal_year, kind, source, value: String(figure) });

describe("fiscal months in Japan time", () => {
  it("puts an instant in its JST month of the fiscal year (April = 0 … March = 11)", () => {
    expect(fiscalMonthOf(new Date("2025-03-31T15:00:00Z"))).toEqual({ fiscalYear: 2025, index: 0 }); // 1 April 00:00 JST
    expect(fiscalMonthOf(new Date("2025-03-31T14:59:59Z"))).toEqual({ fiscalYear: 2024, index: 11 }); // 31 March 23:59 JST
    expect(fiscalMonthOf(new Date("2025-12-31T15:30:00Z"))).toEqual({ fiscalYear: 2025, index: 9 }); // 1 January JST
    expect(fiscalMonthOf(new Date("2026-03-15T00:00:00Z"))).toEqual({ fiscalYear: 2025, index: 11 });
  });

  it("bounds the twelve months of a fiscal year at JST midnight, April to March", () => {
    const months = fiscalMonths(2025);
    expect(months.map((month) => month.month)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]);
    expect(months[0]!.from.toISOString()).toBe("2025-03-31T15:00:00.000Z");
    expect(months[8]!.firstDay).toBe("2025-12-01");
    expect(months[8]!.nextFirstDay).toBe("2026-01-01");
    expect(months[11]!.to.toISOString()).toBe("2026-03-31T15:00:00.000Z");
    for (const [index, month] of months.entries()) {
      if (index > 0) expect(month.from).toEqual(months[index - 1]!.to);
      expect(fiscalMonthOf(month.from)).toEqual({ fiscalYear: 2025, index });
      expect(fiscalMonthOf(new Date(month.to.getTime() - 1))).toEqual({ fiscalYear: 2025, index });
    }
  });

  it("knows how many months have begun, and leaves the others without a figure", () => {
    expect(monthsBegun(2025, new Date("2025-11-20T12:00:00+09:00"))).toBe(8);
    expect(monthsBegun(2025, new Date("2025-04-01T00:00:00+09:00"))).toBe(1);
    expect(monthsBegun(2025, new Date("2025-03-31T23:59:00+09:00"))).toBe(0);
    expect(monthsBegun(2024, new Date("2025-11-20T12:00:00+09:00"))).toBe(12);
    expect(onlyBegun([1, 2, 3, 4], 2)).toEqual([1, 2, null, null]);
  });

  it("turns monthly additions into month-end totals", () => {
    expect(runningTotals(10, [0, 2, 0, 3])).toEqual([10, 12, 12, 15]);
    expect(runningTotals(0, [])).toEqual([]);
  });
});

describe("achievement ratio", () => {
  it("is the actual against the final target in percent, or nothing when it cannot be computed", () => {
    expect(achievementRatio(47, 80)).toBeCloseTo(58.75);
    expect(achievementRatio(9.5, 7.4)).toBeCloseTo(128.378, 2);
    expect(achievementRatio(null, 80)).toBeNull();
    expect(achievementRatio(47, null)).toBeNull();
    expect(achievementRatio(0, 0)).toBeNull();
    expect(percent(achievementRatio(47, 80))).toBe("58.8%");
    expect(percent(null)).toBe("—");
  });

  it("takes the latest year's actual, the KPI table's where two places give one", () => {
    const baseline = { baseline_value: "47", values: [value(2023, "actual", 47), value(2027, "target", 80)] };
    expect(latestActual(baseline, 2023)).toEqual({ value: 47, fiscalYear: 2023 });
    const later = { baseline_value: "47", values: [value(2023, "actual", 47), value(2024, "actual", 60, "事務事業実績（移住促進事業）"), value(2024, "actual", 58)] };
    expect(latestActual(later, 2023)).toEqual({ value: 58, fiscalYear: 2024 });
    expect(latestActual({ baseline_value: "145515", values: [] }, 2023)).toEqual({ value: 145515, fiscalYear: 2023 });
    expect(latestActual({ baseline_value: null, values: [] }, 2023)).toBeNull();
  });
});

describe("yearly targets", () => {
  const values = [
    value(2027, "target", 8),
    value(2027, "target", 8, "事務事業実績（スマートシティ推進事業）"),
    value(2027, "target", 18, "実施計画（スマートシティ推進事業）"),
    value(2025, "target", 14, "実施計画（スマートシティ推進事業）"),
    value(2023, "actual", 10),
  ];
  it("gives each distinct figure of a year once, with every place that gives it", () => {
    expect(targetsFor(values, 2027, { withKpiTable: true })).toEqual([
      { value: 8, sources: ["KPI表", "事務事業実績（スマートシティ推進事業）"] },
      { value: 18, sources: ["実施計画（スマートシティ推進事業）"] },
    ]);
    expect(targetsFor(values, 2027, { withKpiTable: false }).map((figure) => figure.value)).toEqual([8, 18]);
    expect(targetsFor(values, 2024, { withKpiTable: true })).toEqual([]);
  });
  it("lists the years that have yearly targets outside the KPI table", () => {
    expect(yearlyTargetYears([{ values }, { values: [value(2024, "target", 2, "事務事業実績（空き家バンク運用推進事業）"), value(2027, "target", 8)] }])).toEqual([2024, 2025, 2027]);
  });
});

describe("the monthly bar chart", () => {
  it("picks round axis steps", () => {
    expect(niceScale(0)).toEqual({ top: 1, step: 1 });
    expect(niceScale(3)).toEqual({ top: 3, step: 1 });
    expect(niceScale(7)).toEqual({ top: 8, step: 2 });
    expect(niceScale(4759)).toEqual({ top: 6000, step: 2000 });
    expect(niceScale(80)).toEqual({ top: 80, step: 20 });
  });

  it("draws a bar and its number per month begun, names the months, and describes itself", () => {
    const svg = barChart({ id: "c1", title: "相談件数 <R7>", unit: "件", months: [2, 0, 5, null, null, null, null, null, null, null, null, null] }).value;
    expect(svg).toContain('role="img" aria-labelledby="c1-title c1-desc"');
    expect(svg).toContain('<title id="c1-title">相談件数 &lt;R7&gt;</title>');
    expect(svg).toContain("<desc id=\"c1-desc\">4月 2件、5月 0件、6月 5件。7月以降はまだありません。</desc>");
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('data-month="6" data-value="5"');
    expect(svg).toMatch(/data-month="3">/);
    for (const month of ["4月", "9月", "12月", "1月", "3月"]) expect(svg).toContain(`>${month}</text>`);
    expect(svg).not.toContain("style=");
  });
});
