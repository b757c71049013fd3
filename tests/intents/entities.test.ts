import { beforeAll, describe, expect, it } from "vitest";
import { loadRouterData } from "../../src/intents/load-router-data.js";
import { createRouter, type Router } from "../../src/intents/router.js";
import { fiscalYearOf } from "../../src/japan-time.js";

let router: Router;
beforeAll(async () => {
  router = createRouter(await loadRouterData());
});
const now = new Date("2026-11-25T10:00:00+09:00");
const entities = (text: string) => router.classify(text, now).entities;

describe("entities", () => {
  it("money: monthly rent limits and sale budgets, from digits or kanji", () => {
    expect(entities("月3万以内の賃貸").money).toEqual([{ amountYen: 30000, bound: "max", perMonth: true }]);
    expect(entities("月三万円までの家").money).toEqual([{ amountYen: 30000, bound: "max", perMonth: true }]);
    expect(entities("500万円以下で買える家").money).toEqual([{ amountYen: 5000000, bound: "max", perMonth: false }]);
    expect(entities("予算は800万円くらい").money).toEqual([{ amountYen: 8000000, bound: "about", perMonth: false }]);
    expect(entities("家賃4万5千円以上").money).toEqual([{ amountYen: 45000, bound: "min", perMonth: true }]);
    expect(entities("令和5年度の件数は47件").money).toEqual([]);
  });

  it("layouts", () => {
    expect(entities("4LDKの家").layouts).toEqual(["4LDK"]);
    expect(entities("２ＤＫか3ldk").layouts).toEqual(["2DK", "3LDK"]);
  });

  it("rent or sale", () => {
    expect(entities("賃貸で探しています").dealType).toBe("rent");
    expect(entities("空き家を借りたい").dealType).toBe("rent");
    expect(entities("中古の家を購入したい").dealType).toBe("sale");
    expect(entities("ｱｷﾔ ｶｲﾀｲ").dealType).toBe("sale");
    expect(entities("空き家を探しています").dealType).toBeNull();
  });

  it("area names from seeds, with or without 町", () => {
    expect(entities("下林町あたりの空き家").areas).toEqual(["下林町"]);
    expect(entities("九日町か上原田で").areas).toEqual(["九日町", "上原田町"]);
  });

  it("KPI indicators by name and everyday alias", () => {
    expect(entities("財調の残高").indicators.map((i) => i.id)).toEqual(["fiscal_adjustment_fund"]);
    expect(entities("フォロワーは何人？").indicators.map((i) => i.id)).toEqual(["sns_followers"]);
    expect(entities("市税収納率（現年分）の目標").indicators.map((i) => i.id)).toEqual(["tax_collection_rate"]);
    expect(entities("いじゅうそうだんのけんすう").indicators.map((i) => i.id)).toEqual(["relocation_consultations"]);
    expect(entities("コンビニ交付の利用率").indicators.map((i) => i.id)).toEqual(["konbini_issuance_rate"]);
  });

  it("fiscal years: 令和, R, western, and relative to today (April start)", () => {
    expect(entities("令和5年度の実績").fiscalYears).toEqual([2023]);
    expect(entities("令和元年度").fiscalYears).toEqual([2019]);
    expect(entities("R7の目標").fiscalYears).toEqual([2025]);
    expect(entities("2024年度").fiscalYears).toEqual([2024]);
    expect(entities("去年の件数").fiscalYears).toEqual([2025]);
    expect(entities("今年度の件数").fiscalYears).toEqual([2026]);
    expect(fiscalYearOf(new Date(2027, 2, 31))).toBe(2026);
    expect(fiscalYearOf(new Date(2027, 3, 1))).toBe(2027);
    // 1 April 00:30 in Japan is still 31 March in UTC: the fiscal year follows Japan.
    expect(fiscalYearOf(new Date("2027-03-31T15:30:00Z"))).toBe(2027);
    expect(fiscalYearOf(new Date("2027-03-31T14:30:00Z"))).toBe(2026);
  });

  it("dates", () => {
    expect(entities("12月3日の未来カフェ").dates).toEqual(["2026-12-03"]);
    expect(entities("明日は行けますか").dates).toEqual(["2026-11-26"]);
  });
});
