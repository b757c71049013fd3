import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// Multi-turn conversations driven end to end: signed webhooks in, each answer checked at the fake
// LINE API (whose every body is validated against LINE's OpenAPI document), rows checked after.
describe.each(testDatabases)("conversations on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press, replies } = conversationDriver(() => fixture.lineApi);
  const start = () => fixture.start();

  it("takes a relocation consultation from question to inquiry with a reference number", async () => {
    const bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "人吉への移住を考えています"));
    expect(messages.at(-1)!.text).toContain("商工観光課");
    messages = await say(bot, press(userId, tap(messages, "相談を申し込む")));
    expect(messages.map((m) => m.text).join("\n")).toContain("ご相談の内容をお選びください");
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "3人以上")));
    messages = await say(bot, events.text(userId, "福岡県福岡市"));
    messages = await say(bot, press(userId, tap(messages, "電話")));
    messages = await say(bot, events.text(userId, "電話は０９０の１２３４"));
    expect(messages[0]!.text).toContain("電話番号の形が正しくない");
    messages = await say(bot, events.text(userId, "090-1234-5678"));
    messages = await say(bot, events.text(userId, "子どもが通える学校と、家族で住める家を知りたいです"));
    expect(messages[0]!.text).toContain("福岡県福岡市");
    expect(messages[0]!.text).toContain("09012345678");
    messages = await say(bot, press(userId, tap(messages, "送信する")));
    const reference = messages[0]!.text.match(/IQ-\d{4}-\d{5}/)![0];

    const inquiry = await bot.store.db.selectFrom("inquiries").selectAll().executeTakeFirstOrThrow();
    expect(inquiry).toMatchObject({ reference_no: reference, user_id: userId, category: "relocation", department: "商工観光課", status: "new", subject: "住まい" });
    expect(inquiry.details).toMatchObject({ topic: "住まい", household: "3人以上", residence: "福岡県福岡市", contact_method: "電話", contact: "09012345678" });
    expect(await bot.store.db.selectFrom("conversations").selectAll().execute()).toEqual([]);
  });

  it("leaves a flow at any step on キャンセル, and says so", async () => {
    const bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "仕事")));
    messages = await say(bot, events.text(userId, "キャンセル"));
    expect(messages[0]!.text).toContain("取り消しました");
    expect(await bot.store.db.selectFrom("conversations").selectAll().execute()).toEqual([]);
    messages = await say(bot, events.text(userId, "やめる"));
    expect(messages[0]!.text).toContain("取り消す入力はありません");
    expect(await bot.store.db.selectFrom("inquiries").selectAll().execute()).toEqual([]);
  });

  it("ends a draft idle for 30 minutes with a polite note", async () => {
    const bot = await start();
    const userId = newUserId();
    await say(bot, events.postback(userId, "v1|relocation|start|"));
    await bot.store.db.updateTable("conversations").set({ expires_at: sql`now() - interval '1 minute'` }).execute();
    const messages = await say(bot, events.text(userId, "住まい"));
    expect(messages[0]!.text).toContain("30分以上操作がなかった");
    expect(await bot.store.db.selectFrom("conversations").selectAll().execute()).toEqual([]);
  });

  it("continues a flow after a restart, and answers a different question mid-flow before asking to go on", async () => {
    let bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "仕事")));
    await fixture.stop(bot);

    bot = await start();
    messages = await say(bot, events.text(userId, "住民票はコンビニで取れますか"));
    expect(messages[0]!.text).toContain("コンビニ");
    expect(messages.at(-1)!.text).toContain("移住のご相談");
    messages = await say(bot, press(userId, tap(messages, "続ける")));
    expect(messages[0]!.text).toContain("何人");
    messages = await say(bot, press(userId, tap(messages, "1人")));
    expect(messages[0]!.text).toContain("お住まい");
    const state = await bot.store.db.selectFrom("conversations").selectAll().executeTakeFirstOrThrow();
    expect(state).toMatchObject({ flow: "relocation", step: "residence", paused: false });
    expect(state.data).toMatchObject({ topic: "仕事", household: "1人" });
  });

  it("answers a forged or stale postback politely", async () => {
    const bot = await start();
    const userId = newUserId();
    for (const data of ["v1|relocation|send|", "v0|relocation|start|", "'; drop table inquiries; --", "v1|nosuchflow|start|", "x".repeat(400)]) {
      const messages = await say(bot, events.postback(userId, data));
      expect(messages[0]!.text).toContain("このボタンは古いか");
    }
    const failed = await bot.store.db.selectFrom("inbox_events").select("status").where("status", "!=", "done").execute();
    expect(failed).toEqual([]);
    expect(await bot.store.db.selectFrom("inquiries").selectAll().execute()).toEqual([]);
  });

  it("hands a resident to staff and stops answering them automatically", async () => {
    const bot = await start();
    const userId = newUserId();
    const messages = await say(bot, events.text(userId, "職員の方と話したいです"));
    expect(messages[0]!.text).toMatch(/IQ-\d{4}-\d{5}/);
    const inquiry = await bot.store.db.selectFrom("inquiries").selectAll().executeTakeFirstOrThrow();
    expect(inquiry).toMatchObject({ category: "human", department: "秘書課", status: "new" });
    const before = replies().length;
    await sendEvents(bot.url, [events.text(userId, "ごみの収集日について聞きたいです")]);
    await waitFor(async () => {
      const rows = await bot.store.db.selectFrom("messages").select("text").where("direction", "=", "in").execute();
      return rows.length === 2;
    }, "the message kept in the log");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(replies().length).toBe(before);

    // Once staff close the hand-off, the bot answers again.
    await bot.store.db.updateTable("inquiries").set({ status: "closed" }).execute();
    const after = await say(bot, events.text(userId, "こんにちは"));
    expect(after[0]!.text).toContain("こんにちは");
  });

  if (database.name === "postgres") {
    it("lets a second process serve the next step of the same conversation", async () => {
      const first = await start();
      const second = await start();
      const userId = newUserId();
      let messages = await say(first, events.postback(userId, "v1|relocation|start|"));
      messages = await say(second, press(userId, tap(messages, "支援制度")));
      messages = await say(first, press(userId, tap(messages, "2人")));
      messages = await say(second, events.text(userId, "大阪府"));
      const state = await first.store.db.selectFrom("conversations").selectAll().executeTakeFirstOrThrow();
      expect(state).toMatchObject({ step: "contact_method" });
      expect(state.data).toMatchObject({ topic: "支援制度", household: "2人", residence: "大阪府" });
    });
  }
});

