import { beforeEach, describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import type { FakeLineApi } from "../support/fake-line-api.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// The flows of issue 5 driven end to end through signed webhooks: each reply is checked at the fake
// LINE API (which validates every body against LINE's OpenAPI document) and the rows after.
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2_000, 7)]);

describe.each(testDatabases)("flows on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press, textOf, replies } = conversationDriver(() => fixture.lineApi);
  const start = (options: Parameters<typeof fixture.start>[0] = {}) => fixture.start(options);
  let lineApi: FakeLineApi;
  beforeEach(() => {
    lineApi = fixture.lineApi;
  });

  describe("vacant-house search", () => {
    it("understands 「月3万以内の賃貸」, shows a carousel, narrows with 「2DK」 and takes an inquiry on a listing", async () => {
      const bot = await start();
      const userId = newUserId();
      let messages = await say(bot, events.text(userId, "月3万以内の賃貸を探しています"));
      expect(messages[0]!.text).toContain("賃貸・3万円以内");
      const carousel = messages[1]! as unknown as { type: string; contents: { type: string; contents: unknown[] } };
      expect(carousel.type).toBe("flex");
      const prices = JSON.stringify(carousel.contents);
      expect(prices).toContain("賃料 月2.8万円");
      expect(prices).not.toContain("賃料 月3.5万円");
      expect(prices).toContain("写真は準備中です");

      messages = await say(bot, events.text(userId, "2DKで"));
      expect(messages[0]!.text).toContain("2部屋以上");
      expect(messages[0]!.text).toContain("賃貸・3万円以内");

      messages = await say(bot, press(userId, tap(messages, /について問い合わせる$|^問い合わせる$/)));
      expect(messages[0]!.text).toMatch(/物件番号 AK-\d{3}/);
      messages = await say(bot, events.text(userId, "来週の土曜日に内見できますか"));
      messages = await say(bot, press(userId, tap(messages, "電話")));
      messages = await say(bot, events.text(userId, "0966-22-2111"));
      expect(messages[0]!.text).toContain("0966222111");
      messages = await say(bot, press(userId, tap(messages, "送信する")));
      const reference = messages[0]!.text.match(/IQ-\d{4}-\d{5}/)![0];

      const inquiry = await bot.store.db.selectFrom("inquiries").selectAll().executeTakeFirstOrThrow();
      const listing = await bot.store.db.selectFrom("vacant_house_listings").select(["id", "code"]).where("id", "=", inquiry.listing_id!).executeTakeFirstOrThrow();
      expect(inquiry).toMatchObject({ reference_no: reference, category: "vacant_house", department: "地域コミュニティ課", user_id: userId });
      expect(inquiry.details).toMatchObject({ message: "来週の土曜日に内見できますか", contact_method: "電話", phone: "0966222111", listing_code: listing.code });
      expect(await bot.store.db.selectFrom("conversations").selectAll().execute()).toEqual([]);
    });

    it("pages through every listing and says clearly when nothing matches", async () => {
      const bot = await start();
      const userId = newUserId();
      const published = await bot.store.db.selectFrom("vacant_house_listings").select("code").where("status", "=", "published").execute();
      let messages = await say(bot, events.text(userId, "空き家を探したい"));
      expect(messages[0]!.text).toContain(`${published.length}件`);
      const seen = new Set<string>();
      const collect = (all: typeof messages) => {
        for (const match of JSON.stringify(all).matchAll(/AK-\d{3}/g)) seen.add(match[0]);
      };
      collect(messages);
      while (seen.size < published.length) {
        messages = await say(bot, press(userId, tap(messages, "次の物件を見る")));
        collect(messages);
      }
      expect([...seen].sort()).toEqual(published.map((row) => row.code).sort());

      messages = await say(bot, events.text(userId, "下林町で月1万円以内の賃貸"));
      expect(messages).toHaveLength(1);
      expect(messages[0]!.text).toContain("合う物件は、いまは空き家バンクにありません");
      messages = await say(bot, press(userId, tap(messages, "条件を外して探す")));
      expect(messages[0]!.text).toContain(`${published.length}件`);
    });

    it("takes an owner's request to register a vacant house", async () => {
      const bot = await start();
      const userId = newUserId();
      let messages = await say(bot, events.text(userId, "実家が空き家になっていて貸したいです"));
      expect(textOf(messages)).toContain("登録のご相談");
      messages = await say(bot, events.text(userId, "人吉市下林町1-2-3"));
      messages = await say(bot, press(userId, tap(messages, "貸したい")));
      messages = await say(bot, press(userId, tap(messages, "特になし")));
      messages = await say(bot, press(userId, tap(messages, "メール")));
      messages = await say(bot, events.text(userId, "owner@example.jp"));
      expect(messages[0]!.text).toContain("owner@example.jp");
      messages = await say(bot, press(userId, tap(messages, "送信する")));
      expect(messages[0]!.text).toMatch(/IQ-\d{4}-\d{5}/);
      const inquiry = await bot.store.db.selectFrom("inquiries").selectAll().executeTakeFirstOrThrow();
      expect(inquiry).toMatchObject({ category: "vacant_house_registration", department: "地域コミュニティ課", listing_id: null });
      expect(inquiry.details).toMatchObject({ location: "人吉市下林町1-2-3", intent: "貸したい", details: null, email: "owner@example.jp" });
    });
  });

  describe("surveys", () => {
    it("asks every kind of question, saves one response, and replaces it after asking when answered twice", async () => {
      const bot = await start();
      const userId = newUserId();
      const answerAll = async (first: Awaited<ReturnType<typeof say>>, scale: string, comment: string) => {
        let messages = await say(bot, press(userId, tap(first, scale)));
        expect(messages[0]!.text).toContain("（2/5問）");
        messages = await say(bot, events.text(userId, "2")); // 今くらいでよい, typed as its number
        messages = await say(bot, press(userId, tap(messages, "証明書の申請")));
        expect(messages[0]!.text).toContain("選んだもの：証明書の申請");
        messages = await say(bot, press(userId, tap(messages, "子育ての情報")));
        messages = await say(bot, press(userId, tap(messages, "選び終わった")));
        messages = await say(bot, press(userId, tap(messages, "人吉市内")));
        return say(bot, events.text(userId, comment));
      };

      let messages = await say(bot, events.text(userId, "アンケートに答えたい"));
      expect(messages[0]!.text).toContain("人吉市公式LINE 満足度アンケート");
      messages = await say(bot, press(userId, tap(messages, "人吉市公式LINE 満足度アンケート")));
      expect(textOf(messages)).toContain("全5問");
      messages = await answerAll(messages, "4", "ごみの日を教えてほしいです");
      expect(messages[0]!.text).toContain("ご回答ありがとうございました");

      const survey = await bot.store.db.selectFrom("surveys").select("id").where("slug", "=", "line-satisfaction").executeTakeFirstOrThrow();
      const answersOf = async () =>
        bot.store.db
          .selectFrom("survey_answers as a")
          .innerJoin("survey_questions as q", "q.id", "a.question_id")
          .innerJoin("survey_responses as r", "r.id", "a.response_id")
          .select(["q.position", "a.value", "r.user_id"])
          .where("r.survey_id", "=", survey.id)
          .orderBy("q.position")
          .execute();
      expect((await answersOf()).map((row) => row.value)).toEqual([4, "今くらいでよい", ["証明書の申請", "子育ての情報"], "人吉市内", "ごみの日を教えてほしいです"]);

      // Answering again: asked first, then the earlier response is replaced, never doubled.
      messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
      expect(messages[0]!.text).toContain("回答し直すと、前の回答は新しい回答に置き換わります");
      messages = await say(bot, press(userId, tap(messages, "回答し直す")));
      messages = await answerAll(messages, "2", "特にありません");
      expect(messages[0]!.text).toContain("前の回答を、今回の回答に置き換えました");
      const responses = await bot.store.db.selectFrom("survey_responses").selectAll().where("survey_id", "=", survey.id).execute();
      expect(responses).toHaveLength(1);
      expect((await answersOf()).map((row) => row.value)).toEqual([2, "今くらいでよい", ["証明書の申請", "子育ての情報"], "人吉市内", "特にありません"]);

      messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
      messages = await say(bot, press(userId, tap(messages, "今のままにする")));
      expect(messages[0]!.text).toContain("前の回答のままにしました");
    });

    it("opens a link-only survey by its deep link and refuses a closed one", async () => {
      const bot = await start();
      const userId = newUserId();
      await bot.store.db.updateTable("surveys").set({ audience: "link" }).where("slug", "=", "line-satisfaction").execute();
      let messages = await say(bot, events.text(userId, "アンケート"));
      expect(messages[0]!.text).toContain("ただいま回答を受け付けているアンケートはありません");
      messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
      expect(textOf(messages)).toContain("（1/5問）");
      // Mid-survey, an answer that is not one of the choices is asked again.
      messages = await say(bot, events.text(userId, "7"));
      expect(messages[0]!.text).toContain("下のボタンからお選びください");
      await bot.store.db.updateTable("surveys").set({ status: "closed" }).where("slug", "=", "line-satisfaction").execute();
      messages = await say(bot, events.text(userId, "キャンセル"));
      messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
      expect(messages[0]!.text).toContain("このアンケートはいま回答を受け付けていません");
    });
  });

  describe("citizen reports", () => {
    it("takes a report with a location message and a photo, stores both, and shows its status", async () => {
      const bot = await start();
      const userId = newUserId();
      let messages = await say(bot, events.text(userId, "道路に穴があいているので通報したい"));
      expect(textOf(messages)).toContain("何についての通報ですか");
      messages = await say(bot, press(userId, tap(messages, "道路")));
      expect(messages[0]!.quickReply!.items[0]!.action.type).toBe("location");
      messages = await say(bot, events.location(userId, { message: { id: "71001", type: "location", title: "九日町", address: "熊本県人吉市九日町", latitude: 32.2127, longitude: 130.7586 } }));
      expect(messages[0]!.text).toContain("写真があれば");
      lineApi.setContent("71002", JPEG);
      messages = await say(bot, events.image(userId, { message: { id: "71002", type: "image", contentProvider: { type: "line" }, quoteToken: "q1" } }));
      expect(messages[0]!.text).toContain("写真を受け取りました（1/3枚）");
      messages = await say(bot, press(userId, tap(messages, "次へ進む")));
      messages = await say(bot, events.text(userId, "車道の真ん中に直径30cmほどの穴があります"));
      expect(messages[0]!.text).toContain("熊本県人吉市九日町");
      expect(messages[0]!.text).toContain("1枚");
      messages = await say(bot, press(userId, tap(messages, "通報する")));
      const reference = messages[0]!.text.match(/RP-\d{4}-\d{5}/)![0];
      expect(messages[0]!.text).toContain("建設課");

      const report = await bot.store.db.selectFrom("reports").selectAll().executeTakeFirstOrThrow();
      expect(report).toMatchObject({ reference_no: reference, category: "道路", department: "建設課", address: "熊本県人吉市九日町", latitude: 32.2127, status: "new" });
      const photos = await bot.store.db.selectFrom("report_photos").selectAll().execute();
      expect(photos).toHaveLength(1);
      expect(photos[0]).toMatchObject({ report_id: report.id, content_type: "image/jpeg", byte_size: JPEG.byteLength, line_message_id: "71002" });
      expect(Buffer.from(photos[0]!.content).equals(JPEG)).toBe(true);
      expect(lineApi.requests.find((request) => request.path === "/v2/bot/message/71002/content")!.headers.authorization).toMatch(/^Bearer /);

      await bot.store.db.updateTable("reports").set({ status: "in_progress" }).execute();
      messages = await say(bot, events.text(userId, "通報の状況を知りたい"));
      expect(messages[0]!.text).toContain(`${reference}`);
      expect(messages[0]!.text).toContain("道路：対応中");
    });

    it("refuses a photo over the size limit or not an image, keeps the draft, and takes a typed address", async () => {
      const bot = await start();
      const userId = newUserId();
      let messages = await say(bot, events.text(userId, "通報したい"));
      messages = await say(bot, press(userId, tap(messages, "不法投棄")));
      messages = await say(bot, events.text(userId, "下林町の川沿いの空き地"));
      lineApi.setContent("72001", Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(10 * 1024 * 1024 + 10)]));
      messages = await say(bot, events.image(userId, { message: { id: "72001", type: "image", contentProvider: { type: "line" }, quoteToken: "q2" } }));
      expect(messages[0]!.text).toContain("写真が大きすぎるため受け取れませんでした（10MBまで）");
      lineApi.setContent("72002", Buffer.from("<html>not a photo</html>"), "image/jpeg");
      messages = await say(bot, events.image(userId, { message: { id: "72002", type: "image", contentProvider: { type: "line" }, quoteToken: "q3" } }));
      expect(messages[0]!.text).toContain("写真として読み取れませんでした");
      expect(await bot.store.db.selectFrom("report_photos").selectAll().execute()).toEqual([]);
      messages = await say(bot, press(userId, tap(messages, "写真なし")));
      messages = await say(bot, events.text(userId, "家電が捨てられています"));
      messages = await say(bot, press(userId, tap(messages, "通報する")));
      const report = await bot.store.db.selectFrom("reports").selectAll().executeTakeFirstOrThrow();
      expect(report).toMatchObject({ category: "不法投棄", department: "環境課", address: "下林町の川沿いの空き地", latitude: null });
    });

    it("retries a photo when LINE's content API is down, and loses nothing", async () => {
      const bot = await start();
      const userId = newUserId();
      let messages = await say(bot, events.text(userId, "通報"));
      messages = await say(bot, press(userId, tap(messages, "街灯")));
      messages = await say(bot, events.text(userId, "上林町のバス停前"));
      lineApi.setContent("73001", JPEG);
      lineApi.failNext("/v2/bot/message/73001/content", 503);
      messages = await say(bot, events.image(userId, { message: { id: "73001", type: "image", contentProvider: { type: "line" }, quoteToken: "q4" } }));
      expect(messages[0]!.text).toContain("写真を受け取りました（1/3枚）");
      expect(lineApi.to("/v2/bot/message/73001/content")).toHaveLength(2);
    });
  });

  describe("ひとよし未来カフェ", () => {
    it("lists the coming sessions, signs a resident up, and pushes one reminder the day before, even across a restart", async () => {
      let clock = new Date();
      let bot = await start({ overrides: { jobIntervalMs: 50, now: () => clock } });
      const userId = newUserId();
      await bot.store.db.deleteFrom("future_cafe_sessions").execute();
      const startsAt = new Date(Date.now() + 3 * 24 * 60 * 60 * 1000);
      await bot.store.db.insertInto("future_cafe_sessions").values({ code: "FC-TEST", town: "鍛冶屋町", starts_at: startsAt, place: "鍛冶屋町公民館", capacity: 3 }).execute();

      let messages = await say(bot, events.text(userId, "未来カフェに参加したい"));
      expect(messages[0]!.text).toContain("鍛冶屋町（会場：鍛冶屋町公民館）");
      messages = await say(bot, press(userId, tap(messages, "申し込む：鍛冶屋町")));
      expect(messages[0]!.text).toContain("参加される人数");
      messages = await say(bot, press(userId, tap(messages, "2人")));
      messages = await say(bot, press(userId, tap(messages, "申し込む")));
      expect(messages[0]!.text).toContain("前日にこのLINEでお知らせします");
      const signup = await bot.store.db.selectFrom("future_cafe_signups").selectAll().executeTakeFirstOrThrow();
      expect(signup).toMatchObject({ user_id: userId, party_size: 2, reminder_state: "scheduled" });

      // A second resident wanting 2 seats finds the session full (capacity 3).
      const other = newUserId();
      messages = await say(bot, events.postback(other, "v1|future_cafe|signup|FC-TEST"));
      messages = await say(bot, press(other, tap(messages, "2人")));
      messages = await say(bot, press(other, tap(messages, "申し込む")));
      expect(messages[0]!.text).toContain("定員に達しました");

      // Restart; then the clock passes the reminder time: exactly one push, whatever the restarts.
      await fixture.stop(bot);
      clock = new Date(signup.reminder_due_at!.getTime() + 60_000);
      bot = await start({ overrides: { jobIntervalMs: 50, now: () => clock } });
      const pushes = () => lineApi.to("/v2/bot/message/push").filter((request) => request.body.to === userId);
      const push = await waitFor(async () => pushes()[0], "the reminder push");
      expect(push.body.messages[0].text).toContain("明日");
      expect(push.body.messages[0].text).toContain("鍛冶屋町公民館");
      await new Promise((resolve) => setTimeout(resolve, 400));
      await fixture.stop(bot);
      bot = await start({ overrides: { jobIntervalMs: 50, now: () => clock } });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(pushes()).toHaveLength(1);
      expect(await bot.store.db.selectFrom("future_cafe_signups").select("reminder_state").where("user_id", "=", userId).executeTakeFirstOrThrow()).toEqual({ reminder_state: "sent" });

      // Withdrawing from the overview.
      messages = await say(bot, events.text(userId, "未来カフェ"));
      messages = await say(bot, press(userId, tap(messages, "取り消す：鍛冶屋町")));
      expect(messages[0]!.text).toContain("取り消しました");
    });

    it("sends no reminder to a resident who withdrew or blocked the account", async () => {
      let clock = new Date();
      const bot = await start({ overrides: { jobIntervalMs: 50, now: () => clock } });
      await bot.store.db.deleteFrom("future_cafe_sessions").execute();
      await bot.store.db
        .insertInto("future_cafe_sessions")
        .values({ code: "FC-TEST2", town: "下林町", starts_at: new Date(Date.now() + 5 * 24 * 60 * 60 * 1000), place: "下林町公民館" })
        .execute();
      const [withdrawn, blocked] = [newUserId(), newUserId()];
      for (const userId of [withdrawn, blocked]) {
        let messages = await say(bot, events.postback(userId, "v1|future_cafe|signup|FC-TEST2"));
        messages = await say(bot, press(userId, tap(messages, "1人")));
        await say(bot, press(userId, tap(messages, "申し込む")));
      }
      await say(bot, events.postback(withdrawn, "v1|future_cafe|withdraw|FC-TEST2"));
      await sendEvents(bot.url, [events.unfollow(blocked)]);
      await waitFor(async () => (await bot.store.db.selectFrom("line_users").select("follow_state").where("user_id", "=", blocked).executeTakeFirst())?.follow_state === "blocked", "the block recorded");
      const due = await bot.store.db.selectFrom("future_cafe_signups").select("reminder_due_at").where("user_id", "=", blocked).executeTakeFirstOrThrow();
      clock = new Date(due.reminder_due_at!.getTime() + 1_000);
      await waitFor(async () => (await bot.store.db.selectFrom("future_cafe_signups").select("reminder_state").where("user_id", "=", blocked).executeTakeFirst())?.reminder_state === "sent", "the reminder handled");
      await waitFor(async () => (await bot.store.db.selectFrom("outbound_messages").select("status").where("user_id", "=", blocked).where("reply_token", "is", null).executeTakeFirst())?.status === "skipped", "the push skipped");
      expect(lineApi.to("/v2/bot/message/push")).toEqual([]);
      const states = await bot.store.db.selectFrom("future_cafe_signups").select(["user_id", "reminder_state"]).execute();
      expect(states.find((row) => row.user_id === withdrawn)!.reminder_state).toBe("skipped");
    });
  });

  it("answers certificates and furusato nozei from seeds, and never invents what the plan does not say", async () => {
    const bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "住民票をコンビニで取りたい"));
    expect(messages[0]!.text).toContain("マイナンバーカード");
    messages = await say(bot, events.text(userId, "ふるさと納税したい"));
    expect(messages[0]!.text).toContain("古都人吉応援団");
    expect(replies().length).toBe(2);
  });
});
