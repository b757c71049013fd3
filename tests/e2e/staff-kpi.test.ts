import { describe, expect, it } from "vitest";
import { formatFigure } from "../../src/kpi/kpi-answer.js";
import { loadSeeds } from "../../src/seeds/load-seeds.js";
import { botFixture } from "../support/bot-fixture.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";

// The KPI dashboard at /staff/kpi over HTTP: every indicator of the plan with its figures, and the
// figures the bot feeds by month, counted in Japan time.
describe.each(testDatabases)("staff KPI dashboard on $name", (database) => {
  const fixture = botFixture(database);

  const rowOf = (pageText: string, id: string) => {
    const match = new RegExp(`<tr class="indicator" id="kpi-${id}">([\\s\\S]*?)</tr>`).exec(pageText);
    expect(match, `row of ${id}`).not.toBeNull();
    return match![1]!;
  };
  const cellsOf = (row: string) => [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.trim());
  const sectionOf = (pageText: string, id: string) => {
    const match = new RegExp(`<section class="kpi-live" id="live-${id}">([\\s\\S]*?)</section>`).exec(pageText);
    expect(match, `live section of ${id}`).not.toBeNull();
    return match![1]!;
  };
  // month → the bar's value; null for a month that has not begun.
  const barsOf = (section: string) =>
    new Map(
      [...section.matchAll(/<g class="bar[^"]*" data-month="(\d+)"(?: data-value="(\d+)")?>/g)].map((bar) => [Number(bar[1]), bar[2] === undefined ? null : Number(bar[2])]),
    );

  it("needs a session", async () => {
    const bot = await fixture.start();
    const anonymous = await new StaffClient(bot.url).request("/staff/kpi");
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toBe(`/staff/login?next=${encodeURIComponent("/staff/kpi")}`);
  });

  it("lists every indicator of the plan with its 令和5年度 actual, 令和9年度 target, yearly targets and achievement ratio", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "kikaku1", department: "秘書課" });
    const client = new StaffClient(bot.url);
    await client.login("kikaku1");
    const dashboard = await client.request("/staff/kpi");
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain('aria-current="page">KPI</a>');

    const stored = await bot.store.db.selectFrom("kpi_indicators").select("id").execute();
    expect(stored.length).toBeGreaterThan(0);
    expect(dashboard.text.match(/<tr class="indicator"/g)).toHaveLength(stored.length);

    expect(dashboard.text).toContain("令和5年度（2023年度）の実績");
    expect(dashboard.text).toContain("令和9年度（2027年度）の目標");
    for (const label of ["令和6年度（2024年度）", "令和7年度（2025年度）", "令和8年度（2026年度）"]) expect(dashboard.text).toContain(`<th scope="col" class="num">${label}</th>`);
    const { indicators } = await loadSeeds();
    for (const indicator of indicators) {
      const cells = cellsOf(rowOf(dashboard.text, indicator.id));
      const [unit, baseline, mark, target] = cells;
      expect(unit, indicator.id).toBe(indicator.unit);
      expect(baseline, indicator.id).toBe(indicator.baseline === undefined ? "—" : formatFigure(indicator.baseline, ""));
      expect(mark, indicator.id).toBe(indicator.mark ?? "—");
      expect(target, indicator.id).toBe(indicator.target === undefined ? "—" : formatFigure(indicator.target, ""));
      expect(cells.at(-1), indicator.id).toBe(indicator.departments.join("・"));
    }
    expect(dashboard.text).toContain("施策1　移住定住の促進");

    // 移住希望者からの相談件数: 47 against 80; yearly targets 65 (令和7年度) and 75 (令和8年度).
    const relocation = cellsOf(rowOf(dashboard.text, "relocation_consultations"));
    expect(relocation.slice(4, 8)).toEqual(["—", "65", "75", "80"]);
    expect(relocation[8]).toMatch(/^58\.8%/);
    // Where the plan gives two 令和9年度 figures, both are shown with their source.
    const ict = cellsOf(rowOf(dashboard.text, "ict_projects"));
    expect(ict[3]).toBe("8");
    expect(ict[7]).toContain("18");
    expect(ict[8]).toMatch(/^125\.0%/);
    expect(dashboard.text).toContain("達成率＝最新の実績値÷令和9年度（2027年度）の目標値");

    // Every indicator the bot feeds has its panel.
    for (const id of ["relocation_consultations", "vacant_house_contracts", "sns_followers", "smartphone_procedures"]) sectionOf(dashboard.text, id);
    expect(dashboard.text).not.toMatch(/style=|<script/);
  });

  it("charts this fiscal year's figures by month in Japan time, with the year's total and target", async () => {
    // 20 November of 令和7年度 (2025): April to November have begun.
    const now = new Date("2025-11-20T12:00:00+09:00");
    const bot = await fixture.start({ overrides: { now: () => now } });
    const db = bot.store.db;
    const inquiry = (reference: string, at: string, category = "relocation") =>
      db.insertInto("inquiries").values({ reference_no: reference, user_id: "Ukpi", category, department: "商工観光課", created_at: at, updated_at: at }).execute();
    await inquiry("IQ-K-1", "2025-04-01T00:30:00+09:00"); // 31 March in UTC, April in Japan
    await inquiry("IQ-K-2", "2025-04-15T10:00:00+09:00");
    await inquiry("IQ-K-3", "2025-11-01T00:10:00+09:00"); // 31 October in UTC, November in Japan
    await inquiry("IQ-K-4", "2025-03-31T23:50:00+09:00"); // the previous fiscal year
    await inquiry("IQ-K-5", "2025-05-10T10:00:00+09:00", "vacant_house");
    await db
      .insertInto("line_users")
      .values([
        { user_id: "Ufriend-old", follow_state: "following" },
        { user_id: "Ufriend-june", follow_state: "following", followed_at: "2025-06-10T09:00:00+09:00" },
        { user_id: "Ufriend-blocked", follow_state: "blocked", followed_at: "2025-05-10T09:00:00+09:00" },
      ])
      .execute();
    const listing = await db.selectFrom("vacant_house_listings").select("id").orderBy("code").executeTakeFirstOrThrow();
    await db.updateTable("vacant_house_listings").set({ status: "contracted", contracted_at: "2025-07-31" }).where("id", "=", listing.id).execute();

    await addStaff(db, { loginId: "shoko-kpi" });
    const client = new StaffClient(bot.url);
    await client.login("shoko-kpi");
    const dashboard = await client.request("/staff/kpi");
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain("今年度は令和7年度（2025年度）です");

    const relocation = sectionOf(dashboard.text, "relocation_consultations");
    const bars = barsOf(relocation);
    expect([...bars.keys()]).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]);
    expect(bars.get(4)).toBe(2);
    expect(bars.get(5)).toBe(0);
    expect(bars.get(10)).toBe(0);
    expect(bars.get(11)).toBe(1);
    expect(bars.get(12)).toBeNull();
    expect(bars.get(3)).toBeNull();
    expect(relocation).toMatch(/<title id="chart-relocation_consultations-title">移住希望者からの相談件数（令和7年度（2025年度）、月別の件数）<\/title>/);
    expect(relocation).toContain("4月 2件、5月 0件、6月 0件、7月 0件、8月 0件、9月 0件、10月 0件、11月 1件。12月以降はまだありません。");
    expect(relocation).toMatch(/今年度の合計<\/dt><dd><b>3件<\/b>/);
    expect(relocation).toContain("令和7年度（2025年度）の目標</dt><dd><span class=\"kpi-block\">65件（実施計画（移住促進事業））");

    const contracts = barsOf(sectionOf(dashboard.text, "vacant_house_contracts"));
    expect(contracts.get(7)).toBe(1);
    expect(contracts.get(8)).toBe(0);

    // Friends who follow now, at each month's end: one from before the year, one added in June.
    const friends = barsOf(sectionOf(dashboard.text, "sns_followers"));
    expect([4, 5, 6, 7, 11].map((month) => friends.get(month))).toEqual([1, 1, 2, 2, 2]);
    expect(friends.get(12)).toBeNull();
    expect(sectionOf(dashboard.text, "sns_followers")).toMatch(/現在の友だち数<\/dt><dd><b>2人<\/b>/);

    const procedures = sectionOf(dashboard.text, "smartphone_procedures");
    expect(procedures).not.toContain("<svg");
    expect(procedures).toContain("職員への取り次ぎ");
    expect(procedures).toMatch(/現在の手続きの数<\/dt><dd><b>\d+種類<\/b>/);
    expect(procedures).toContain("30種類（実施計画（窓口業務効率化事業ほか））");
  });
});
