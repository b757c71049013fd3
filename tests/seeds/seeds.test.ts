import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultSeedsDir, loadSeeds } from "../../src/seeds/load-seeds.js";
import { seedDatabase } from "../../src/seeds/seed-database.js";
import type { CitySeeds } from "../../src/seeds/schemas.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { testDatabases } from "../support/test-store.js";

const planFile = path.resolve(fileURLToPath(new URL("../..", import.meta.url)), "docs", "plan", "strategy6-plan.txt");

// The plan writes figures with thousands separators and sometimes a trailing ".0".
function writtenForms(value: number): string[] {
  const plain = String(value);
  const grouped = value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return [...new Set([plain, grouped, value.toFixed(1)])];
}

describe("seed files", () => {
  let seeds: CitySeeds;
  let plan: string;
  beforeAll(async () => {
    seeds = await loadSeeds();
    plan = await readFile(planFile, "utf8");
  });

  it("hold every indicator of the plan's five KPI tables, each with its KPI-table row", () => {
    const policy = seeds.indicators.filter((indicator) => indicator.level === "policy");
    expect(policy).toHaveLength(12);
    expect(policy.map((indicator) => indicator.policy.no)).toEqual([1, 1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5]);
    for (const indicator of policy) {
      expect(indicator.baseline, indicator.id).toBeTypeOf("number");
      expect(indicator.target, indicator.id).toBeTypeOf("number");
      expect(["◎", "○", "△"]).toContain(indicator.mark);
      expect(indicator.values.filter((value) => value.source === "KPI表")).toEqual([
        { fy: 2023, kind: "actual", value: indicator.baseline, source: "KPI表" },
        { fy: 2027, kind: "target", value: indicator.target, source: "KPI表" },
      ]);
    }
  });

  it("only use names, departments and figures that stand in the plan", () => {
    for (const indicator of seeds.indicators) {
      const core = indicator.name.replace(/（.*）$/, "");
      expect(plan.includes(core) || plan.includes(core.replace("を通じた", "通じた")), indicator.name).toBe(true);
      for (const department of indicator.departments) expect(plan, department).toContain(`${department}`);
      for (const value of indicator.values) {
        const thousandYen = value.source.match(/([\d,]+)千円/)?.[1];
        const forms = thousandYen ? [thousandYen] : writtenForms(value.value).map((form) => `${form}${indicator.unit}`);
        expect(forms.some((form) => plan.includes(form)), `${indicator.id} ${value.fy} ${value.kind} ${value.value} (${value.source})`).toBe(true);
      }
    }
  });

  it("match the plan exactly where it is unambiguous", () => {
    const byId = new Map(seeds.indicators.map((indicator) => [indicator.id, indicator]));
    const figures = (id: string, kind: "actual" | "target", fy: number) =>
      byId.get(id)!.values.filter((value) => value.kind === kind && value.fy === fy).map((value) => value.value);
    expect(byId.get("relocation_consultations")).toMatchObject({ baseline: 47, target: 80, mark: "△", unit: "件", departments: ["商工観光課"] });
    expect(figures("relocation_consultations", "target", 2025)).toEqual([65]);
    expect(figures("relocation_consultations", "target", 2026)).toEqual([75]);
    expect(byId.get("sns_followers")).toMatchObject({ baseline: 25671, target: 33500, mark: "○" });
    expect(figures("sns_followers", "target", 2025)).toEqual([28700]);
    expect(figures("sns_followers", "target", 2026)).toEqual([31100]);
    expect(byId.get("tax_collection_rate")).toMatchObject({ baseline: 98.94, target: 99.28 });
    expect(figures("tax_collection_rate", "target", 2024)).toEqual([99.12]);
    expect(figures("tax_collection_rate", "target", 2025)).toEqual([99.17]);
    expect(figures("tax_collection_rate", "target", 2026)).toEqual([99.23]);
    expect(byId.get("vacant_house_contracts")).toMatchObject({ baseline: 0, target: 8, departments: ["地域コミュニティ課"] });
  });

  it("keep both figures, with their sources, where the plan gives two", () => {
    const byId = new Map(seeds.indicators.map((indicator) => [indicator.id, indicator]));
    const r9 = (id: string) => new Set(byId.get(id)!.values.filter((v) => v.kind === "target" && v.fy === 2027).map((v) => v.value));
    expect(r9("ict_projects")).toEqual(new Set([8, 18]));
    expect(r9("konbini_issuance_rate")).toEqual(new Set([30, 35]));
    expect(r9("fiscal_adjustment_fund")).toEqual(new Set([7.4, 9.5]));
    expect(r9("debt_reduction_fund")).toEqual(new Set([21.7, 22.8]));
    expect(r9("smartphone_procedures")).toEqual(new Set([30, 34]));
    expect(r9("day_visitors")).toEqual(new Set([1283000, 1300000]));
    const furusatoActuals = byId.get("furusato_donations")!.values.filter((v) => v.kind === "actual").map((v) => v.value);
    expect(new Set(furusatoActuals)).toEqual(new Set([4.1, 4]));
  });

  it("name the bad entry and file when a clerk mistypes a key", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "seeds-"));
    try {
      await cp(defaultSeedsDir, dir, { recursive: true });
      const listings = await readFile(path.join(dir, "listings.yaml"), "utf8");
      await writeFile(path.join(dir, "listings.yaml"), listings.replace("price_yen: 35000", "price_yem: 35000"));
      await expect(loadSeeds(dir)).rejects.toThrow(/listings\.yaml is not valid:[\s\S]*listings\.0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.each(testDatabases)("seeding $name", (database) => {
  let store: Store;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const created = await database.create();
    drop = created.drop;
    store = await openStore(created.target);
    await migrateToLatest(store.db);
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  const counts = async () => ({
    indicators: (await store.db.selectFrom("kpi_indicators").select("id").execute()).length,
    values: (await store.db.selectFrom("kpi_values").select("indicator_id").execute()).length,
    listings: (await store.db.selectFrom("vacant_house_listings").select("id").execute()).length,
    questions: (await store.db.selectFrom("survey_questions").select("id").execute()).length,
  });

  it("loads everything once, and a second run adds nothing", async () => {
    const seeds = await loadSeeds();
    const first = await seedDatabase(store.db, seeds);
    expect(first.indicators.inserted).toBe(seeds.indicators.length);
    const afterFirst = await counts();
    expect(afterFirst.values).toBe(seeds.indicators.reduce((sum, indicator) => sum + indicator.values.length, 0));
    const second = await seedDatabase(store.db, seeds);
    expect(second.indicators).toEqual({ inserted: 0, updated: seeds.indicators.length });
    expect(second.listings.inserted).toBe(0);
    expect(await counts()).toEqual(afterFirst);
    const row = await store.db.selectFrom("kpi_indicators").selectAll().where("id", "=", "relocation_consultations").executeTakeFirstOrThrow();
    expect(row).toMatchObject({ baseline_value: "47", target_value: "80", achievement_mark: "△", departments: ["商工観光課"] });
  });

  it("leaves a listing staff edited alone, and applies a corrected plan figure", async () => {
    await store.db.updateTable("vacant_house_listings").set({ price_yen: 30000 }).where("code", "=", "AK-001").execute();
    const seeds = await loadSeeds();
    const corrected = {
      ...seeds,
      indicators: seeds.indicators.map((indicator) => (indicator.id === "relocation_consultations" ? { ...indicator, baseline: 48 } : indicator)),
    };
    await seedDatabase(store.db, corrected);
    const listing = await store.db.selectFrom("vacant_house_listings").select("price_yen").where("code", "=", "AK-001").executeTakeFirstOrThrow();
    expect(listing.price_yen).toBe(30000);
    const indicator = await store.db.selectFrom("kpi_indicators").select("baseline_value").where("id", "=", "relocation_consultations").executeTakeFirstOrThrow();
    expect(Number(indicator.baseline_value)).toBe(48);
  });
});
