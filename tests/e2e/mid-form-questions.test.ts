import { describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { messagingSchemaErrors } from "../support/line-openapi.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId } from "../support/webhook-client.js";

// A different question typed at a free-text step of a form (a place, a description, where the
// resident lives, a survey comment) is answered, the draft kept, and the resident asked whether to
// go on; an answer that only mentions another service's words is the answer. Driven through signed
// webhooks; every reply is validated against LINE's OpenAPI document by the fake LINE API (the
// fixture fails the test on an invalid body), and the rows are checked after.
describe.each(testDatabases)("questions typed mid-form on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press, textOf, actionsOf, replies } = conversationDriver(() => fixture.lineApi);
  const start = () => fixture.start();

  it("answers a question typed at the place or description step, keeps the draft, and takes the answers typed next", async () => {
    const bot = await start();
    const userId = newUserId();
    const conversation = () => bot.store.db.selectFrom("conversations").select(["flow", "step", "paused", "data"]).where("user_id", "=", userId).executeTakeFirstOrThrow();
    const expectResumeQuestion = (messages: Awaited<ReturnType<typeof say>>) => {
      expect(messages.length).toBeLessThanOrEqual(5);
      expect(messages.at(-1)!.text).toBe("入力中の「不具合の通報」を続けますか。");
      expect(actionsOf([messages.at(-1)!]).map((action) => [action.type, action.label])).toEqual([
        ["postback", "続ける"],
        ["postback", "やめる"],
      ]);
    };
    let messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "道路")));
    expect(messages[0]!.text).toContain("場所を教えてください");

    // A KPI question at the free-text place step is answered, not taken for the place.
    messages = await say(bot, events.text(userId, "空き家バンクの成約件数は？"));
    expect(textOf(messages)).toContain("「空き家バンク登録物件を購入、または借りた件数」");
    expectResumeQuestion(messages);
    expect(await conversation()).toEqual({ flow: "report", step: "location", paused: true, data: { category: "道路" } });
    messages = await say(bot, press(userId, tap(messages, "続ける")));
    expect(messages[0]!.text).toContain("場所を教えてください");

    // A place that names a vacant house is the place.
    messages = await say(bot, events.text(userId, "下林町の空き家の前"));
    expect(messages[0]!.text).toContain("写真があれば");
    messages = await say(bot, press(userId, tap(messages, "写真なし")));
    expect(messages[0]!.text).toContain("どのような状態か");

    // At the description step: a question answered; then the description typed straight away.
    messages = await say(bot, events.text(userId, "住民票はコンビニで取れますか"));
    expect(textOf(messages)).toContain("マイナンバーカード");
    expectResumeQuestion(messages);
    expect(await conversation()).toMatchObject({ step: "description", paused: true, data: { category: "道路", address: "下林町の空き家の前" } });
    messages = await say(bot, events.text(userId, "空き家の前の道路が陥没"));
    expect(messages[0]!.text).toContain("場所：下林町の空き家の前");
    expect(messages[0]!.text).toContain("状態：空き家の前の道路が陥没");
    messages = await say(bot, press(userId, tap(messages, "通報する")));
    expect(messages[0]!.text).toMatch(/RP-\d{4}-\d{5}/);

    const reports = await bot.store.db.selectFrom("reports").select(["user_id", "category", "address", "description"]).execute();
    expect(reports).toEqual([{ user_id: userId, category: "道路", address: "下林町の空き家の前", description: "空き家の前の道路が陥没" }]);
    expect(await bot.store.db.selectFrom("conversations").selectAll().execute()).toEqual([]);
    // Each question was stored with what the router understood, as any message is.
    const understood = await bot.store.db.selectFrom("messages").select(["text", "intent"]).where("user_id", "=", userId).where("direction", "=", "in").where("text", "in", ["空き家バンクの成約件数は？", "住民票はコンビニで取れますか"]).orderBy("created_at").execute();
    expect(understood).toEqual([
      { text: "空き家バンクの成約件数は？", intent: "kpi" },
      { text: "住民票はコンビニで取れますか", intent: "certificate" },
    ]);
    // Every answer went out as one reply LINE accepts (at most five messages, quick replies last).
    expect(replies().length).toBeGreaterThanOrEqual(9);
    for (const reply of replies()) expect(messagingSchemaErrors("POST", "/v2/bot/message/reply", reply.body)).toEqual([]);
  });

  it("hands a resident who asks for staff at the place step to staff, without asking to go on", async () => {
    const bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "倒木")));
    messages = await say(bot, events.text(userId, "職員と話したい"));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toMatch(/IQ-\d{4}-\d{5}/);
    expect(await bot.store.db.selectFrom("inquiries").select(["user_id", "category"]).execute()).toEqual([{ user_id: userId, category: "human" }]);
    expect(await bot.store.db.selectFrom("conversations").selectAll().execute()).toEqual([]);
    expect(await bot.store.db.selectFrom("reports").selectAll().execute()).toEqual([]);
  });

  it("answers a question typed at a free-text question and keeps an opinion that is a wish as the answer", async () => {
    const bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
    messages = await say(bot, press(userId, tap(messages, "4")));
    messages = await say(bot, press(userId, tap(messages, "今くらいでよい")));
    messages = await say(bot, press(userId, tap(messages, "証明書の申請")));
    messages = await say(bot, press(userId, tap(messages, "選び終わった")));
    messages = await say(bot, press(userId, tap(messages, "人吉市内")));
    expect(messages[0]!.text).toContain("（5/5問）");

    messages = await say(bot, events.text(userId, "ふるさと納税の返礼品を教えて"));
    expect(textOf(messages)).toContain("古都人吉応援団");
    expect(messages.at(-1)!.text).toBe("入力中の「アンケートの回答」を続けますか。");
    messages = await say(bot, press(userId, tap(messages, "続ける")));
    expect(messages[0]!.text).toContain("（5/5問）");
    // A wish is an opinion here, not a question for this LINE.
    messages = await say(bot, events.text(userId, "未来カフェにもっと参加したい"));
    expect(messages[0]!.text).toContain("ご回答ありがとうございました");
    const answers = await bot.store.db
      .selectFrom("survey_answers as a")
      .innerJoin("survey_responses as r", "r.id", "a.response_id")
      .innerJoin("survey_questions as q", "q.id", "a.question_id")
      .select("a.value")
      .where("r.user_id", "=", userId)
      .where("q.position", "=", 5)
      .execute();
    expect(answers).toEqual([{ value: "未来カフェにもっと参加したい" }]);
  });

  it("answers a question typed where a relocation consultation asks where the resident lives, and keeps housing questions as the consultation", async () => {
    const bot = await start();
    const userId = newUserId();
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    messages = await say(bot, events.text(userId, "住民票はコンビニで取れますか？"));
    expect(textOf(messages)).toContain("マイナンバーカード");
    expect(messages.at(-1)!.text).toBe("入力中の「移住のご相談」を続けますか。");
    messages = await say(bot, events.text(userId, "福岡県福岡市"));
    messages = await say(bot, press(userId, tap(messages, "このLINE")));
    // Housing is what a relocation consultation is about: this question is its content.
    messages = await say(bot, events.text(userId, "家族で住める空き家はありますか？"));
    expect(messages[0]!.text).toContain("ご相談の詳細：家族で住める空き家はありますか？");
    messages = await say(bot, press(userId, tap(messages, "送信する")));
    const inquiry = await bot.store.db.selectFrom("inquiries").select("details").where("user_id", "=", userId).executeTakeFirstOrThrow();
    expect(inquiry.details).toMatchObject({ topic: "住まい", household: "2人", residence: "福岡県福岡市", contact_method: "このLINE", details: "家族で住める空き家はありますか？" });
  });
});
