import { readFile } from "node:fs/promises";
import path from "node:path";
import { messagingApi } from "@line/bot-sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { LOCAL_CHANNEL_ACCESS_TOKEN } from "../../src/config.js";
import { defaultRichMenuDir } from "../../src/richmenu/load-rich-menus.js";
import { deploySeedRichMenus } from "../../src/richmenu/run-deploy.js";
import { DevChatClient } from "../support/dev-chat-client.js";
import { assertValidMessagingRequest } from "../support/line-openapi.js";
import { startLocalBot } from "../support/local-bot.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { events, waitFor } from "../support/webhook-client.js";

// Local mode end to end, through the in-process stand-in for the LINE API: a notice composed and
// approved in the staff console reaches the dev chat page; the seeds' rich menus are deployed at
// start, shown to the page's user (the relocation menu once they become a prospect) and answer
// taps; profiles are served to friends only. Every request the bot sent to the stand-in, and every
// answer it gave, was valid against LINE's OpenAPI documents.
const MAIN = "hitoyoshi-main";
const RELOCATION = "hitoyoshi-relocation";

describe("local mode: the LINE stand-in", { timeout: 120_000 }, () => {
  let bot: RunningBot;
  let problems: string[];
  beforeAll(async () => {
    ({ bot, problems } = await startLocalBot());
  });
  afterAll(async () => {
    await bot?.stop();
  });
  afterEach(() => {
    expect(problems).toEqual([]);
  });

  const lineGet = (host: "api" | "data", urlPath: string) =>
    fetch(`${host === "api" ? bot.lineApiBaseUrl : bot.dataApiBaseUrl}${urlPath}`, { headers: { authorization: `Bearer ${LOCAL_CHANNEL_ACCESS_TOKEN}` } });
  const noticeStatus = async (id: string) => (await bot.store.db.selectFrom("notices").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;
  const noticeIdFrom = (location: string | null) => /\/staff\/notices\/(\d+)/.exec(location ?? "")![1]!;

  async function signedIn(loginId: string): Promise<StaffClient> {
    await addStaff(bot.store.db, { loginId, displayName: loginId, role: "admin" });
    const client = new StaffClient(bot.url);
    await client.login(loginId);
    await client.request("/staff/notices");
    return client;
  }

  // A resident who lives elsewhere, as the chat page sets it up: 受信設定 → 市外に住んでいる.
  async function prospect(): Promise<DevChatClient> {
    const page = await new DevChatClient(bot).open();
    await page.follow();
    const question = await page.text("受信設定");
    expect((await page.press(question, "市外に住んでいる"))[0]!.text).toContain("移住に役立つご案内");
    return page;
  }

  it("delivers notices composed and approved in the console to the chat page: a multicast to a segment, a broadcast to all", async () => {
    const [outside, resident] = [await prospect(), await new DevChatClient(bot).open()];
    await resident.follow();
    const [author, approver] = [await signedIn("tanaka"), await signedIn("suzuki")];

    const created = await author.post("/staff/notices/new", {
      type: "text",
      title: "移住相談会のお知らせ",
      text: "人吉市の移住相談会を開きます。",
      audience: "segment",
      seg_residence: "outside",
      when: "now",
      intent: "submit",
    });
    expect(created.status).toBe(303);
    const segmentNotice = noticeIdFrom(created.location);
    // The approval reads this month's quota and consumption from the stand-in.
    const approved = await approver.post(`/staff/notices/${segmentNotice}/approve`, {});
    expect(approved.status).toBe(303);
    expect(approved.location).toContain("done=approved");
    await waitFor(async () => (await noticeStatus(segmentNotice)) === "sent", "the segment notice sent", 20_000);

    const multicast = await waitFor(async () => (await outside.delivered()).find((request) => request.kind === "multicast"), "the notice in the chat page's feed");
    expect(multicast.kind === "multicast" && multicast.to).toEqual([outside.userId]);
    expect(multicast.messages).toEqual([expect.objectContaining({ type: "text", text: expect.stringContaining("移住相談会を開きます") })]);
    assertValidMessagingRequest("POST", "/v2/bot/message/multicast", { to: multicast.kind === "multicast" ? multicast.to : null, messages: multicast.messages });
    // A resident of the city is not in the segment: the page does not show them the notice.
    expect((await resident.delivered()).filter((request) => request.kind !== "reply")).toEqual([]);

    const toAll = await author.post("/staff/notices/new", { type: "text", title: "断水のお知らせ", text: "明日は断水します。", audience: "all", when: "now", intent: "submit" });
    const allNotice = noticeIdFrom(toAll.location);
    expect((await approver.post(`/staff/notices/${allNotice}/approve`, {})).status).toBe(303);
    await waitFor(async () => (await noticeStatus(allNotice)) === "sent", "the notice to all sent", 20_000);
    for (const page of [outside, resident]) {
      const broadcast = await waitFor(async () => (await page.delivered()).find((request) => request.kind === "broadcast"), "the broadcast in the feed");
      expect(broadcast.messages).toEqual([expect.objectContaining({ text: expect.stringContaining("明日は断水します") })]);
      assertValidMessagingRequest("POST", "/v2/bot/message/broadcast", { messages: broadcast.messages });
    }

    // LINE counts one message per friend reached; replies are free.
    const friends = Number((await bot.store.db.selectFrom("line_users").select((eb) => eb.fn.countAll().as("n")).where("follow_state", "=", "following").executeTakeFirstOrThrow()).n);
    const consumption = await (await lineGet("api", "/v2/bot/message/quota/consumption")).json();
    expect(consumption).toEqual({ totalUsage: 1 + friends });
    expect(await (await lineGet("api", "/v2/bot/message/quota")).json()).toEqual({ type: "limited", value: 200 });

    // With the month's messages used up, the approval is refused with LINE's numbers.
    bot.lineStandIn!.usage.add(200 - bot.lineStandIn!.usage.used);
    const late = await author.post("/staff/notices/new", { type: "text", title: "追加のお知らせ", text: "追加のお知らせです。", audience: "all", when: "now", intent: "submit" });
    const refused = await approver.post(`/staff/notices/${noticeIdFrom(late.location)}/approve`, {});
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("上限 200 通のうち 200 通を使っていて、残りは 0 通です");
  });

  it("deploys the seeds' rich menus at start: both menus with their images, the aliases and the default; a second deploy changes nothing", async () => {
    const aliases = (await (await lineGet("api", "/v2/bot/richmenu/alias/list")).json()).aliases as { richMenuAliasId: string; richMenuId: string }[];
    expect(aliases.map((alias) => alias.richMenuAliasId).sort()).toEqual([MAIN, RELOCATION]);
    const mainId = aliases.find((alias) => alias.richMenuAliasId === MAIN)!.richMenuId;
    expect(await (await lineGet("api", "/v2/bot/user/all/richmenu")).json()).toEqual({ richMenuId: mainId });
    const menus = (await (await lineGet("api", "/v2/bot/richmenu/list")).json()).richmenus as { name: string; chatBarText: string }[];
    expect(menus.map((menu) => menu.name.split("@")[0]).sort()).toEqual([MAIN, RELOCATION]);

    // The images live on the data host, as at LINE, and are the rendered seeds.
    const image = await lineGet("data", `/v2/bot/richmenu/${mainId}/content`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await image.arrayBuffer()).equals(await readFile(path.join(defaultRichMenuDir, "main.png")))).toBe(true);

    const again = await deploySeedRichMenus({ channelAccessToken: LOCAL_CHANNEL_ACCESS_TOKEN, apiBaseUrl: bot.lineApiBaseUrl, dataApiBaseUrl: bot.dataApiBaseUrl }, { batchPollMs: 0 });
    expect(again).toMatchObject({ created: [], uploaded: [], aliasesCreated: [], aliasesMoved: [], defaultSet: null, deleted: [] });
    expect(again.unchanged).toHaveLength(2);
  });

  it("shows the chat page's user the default menu, answers a message tap and a postback tap, switches tabs, and shows a prospect the relocation menu", async () => {
    const page = await new DevChatClient(bot).open();
    await page.follow();
    const main = (await page.richMenu())!;
    expect(main).toMatchObject({ source: "default", chatBarText: "メニュー", selected: true, size: { width: 2500, height: 1686 } });
    expect(main.name).toMatch(new RegExp(`^${MAIN}@`));
    const served = await fetch(`${bot.url}${main.imageUrl}`);
    expect(served.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await served.arrayBuffer()).equals(await readFile(path.join(defaultRichMenuDir, "main.png")))).toBe(true);

    const kpi = await page.tap(main, "市の目標");
    expect("messages" in kpi && kpi.messages.length).toBeGreaterThan(0);
    const logged = await bot.store.db.selectFrom("messages").select(["text", "intent"]).where("user_id", "=", page.userId).where("direction", "=", "in").execute();
    expect(logged).toContainEqual({ text: "KPI一覧", intent: "kpi" });
    const report = await page.tap(main, "通報する");
    expect("messages" in report && report.messages.map((message) => message.text).join("\n")).toContain("何についての通報ですか");
    await page.text("キャンセル");

    const tab = await page.tap(main, "移住をお考えの方へ");
    if (!("switchedTo" in tab)) throw new Error("a tab switches the menu");
    expect(tab.switchedTo).toMatchObject({ source: "alias", chatBarText: "移住メニュー" });
    expect(tab.switchedTo.name).toMatch(new RegExp(`^${RELOCATION}@`));
    const tabHandled = await waitFor(
      async () => (await bot.store.db.selectFrom("inbox_events").select("status").where("webhook_event_id", "=", tab.event.webhookEventId).executeTakeFirst())?.status === "done",
      "the tab's postback handled",
    );
    expect(tabHandled).toBe(true);
    // LINE switched the menu; the bot has nothing to say, and the user's own menu is still the default.
    expect((await page.delivered()).filter((request) => request.kind === "reply" && request.replyToken === tab.event.replyToken)).toEqual([]);
    expect((await page.richMenu())!.source).toBe("default");
    const relocationTap = await page.tap(tab.switchedTo, "使い方");
    expect("messages" in relocationTap && relocationTap.messages.length).toBeGreaterThan(0);

    // A resident who says they live elsewhere gets the relocation menu linked (the menu sync job).
    const question = await page.text("受信設定");
    await page.press(question, "市外に住んでいる");
    const linked = await waitFor(async () => {
      const menu = await page.richMenu();
      return menu?.source === "user" && menu;
    }, "the relocation menu linked to the user");
    expect(linked.richMenuId).toBe(tab.switchedTo.richMenuId);
    expect(bot.lineStandIn!.richMenus.userLinks.get(page.userId)).toBe(linked.richMenuId);
  });

  it("serves a friend's profile, and answers 404 for anyone who is not a friend", async () => {
    const page = await new DevChatClient(bot).open();
    await page.follow();
    const client = new messagingApi.MessagingApiClient({ channelAccessToken: LOCAL_CHANNEL_ACCESS_TOKEN, baseURL: bot.lineApiBaseUrl });
    const profile = await client.getProfile(page.userId);
    expect(profile).toEqual({ userId: page.userId, displayName: `開発用チャット利用者 ${page.userId.slice(-4)}`, language: "ja" });

    expect((await lineGet("api", `/v2/bot/profile/U${"0".repeat(32)}`)).status).toBe(404);
    await page.send(events.unfollow(page.userId));
    await waitFor(async () => (await lineGet("api", `/v2/bot/profile/${page.userId}`)).status === 404, "the profile gone once the user blocked the account");
    const blocked = await lineGet("api", `/v2/bot/profile/${page.userId}`);
    expect(await blocked.json()).toEqual({ message: "Not found" });
  });
});
