import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { liveCount } from "../../src/kpi/live-counts.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// The inboxes' free text (character bigrams, from two characters), the status tabs' counts (exact
// without a filter, kept by triggers; capped at 1,000 with one), through the real console.
describe.each(testDatabases)("staff inbox search and counts on $name", (database) => {
  const fixture = botFixture(database);
  const { say } = conversationDriver(() => fixture.lineApi);

  // A resident asks for a person (a 秘書課 hand-off inquiry), then writes to us while waiting.
  async function handoffWithMessages(bot: RunningBot, texts: string[]) {
    const userId = newUserId();
    await say(bot, events.text(userId, "職員の方と話したいです"));
    const sent: ReturnType<typeof events.text>[] = [];
    for (const text of texts) {
      sent.push(events.text(userId, text));
      await sendEvents(bot.url, [sent.at(-1)!]);
      await waitFor(() => bot.store.db.selectFrom("messages").select("id").where("user_id", "=", userId).where("text", "=", text).executeTakeFirst(), `the message 「${text}」`);
    }
    const inquiry = await bot.store.db.selectFrom("inquiries").select(["id", "reference_no"]).where("user_id", "=", userId).executeTakeFirstOrThrow();
    return { ...inquiry, userId, sent };
  }

  const listed = async (client: StaffClient, query: string) => (await client.request(`/staff/inquiries?q=${encodeURIComponent(query)}`)).text;
  const tab = (page: string, label: string) => new RegExp(`>${label} <b>([^<]*)</b>`).exec(page)?.[1];

  it("finds two-character words in what residents wrote, rechecks the whole words, and asks for two characters", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin-search", department: "秘書課", role: "admin" });
    const road = await handoffWithMessages(bot, ["道路の穴", "穴の前の歩道"]);
    const house = await handoffWithMessages(bot, ["空家の管理について"]);
    const client = new StaffClient(bot.url);
    await client.login("admin-search");

    const roads = await listed(client, "道路");
    expect(roads).toContain(road.reference_no);
    expect(roads).not.toContain(house.reference_no);
    const houses = await listed(client, "空家");
    expect(houses).toContain(house.reference_no);
    expect(houses).not.toContain(road.reference_no);
    expect(await listed(client, "空家の管理")).toContain(house.reference_no);
    // 「路の前」: every bigram is in the first resident's messages (路の, の前), the words are not.
    const scattered = await listed(client, "路の前");
    expect(scattered).not.toContain(road.reference_no);
    expect(scattered).toContain("条件に合う問い合わせはありません（キーワード「路の前」）。");
    const conditions = (await client.request(`/staff/inquiries?q=${encodeURIComponent("道路")}&category=relocation&department=${encodeURIComponent("秘書課")}&from=2026-01-01&to=2026-01-31`)).text;
    expect(conditions).not.toContain(road.reference_no);
    expect(conditions).toContain("条件に合う問い合わせはありません（キーワード「道路」、種類「移住相談」、担当課「秘書課」、期間「2026-01-01〜2026-01-31」）。");
    expect(conditions).toContain('<a href="/staff/inquiries">条件をクリア</a>');
    expect((await client.request("/staff/inquiries?page=4")).text).toContain("4ページ目に表示する問い合わせはありません。");

    const oneCharacter = await listed(client, "道");
    expect(oneCharacter).toContain("2文字以上で検索してください");
    expect(oneCharacter).toContain(road.reference_no);
    expect(oneCharacter).toContain(house.reference_no);
    expect(await listed(client, "道路")).not.toContain("2文字以上で検索してください");

    // The resident takes the message back (unsend): its words leave the inquiry's search bigrams.
    const unsent = house.sent[0]!;
    await sendEvents(bot.url, [{ ...events.text(house.userId, "x"), type: "unsend", replyToken: undefined, message: undefined, unsend: { messageId: (unsent.message as { id: string }).id } }]);
    await waitFor(() => bot.store.db.selectFrom("messages").select("id").where("user_id", "=", house.userId).where("payload", "is not", null).where("text", "is", null).executeTakeFirst(), "the unsent message erased");
    const still = await sql<{ found: boolean }>`select search_bigrams @@ text_bigram_query('空家') as found from inquiries where id = ${house.id}`.execute(bot.store.db);
    expect(still.rows[0]!.found).toBe(false);
    expect(await listed(client, "空家")).not.toContain(house.reference_no);
  });

  it("keeps the status tabs' counts right through status changes, per department", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "hisho-counts", department: "秘書課" });
    await addStaff(bot.store.db, { loginId: "chiiki-counts", department: "地域コミュニティ課" });
    const first = await handoffWithMessages(bot, []);
    await handoffWithMessages(bot, []);
    const client = new StaffClient(bot.url);
    await client.login("hisho-counts");
    let page = (await client.request("/staff/inquiries")).text;
    expect([tab(page, "すべて"), tab(page, "新規"), tab(page, "対応中"), tab(page, "完了")]).toEqual(["2", "2", "0", "0"]);

    await client.request(`/staff/inquiries/${first.id}`);
    expect((await client.post(`/staff/inquiries/${first.id}/status`, { status: "in_progress", assignee_id: "" })).status).toBe(303);
    page = (await client.request("/staff/inquiries")).text;
    expect([tab(page, "新規"), tab(page, "対応中"), tab(page, "完了")]).toEqual(["1", "1", "0"]);
    await client.request(`/staff/inquiries/${first.id}`);
    await client.post(`/staff/inquiries/${first.id}/status`, { status: "closed", assignee_id: "" });
    page = (await client.request("/staff/inquiries")).text;
    expect([tab(page, "すべて"), tab(page, "新規"), tab(page, "対応中"), tab(page, "完了")]).toEqual(["2", "1", "0", "1"]);

    const other = new StaffClient(bot.url);
    await other.login("chiiki-counts");
    page = (await other.request("/staff/inquiries")).text;
    expect(tab(page, "すべて")).toBe("0");
    expect(page).toContain("問い合わせはまだありません。");
    // The kept counts are the table's counts.
    const kept = await bot.store.db.selectFrom("case_status_counts").select(["department", "status", "n"]).where("case_type", "=", "inquiry").where("n", ">", "0").orderBy("status").execute();
    expect(kept).toEqual([
      { department: "秘書課", status: "closed", n: "1" },
      { department: "秘書課", status: "new", n: "1" },
    ]);
  });

  it("counts a filtered list up to 1,000 and says 「1,000件以上」 beyond; unfiltered counts stay exact", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin-cap", department: "秘書課", role: "admin" });
    await sql`
      insert into inquiries (reference_no, user_id, category, department, subject)
      select 'CAP' || g, 'Ucap' || g, 'relocation', '商工観光課', '移住相談' from generate_series(1, 1005) g`.execute(bot.store.db);
    await sql`update inquiries set status = 'closed' where reference_no in ('CAP1', 'CAP2', 'CAP3')`.execute(bot.store.db);
    const client = new StaffClient(bot.url);
    await client.login("admin-cap");

    const all = (await client.request("/staff/inquiries")).text;
    expect([tab(all, "すべて"), tab(all, "新規"), tab(all, "完了")]).toEqual(["1,005", "1,002", "3"]);
    const relocation = (await client.request("/staff/inquiries?category=relocation")).text;
    expect([tab(relocation, "すべて"), tab(relocation, "新規"), tab(relocation, "完了")]).toEqual(["1,000件以上", "1,000件以上", "3"]);
    const searched = (await client.request(`/staff/inquiries?q=${encodeURIComponent("移住")}&from=2000-01-01`)).text;
    expect(tab(searched, "新規")).toBe("1,000件以上");
    const few = (await client.request(`/staff/inquiries?q=${encodeURIComponent("CAP100")}`)).text;
    // CAP100 and CAP1000 to CAP1005.
    expect([tab(few, "すべて"), tab(few, "新規")]).toEqual(["7", "7"]);
  });

  it("searches reports by two-character words in their description and address", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin-reports", department: "秘書課", role: "admin" });
    await sql`
      insert into reports (reference_no, user_id, category, department, description, address)
      values ('RS1', 'Ur1', '道路', '建設課', '側溝の蓋が外れています', '麓町1番地'), ('RS2', 'Ur2', '公園', '都市計画課', '遊具が壊れています', '南町2番地')`.execute(bot.store.db);
    const client = new StaffClient(bot.url);
    await client.login("admin-reports");
    const gutter = (await client.request(`/staff/reports?q=${encodeURIComponent("側溝")}`)).text;
    expect(gutter).toContain("RS1");
    expect(gutter).not.toContain("RS2");
    const town = (await client.request(`/staff/reports?q=${encodeURIComponent("南町")}`)).text;
    expect(town).toContain("RS2");
    expect(town).not.toContain("RS1");
    expect((await client.request(`/staff/reports?q=${encodeURIComponent("溝")}`)).text).toContain("2文字以上で検索してください");
  });

  it("keeps the KPI's monthly counts through follows, unfollows and category changes, and a deletion does not lower them", async () => {
    const bot = await fixture.start();
    const db = bot.store.db;
    const friends = async () => ({
      kept: (await liveCount(db, "line_friends", new Date(), [])).value,
      rows: Number((await db.selectFrom("line_users").select((eb) => eb.fn.countAll<string>().as("n")).where("follow_state", "=", "following").executeTakeFirstOrThrow()).n),
    });
    const [first, second] = [newUserId(), newUserId()];
    await say(bot, events.follow(first));
    await say(bot, events.follow(second));
    expect(await friends()).toEqual({ kept: 2, rows: 2 });
    await sendEvents(bot.url, [events.unfollow(first)]);
    await waitFor(() => db.selectFrom("line_users").select("user_id").where("user_id", "=", first).where("follow_state", "=", "blocked").executeTakeFirst(), "the unfollow recorded");
    expect(await friends()).toEqual({ kept: 1, rows: 1 });

    const now = new Date();
    await sql`insert into inquiries (reference_no, user_id, category, department) values ('KPI1', ${second}, 'relocation', '商工観光課'), ('KPI2', ${second}, 'human', '秘書課')`.execute(db);
    expect((await liveCount(db, "relocation_inquiries", now, [])).value).toBe(1);
    await sql`update inquiries set category = 'relocation' where reference_no = 'KPI2'`.execute(db);
    expect((await liveCount(db, "relocation_inquiries", now, [])).value).toBe(2);
    // A consultation that happened stays counted when its row is erased (privacy, retention).
    await sql`delete from inquiries where reference_no = 'KPI1'`.execute(db);
    expect((await liveCount(db, "relocation_inquiries", now, [])).value).toBe(2);
  });
});
