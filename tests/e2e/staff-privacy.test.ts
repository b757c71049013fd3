import { sql, type Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import type { Database } from "../../src/store/database.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, waitFor } from "../support/webhook-client.js";

// Personal data: removed from closed inquiries after the retention period by the scheduled job;
// exported or erased for one resident by an administrator.
describe.each(testDatabases)("privacy on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press } = conversationDriver(() => fixture.lineApi);
  const DAY = 24 * 60 * 60 * 1000;

  const DEFAULT_ANSWERS = { residence: "福岡県久留米市", phone: "090-1111-2222", details: "妻と二人で古民家に住みたい" };

  async function consultation(bot: RunningBot, userId: string, answers = DEFAULT_ANSWERS) {
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    messages = await say(bot, events.text(userId, answers.residence));
    messages = await say(bot, press(userId, tap(messages, "電話")));
    messages = await say(bot, events.text(userId, answers.phone));
    messages = await say(bot, events.text(userId, answers.details));
    await say(bot, press(userId, tap(messages, "送信する")));
    // Every answer to this resident is sent and marked, so nothing of theirs is still in flight.
    await waitFor(
      async () => (await bot.store.db.selectFrom("outbound_messages").select("id").where("user_id", "=", userId).where("status", "!=", "sent").execute()).length === 0,
      "the answers sent",
    );
    return bot.store.db.selectFrom("inquiries").selectAll().where("user_id", "=", userId).executeTakeFirstOrThrow();
  }

  // The live figure of 移住希望者からの相談件数 everywhere it is shown: the monthly counts, the
  // answer a resident gets, and the staff KPI dashboard.
  async function relocationFigures(bot: RunningBot, client: StaffClient) {
    const kept = await bot.store.db
      .selectFrom("monthly_counts")
      .select((eb) => eb.fn.sum<string>("n").as("n"))
      .where("counter", "=", "inquiries.relocation")
      .executeTakeFirst();
    const [answer] = await say(bot, events.text(newUserId(), "移住相談の件数は？"));
    const dashboard = await client.request("/staff/kpi");
    const section = /<section class="kpi-live" id="live-relocation_consultations">([\s\S]*?)<\/section>/.exec(dashboard.text)![1]!;
    return {
      monthlyCounts: Number(kept?.n ?? 0),
      answer: Number(/の数：(\d+)件/.exec(answer!.text)![1]),
      dashboard: Number(/今年度の合計<\/dt><dd><b>(\d+)件<\/b>/.exec(section)![1]),
    };
  }

  // The tables of this test's schema with a row whose text holds `needle`.
  async function tablesHolding(db: Kysely<Database>, needle: string): Promise<string[]> {
    const { rows: tables } = await sql<{ name: string }>`
      select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`.execute(db);
    const holding: string[] = [];
    for (const { name } of tables) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(name)} as t where t::text like ${`%${needle}%`}`.execute(db);
      if (rows[0]!.n > 0) holding.push(name);
    }
    return holding;
  }

  it("removes the personal answers of an inquiry closed longer than the retention period, keeping what statistics need", async () => {
    let clock = new Date();
    const bot = await fixture.start({ env: { PERSONAL_DATA_RETENTION_DAYS: "30" }, overrides: { jobIntervalMs: 50, now: () => clock } });
    const kept = await consultation(bot, newUserId());
    const old = await consultation(bot, newUserId());
    await bot.store.db.updateTable("inquiries").set({ status: "closed", closed_at: new Date(Date.now() - 10 * DAY) }).where("id", "=", kept.id).execute();
    await bot.store.db.updateTable("inquiries").set({ status: "closed", closed_at: new Date(Date.now() - 31 * DAY) }).where("id", "=", old.id).execute();
    clock = new Date();
    const anonymized = await waitFor(async () => {
      const row = await bot.store.db.selectFrom("inquiries").selectAll().where("id", "=", old.id).executeTakeFirstOrThrow();
      return row.anonymized_at ? row : undefined;
    }, "the retention job");
    expect(anonymized.details).toEqual({ topic: "住まい", household: "2人", contact_method: "電話" });
    const untouched = await bot.store.db.selectFrom("inquiries").selectAll().where("id", "=", kept.id).executeTakeFirstOrThrow();
    expect(untouched.anonymized_at).toBeNull();
    expect(untouched.details).toMatchObject({ contact: "09011112222", residence: "福岡県久留米市" });
  });

  it("keeps a consultation counted when the retention job removes its personal data", async () => {
    let clock = new Date();
    const bot = await fixture.start({ env: { PERSONAL_DATA_RETENTION_DAYS: "30" }, overrides: { jobIntervalMs: 50, now: () => clock } });
    await addStaff(bot.store.db, { loginId: "shoko-ret" });
    const client = new StaffClient(bot.url);
    await client.login("shoko-ret");
    const inquiry = await consultation(bot, newUserId(), { residence: "北海道函館市", phone: "080-5555-6666", details: "海の近くから山あいの町へ移りたい" });
    const before = await relocationFigures(bot, client);
    expect(before).toEqual({ monthlyCounts: 1, answer: 1, dashboard: 1 });

    await bot.store.db.updateTable("inquiries").set({ status: "closed", closed_at: new Date(Date.now() - 31 * DAY) }).where("id", "=", inquiry.id).execute();
    clock = new Date();
    const anonymized = await waitFor(async () => {
      const row = await bot.store.db.selectFrom("inquiries").selectAll().where("id", "=", inquiry.id).executeTakeFirstOrThrow();
      return row.anonymized_at ? row : undefined;
    }, "the retention job");
    expect(JSON.stringify(anonymized.details)).not.toMatch(/北海道函館市|08055556666|海の近くから/);
    expect(anonymized.details).toEqual({ topic: "住まい", household: "2人", contact_method: "電話" });
    expect(await relocationFigures(bot, client)).toEqual(before);
  });

  it("keeps a consultation counted when its resident's data is erased, and leaves nothing of theirs", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin-erase", department: "秘書課", role: "admin" });
    const admin = new StaffClient(bot.url);
    await admin.login("admin-erase");
    const userId = newUserId();
    const personal = { residence: "北海道札幌市中央区", phone: "080-3333-4444", details: "雪の少ない町で農業を始めたい" };
    const inquiry = await consultation(bot, userId, personal);
    await consultation(bot, newUserId());
    const before = await relocationFigures(bot, admin);
    expect(before).toEqual({ monthlyCounts: 2, answer: 2, dashboard: 2 });
    for (const text of [userId, personal.residence, personal.details, "08033334444"]) expect(await tablesHolding(bot.store.db, text), text).not.toEqual([]);

    // Found by the reference number the resident quotes, then erased.
    const lookup = await admin.request(`/staff/privacy?q=${inquiry.reference_no}`);
    expect(lookup.text).toContain(`受付番号 ${inquiry.reference_no} の方（${userId}）のデータ`);
    expect(lookup.text).toContain("問い合わせ 1件");
    const deleted = await admin.post(`/staff/privacy/${userId}/delete`, { confirm: "yes" });
    expect(deleted.location).toBe("/staff/privacy?done=deleted");

    expect(await relocationFigures(bot, admin)).toEqual(before);
    for (const text of [personal.residence, personal.phone, "08033334444", personal.details, personal.details.slice(0, 6)]) {
      expect(await tablesHolding(bot.store.db, text), text).toEqual([]);
    }
    // The audit log keeps who was erased, and when, by whom: nothing else names them.
    expect(await tablesHolding(bot.store.db, userId)).toEqual(["audit_log"]);
    expect(await bot.store.db.selectFrom("case_status_counts").select(({ fn }) => fn.sum<string>("n").as("n")).where("case_type", "=", "inquiry").executeTakeFirst()).toEqual({ n: "1" });
  });

  it("finds a resident by the reference number of an inquiry or a report, and says when a search finds no one", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin-find", department: "秘書課", role: "admin" });
    const admin = new StaffClient(bot.url);
    await admin.login("admin-find");
    const userId = newUserId();
    const inquiry = await consultation(bot, userId);
    let messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "街灯")));
    messages = await say(bot, events.text(userId, "上林町のバス停前"));
    messages = await say(bot, press(userId, tap(messages, "写真なし")));
    messages = await say(bot, events.text(userId, "街灯が点かない"));
    messages = await say(bot, press(userId, tap(messages, "通報する")));
    const report = await bot.store.db.selectFrom("reports").select("reference_no").where("user_id", "=", userId).executeTakeFirstOrThrow();

    const search = async (query: string) => (await admin.request(`/staff/privacy?q=${encodeURIComponent(query)}`)).text;
    const alertOf = (text: string) => /<p class="error" role="alert">([^<]*)<\/p>/.exec(text)?.[1] ?? null;
    const page = await search("");
    expect(page).not.toContain("pattern=");
    for (const query of [inquiry.reference_no, report.reference_no, report.reference_no.toLowerCase(), ` ${inquiry.reference_no.replace("-", "－")} `, userId]) {
      const found = await search(query);
      expect(alertOf(found), query).toBeNull();
      expect(found, query).toMatch(new RegExp(`${userId}）?\\s?のデータ</h2>`));
      expect(found, query).toContain("問い合わせ 1件");
      expect(found, query).toContain("通報 1件");
      expect(found, query).toContain(`/staff/privacy/${userId}/delete`);
    }
    expect(await search(inquiry.reference_no)).toContain(`受付番号 ${inquiry.reference_no} の方`);
    expect(await search(report.reference_no)).toContain(`受付番号 ${report.reference_no} の方`);

    const missing = inquiry.reference_no.replace(/\d{5}$/, "99999");
    expect(alertOf(await search(missing))).toBe(`受付番号 ${missing} の問い合わせは見つかりません（番号の誤りか、データが削除されています）。`);
    expect(alertOf(await search("RP-2026-99999"))).toBe("受付番号 RP-2026-99999 の通報は見つかりません（番号の誤りか、データが削除されています）。");
    expect(alertOf(await search("山田花子"))).toContain("「山田花子」はLINEのユーザーIDでも受付番号でもありません");
    const stranger = newUserId();
    expect(alertOf(await search(stranger))).toBe(`LINEのユーザーID ${stranger} のデータはありません（削除済みか、このLINEとやりとりのない方です）。`);

    await admin.post(`/staff/privacy/${userId}/delete`, { confirm: "yes" });
    expect(alertOf(await search(inquiry.reference_no))).toContain("見つかりません");
    expect(alertOf(await search(userId))).toContain("のデータはありません");
  });

  it("lets an administrator export and erase everything about one resident; other staff cannot", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin2", department: "秘書課", role: "admin" });
    await addStaff(bot.store.db, { loginId: "shoko4" });
    const userId = newUserId();
    const other = newUserId();
    await consultation(bot, userId);
    await consultation(bot, other);

    const staff = new StaffClient(bot.url);
    await staff.login("shoko4");
    expect((await staff.request(`/staff/privacy?user=${userId}`)).status).toBe(403);
    expect((await staff.request(`/staff/api/privacy/${userId}/export.json`)).status).toBe(403);

    const admin = new StaffClient(bot.url);
    await admin.login("admin2");
    const lookup = await admin.request(`/staff/privacy?user=${userId}`);
    expect(lookup.text).toContain("問い合わせ 1件");
    const exported = await admin.request(`/staff/api/privacy/${userId}/export.json`);
    const data = JSON.parse(exported.text);
    expect(data.lineUserId).toBe(userId);
    expect(data.inquiries[0].details).toMatchObject({ contact: "09011112222" });
    expect(data.messages.map((message: { text: string | null }) => message.text)).toContain("妻と二人で古民家に住みたい");

    expect((await admin.request(`/staff/privacy/${userId}/delete`, { form: { confirm: "yes" } })).status).toBe(403);
    const deleted = await admin.post(`/staff/privacy/${userId}/delete`, { confirm: "yes" });
    expect(deleted.location).toBe("/staff/privacy?done=deleted");
    for (const table of ["messages", "inquiries", "line_users", "conversations"] as const) {
      expect(await bot.store.db.selectFrom(table).select("user_id").where("user_id", "=", userId).execute(), table).toEqual([]);
    }
    // The raw webhook payloads (with the message texts) are emptied for this resident only.
    const payloads = await bot.store.db.selectFrom("inbox_events").select("payload").execute();
    expect(JSON.stringify(payloads)).not.toContain(userId);
    expect(payloads.filter((row) => JSON.stringify(row.payload).includes("妻と二人で"))).toHaveLength(1);
    expect(await bot.store.db.selectFrom("inquiries").select("user_id").where("user_id", "=", other).execute()).toHaveLength(1);
    const log = await bot.store.db.selectFrom("audit_log").select(["action", "target_id"]).where("action", "like", "privacy.%").orderBy("id").execute();
    expect(log).toEqual([
      { action: "privacy.export", target_id: userId },
      { action: "privacy.delete", target_id: userId },
    ]);
  });
});
