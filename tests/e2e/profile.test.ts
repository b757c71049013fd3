import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver, type SentMessage } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// 受信設定 (issue 7) end to end through signed webhooks: the profile flow's rows, the per-user rich
// menu told to the fake LINE API (validated against the OpenAPI document), and follow/unfollow
// events counted for the LINE part of SNSの総フォロワー数.
const ALIAS = "hitoyoshi-relocation";
const MENU_ID = "richmenu-0123456789abcdef0123456789abcdef";
const fastMenus = { overrides: { menuSync: { intervalMs: 40, retryDelayMs: () => 40 } } };

describe.each(testDatabases)("resident profile on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press, textOf } = conversationDriver(() => fixture.lineApi);
  const profileOf = (bot: RunningBot, userId: string) =>
    bot.store.db.selectFrom("resident_profiles").select(["residence", "school_district", "town", "age_band", "interests"]).where("user_id", "=", userId).executeTakeFirst();
  const tapAndSay = (bot: RunningBot, userId: string, messages: SentMessage[], label: string | RegExp) => say(bot, press(userId, tap(messages, label)));

  it("asks each field in turn the first time, takes several interests and shows the saved profile", async () => {
    const bot = await fixture.start();
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "受信設定"));
    expect(messages[0]!.text).toContain("受信設定で保存する内容");
    expect(messages[0]!.text).toContain("お知らせをお送りするためだけに使い");
    expect(messages[1]!.text).toContain("（1/5）");
    messages = await tapAndSay(bot, userId, messages, "人吉市内に住んでいる");
    expect(messages[0]!.text).toContain("（2/5）");
    messages = await tapAndSay(bot, userId, messages, "東校区");
    expect(messages[0]!.text).toContain("町内名を入力してください");
    // Typed in hiragana, matched to the seeds' name.
    messages = await say(bot, events.text(userId, "かじやまち"));
    expect(messages[0]!.text).toContain("年代を選んでください");
    messages = await tapAndSay(bot, userId, messages, "30代");
    messages = await tapAndSay(bot, userId, messages, "子育て");
    messages = await tapAndSay(bot, userId, messages, "防災");
    expect(messages[0]!.text).toContain("選択中：子育て、防災");
    messages = await tapAndSay(bot, userId, messages, "✓ 子育て");
    messages = await tapAndSay(bot, userId, messages, "イベント");
    messages = await tapAndSay(bot, userId, messages, "決定");
    expect(messages[0]!.text).toContain("受信設定を保存しました");
    expect(messages[0]!.text).toContain("・町内：鍛冶屋町");
    expect(messages[0]!.text).toContain("・関心ごと：防災、イベント");
    expect(await profileOf(bot, userId)).toEqual({ residence: "city", school_district: "東校区", town: "鍛冶屋町", age_band: "30s", interests: ["disaster", "events"] });

    // Later, 「せってい」 in hiragana shows it again, with a button per field.
    messages = await say(bot, events.text(userId, "終わる"));
    expect(messages[0]!.text).toContain("受信設定を終わります");
    expect(await bot.store.db.selectFrom("conversations").selectAll().where("user_id", "=", userId).execute()).toEqual([]);
    messages = await say(bot, events.text(userId, "せってい"));
    expect(messages[0]!.text).toContain("・校区：東校区");
    expect(messages[0]!.text).toContain("・年代：30代");
    tap(messages, "設定を削除");
    // No rich menu for a resident who neither lives elsewhere nor is interested in moving.
    expect(await bot.store.db.selectFrom("rich_menu_links").selectAll().execute()).toEqual([]);
  });

  it("skips fields, picks a 町内 among close names, changes one field at a time and deletes after asking", async () => {
    const bot = await fixture.start();
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "受信設定"));
    messages = await tapAndSay(bot, userId, messages, "答えない");
    messages = await tapAndSay(bot, userId, messages, "答えない");
    messages = await say(bot, events.text(userId, "東京都"));
    expect(messages[0]!.text).toContain("「東京都」に当てはまる町内が見つかりませんでした");
    messages = await say(bot, events.text(userId, "あおい"));
    expect(messages[0]!.text).toContain("「あおい」に近い町内が複数あります");
    messages = await tapAndSay(bot, userId, messages, "上青井町");
    messages = await tapAndSay(bot, userId, messages, "答えない");
    messages = await tapAndSay(bot, userId, messages, "決定");
    expect(await profileOf(bot, userId)).toEqual({ residence: null, school_district: null, town: "上青井町", age_band: null, interests: [] });
    expect(messages[0]!.text).toContain("・お住まい：未登録");
    expect(messages[0]!.text).toContain("・関心ごと：なし");

    messages = await tapAndSay(bot, userId, messages, "年代を変更");
    messages = await tapAndSay(bot, userId, messages, "70代");
    expect(messages[0]!.text).toContain("・年代：70代");
    expect(await profileOf(bot, userId)).toMatchObject({ town: "上青井町", age_band: "70s" });

    // The whole list, page by page, for a resident who would rather pick than type.
    messages = await tapAndSay(bot, userId, messages, "町内を変更");
    messages = await tapAndSay(bot, userId, messages, "一覧から選ぶ");
    expect(messages[0]!.text).toMatch(/1〜11／全\d+件/);
    messages = await tapAndSay(bot, userId, messages, "次の町内");
    messages = await tapAndSay(bot, userId, messages, "下林町");
    expect(await profileOf(bot, userId)).toMatchObject({ town: "下林町" });
    messages = await tapAndSay(bot, userId, messages, "町内を変更");
    messages = await tapAndSay(bot, userId, messages, "答えない");
    expect(await profileOf(bot, userId)).toMatchObject({ town: null, age_band: "70s" });

    // Asked for in words, from outside the flow: the same confirmation.
    messages = await tapAndSay(bot, userId, messages, "終わる");
    messages = await say(bot, events.text(userId, "受信設定を削除して"));
    expect(messages[0]!.text).toContain("すべて削除します");
    messages = await tapAndSay(bot, userId, messages, "削除しない");
    expect(await profileOf(bot, userId)).toBeDefined();
    messages = await tapAndSay(bot, userId, messages, "設定を削除");
    messages = await tapAndSay(bot, userId, messages, "削除する");
    expect(messages[0]!.text).toContain("受信設定を削除しました");
    expect(await profileOf(bot, userId)).toBeUndefined();
    messages = await say(bot, events.text(userId, "受信設定"));
    expect(messages[1]!.text).toContain("（1/5）");
  });

  it("opens from the rich menu's postback and keeps a 町内 typed with a typo", async () => {
    const bot = await fixture.start();
    const userId = newUserId();
    let messages = await say(bot, events.postback(userId, "v1|profile|start|"));
    expect(messages[1]!.text).toContain("お住まいを教えてください");
    messages = await tapAndSay(bot, userId, messages, "人吉市内に住んでいる");
    messages = await tapAndSay(bot, userId, messages, "答えない");
    messages = await say(bot, events.text(userId, "ｼﾓﾊﾞﾔｼﾏﾁ"));
    expect(messages[0]!.text).toContain("年代を選んでください");
    expect(await profileOf(bot, userId)).toMatchObject({ residence: "city", town: "下林町" });
  });

  it("gives a resident who lives elsewhere the relocation menu, and one interested in moving too, after a LINE 500", async () => {
    fixture.lineApi.setRichMenuAlias(ALIAS, MENU_ID);
    const bot = await fixture.start(fastMenus);
    const outside = newUserId();
    let messages = await say(bot, events.text(outside, "受信設定"));
    messages = await tapAndSay(bot, outside, messages, "市外に住んでいる");
    expect(messages[0]!.text).toContain("移住に役立つご案内");
    // No 校区 or 町内 for someone who lives elsewhere: the age band comes next, as 2 of 3.
    expect(messages[0]!.text).toContain("（2/3）");
    expect(await profileOf(bot, outside)).toEqual({ residence: "outside", school_district: null, town: null, age_band: null, interests: [] });
    await waitFor(async () => fixture.lineApi.userRichMenus.get(outside) === MENU_ID, "the relocation menu linked");

    const resident = newUserId();
    const linkPath = `/v2/bot/user/${resident}/richmenu/${MENU_ID}`;
    fixture.lineApi.failNext(linkPath, 500);
    messages = await say(bot, events.text(resident, "受信設定"));
    messages = await tapAndSay(bot, resident, messages, "人吉市内に住んでいる");
    messages = await tapAndSay(bot, resident, messages, "答えない");
    messages = await tapAndSay(bot, resident, messages, "答えない");
    messages = await tapAndSay(bot, resident, messages, "答えない");
    messages = await tapAndSay(bot, resident, messages, "移住");
    messages = await tapAndSay(bot, resident, messages, "決定");
    await waitFor(async () => fixture.lineApi.userRichMenus.get(resident) === MENU_ID, "the relocation menu linked after a retry");
    expect(fixture.lineApi.to(linkPath).map((request) => request.method)).toEqual(["POST", "POST"]);
    // LINE has it; the row says so once the job has read LINE's answer.
    const synced = await waitFor(
      async () => bot.store.db.selectFrom("rich_menu_links").select(["wanted_alias", "linked_alias", "due_at", "attempts"]).where("user_id", "=", resident).where("linked_alias", "is not", null).executeTakeFirst(),
      "the link recorded",
    );
    expect(synced).toEqual({
      wanted_alias: ALIAS,
      linked_alias: ALIAS,
      due_at: null,
      attempts: 0,
    });

    // Removing the interest puts the default menu back and forgets the link.
    messages = await tapAndSay(bot, resident, messages, "関心ごとを変更");
    messages = await tapAndSay(bot, resident, messages, "✓ 移住");
    messages = await tapAndSay(bot, resident, messages, "決定");
    await waitFor(async () => !fixture.lineApi.userRichMenus.has(resident), "the relocation menu unlinked");
    expect(fixture.lineApi.to(`/v2/bot/user/${resident}/richmenu`).map((request) => request.method)).toEqual(["DELETE"]);
    await waitFor(async () => (await bot.store.db.selectFrom("rich_menu_links").select("user_id").where("user_id", "=", resident).execute()).length === 0, "the link row dropped");
    expect(await profileOf(bot, resident)).toMatchObject({ residence: "city", interests: [] });
    expect(fixture.lineApi.userRichMenus.get(outside)).toBe(MENU_ID);
  });

  it("logs a missing alias once and does not keep asking LINE for it", async () => {
    const bot = await fixture.start(fastMenus);
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "受信設定"));
    messages = await tapAndSay(bot, userId, messages, "市外に住んでいる");
    const aliasPath = `/v2/bot/richmenu/alias/${ALIAS}`;
    const row = await waitFor(
      async () => bot.store.db.selectFrom("rich_menu_links").select(["due_at", "last_error", "linked_alias"]).where("user_id", "=", userId).where("last_error", "is not", null).executeTakeFirst(),
      "the sync to give up on the alias",
    );
    expect(row.last_error).toContain(ALIAS);
    expect(row.linked_alias).toBeNull();
    expect(row.due_at!.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fixture.lineApi.to(aliasPath)).toHaveLength(1);
    expect(fixture.lineApi.to(`/v2/bot/user/${userId}/richmenu/${MENU_ID}`)).toHaveLength(0);
  });

  it("counts follows and blocks once each, even redelivered, and answers the follower KPI with the LINE friends", async () => {
    const bot = await fixture.start();
    const [first, second] = [newUserId(), newUserId()];
    const follow = events.follow(first);
    await say(bot, follow);
    await sendEvents(bot.url, [{ ...follow, deliveryContext: { isRedelivery: true } }]);
    await say(bot, events.follow(second));
    const unfollow = events.unfollow(second);
    await sendEvents(bot.url, [unfollow]);
    await sendEvents(bot.url, [{ ...unfollow, deliveryContext: { isRedelivery: true } }]);
    const counted = await waitFor(async () => {
      const rows = await bot.store.db.selectFrom("line_follow_events").select(["webhook_event_id", "user_id", "kind"]).orderBy("kind").orderBy("user_id").execute();
      return rows.length >= 3 && (await bot.store.db.selectFrom("inbox_events").select("status").where("status", "!=", "done").execute()).length === 0 ? rows : null;
    }, "the follows and the unfollow recorded");
    const followOfSecond = counted.find((row) => row.user_id === second && row.kind === "follow")!;
    expect(counted).toEqual(
      [
        { webhook_event_id: follow.webhookEventId, user_id: first, kind: "follow" },
        { webhook_event_id: followOfSecond.webhook_event_id, user_id: second, kind: "follow" },
        { webhook_event_id: unfollow.webhookEventId, user_id: second, kind: "unfollow" },
      ].sort((a, b) => a.kind.localeCompare(b.kind) || a.user_id.localeCompare(b.user_id)),
    );

    const messages = await say(bot, events.text(first, "フォロワーは何人？"));
    const answer = textOf(messages);
    expect(answer).toContain("「SNSの総フォロワー数」");
    expect(answer).toMatch(/の数：1人（.*このLINEの友だち数（ブロック中の方を除く）/);
    expect(answer).toContain("計画の数字はSNS全体のフォロワー数で、この数はそのうちLINEの分だけです");

    await addStaff(bot.store.db, { loginId: "hisho-friends" });
    const staff = new StaffClient(bot.url);
    await staff.login("hisho-friends");
    const dashboard = await staff.request("/staff/kpi");
    const today = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
    expect(dashboard.text).toMatch(new RegExp(`<tr data-day="${today}"><th scope="row">${today}</th><td class="num">2</td><td class="num">1</td><td class="num">\\+1</td></tr>`));
  });

  it("is part of the resident's data export, and erasure removes it and puts the default menu back", async () => {
    fixture.lineApi.setRichMenuAlias(ALIAS, MENU_ID);
    const bot = await fixture.start(fastMenus);
    const userId = newUserId();
    await say(bot, events.follow(userId));
    let messages = await say(bot, events.text(userId, "受信設定"));
    messages = await tapAndSay(bot, userId, messages, "市外に住んでいる");
    messages = await tapAndSay(bot, userId, messages, "40代");
    await waitFor(async () => fixture.lineApi.userRichMenus.get(userId) === MENU_ID, "the relocation menu linked");
    await waitFor(
      async () => bot.store.db.selectFrom("rich_menu_links").select("user_id").where("user_id", "=", userId).where("linked_alias", "=", ALIAS).executeTakeFirst(),
      "the link recorded",
    );

    await addStaff(bot.store.db, { loginId: "admin-profile", department: "秘書課", role: "admin" });
    const admin = new StaffClient(bot.url);
    await admin.login("admin-profile");
    expect((await admin.request(`/staff/privacy?user=${userId}`)).text).toContain("受信設定 あり");
    const data = JSON.parse((await admin.request(`/staff/api/privacy/${userId}/export.json`)).text);
    expect(data.residentProfile).toMatchObject({ residence: "outside", age_band: "40s", interests: [] });
    expect(data.richMenu).toMatchObject({ wanted_alias: ALIAS, linked_alias: ALIAS });
    expect(data.followEvents.map((event: { kind: string }) => event.kind)).toEqual(["follow"]);

    expect((await admin.post(`/staff/privacy/${userId}/delete`, { confirm: "yes" })).location).toBe("/staff/privacy?done=deleted");
    expect(await profileOf(bot, userId)).toBeUndefined();
    expect(await bot.store.db.selectFrom("line_follow_events").select("user_id").execute()).toEqual([{ user_id: "erased" }]);
    await waitFor(async () => !fixture.lineApi.userRichMenus.has(userId), "the relocation menu unlinked");
    await waitFor(async () => (await bot.store.db.selectFrom("rich_menu_links").selectAll().execute()).length === 0, "nothing left about the resident");
    // Two staff logins (password hashing) on top of a conversation: more than the default minute on a busy machine.
  }, 120_000);
});
