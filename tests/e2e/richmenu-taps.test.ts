import { beforeAll, describe, expect, it } from "vitest";
import { loadBotTexts, type BotTexts } from "../../src/seeds/bot-texts.js";
import { loadRichMenus } from "../../src/richmenu/load-rich-menus.js";
import { desiredMenus, type DesiredMenu } from "../../src/richmenu/rich-menu-object.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// Every tap area of every rich menu, tapped by a resident through a signed webhook, as LINE sends
// it: a message action arrives as the resident's text, a postback action as a postback, a tab
// (richmenuswitch) as a postback with the new alias in its params. Each gets a real answer, and a
// tab none (LINE has already switched the menu).
describe.each(testDatabases)("rich menu taps on $name", (database) => {
  const fixture = botFixture(database);
  const { say, textOf } = conversationDriver(() => fixture.lineApi);
  let menus: DesiredMenu[];
  let texts: BotTexts;
  beforeAll(async () => {
    menus = desiredMenus(await loadRichMenus());
    texts = await loadBotTexts();
  });
  const areas = () => menus.flatMap((menu) => (menu.request.areas ?? []).map((area) => ({ menu: menu.aliasId, action: area.action as Record<string, string> })));

  // One menu per test: a dozen round trips on the embedded database take a while on a busy machine.
  it.each(["hitoyoshi-main", "hitoyoshi-relocation"])("answers every message and postback area of %s, never with the stale-button answer", async (aliasId) => {
    const bot = await fixture.start();
    const tapped = areas().filter((area) => area.menu === aliasId && area.action.type !== "richmenuswitch");
    expect(tapped.length).toBe(6);
    for (const { menu, action } of tapped) {
      const userId = newUserId();
      const event = action.type === "message" ? events.text(userId, action.text!) : events.postback(userId, action.data!);
      const reply = textOf(await say(bot, event));
      expect(reply, `${menu} 「${action.label}」`).not.toBe("");
      expect(reply, `${menu} 「${action.label}」`).not.toContain(texts.postback_stale);
      if (action.type === "message") {
        const logged = await bot.store.db.selectFrom("messages").select("intent").where("user_id", "=", userId).where("direction", "=", "in").executeTakeFirstOrThrow();
        expect(logged.intent, `${menu} 「${action.label}」`).not.toBeNull();
      }
    }
  });

  it("opens the report flow from the 通報する area: a category question, the conversation saved", async () => {
    const bot = await fixture.start();
    const reportTap = areas().find(({ action }) => action.data?.startsWith("v1|report|start"))!;
    const userId = newUserId();
    expect(textOf(await say(bot, events.postback(userId, reportTap.action.data!)))).toContain("何についての通報ですか");
    expect((await bot.store.db.selectFrom("conversations").select("flow").where("user_id", "=", userId).executeTakeFirstOrThrow()).flow).toBe("report");
  });

  it("answers a tab tap with silence and keeps the conversation in progress", async () => {
    const bot = await fixture.start();
    const userId = newUserId();
    const relocationStart = areas().find(({ action }) => action.data?.startsWith("v1|relocation|start"))!;
    await say(bot, events.postback(userId, relocationStart.action.data!));
    const tabs = areas().filter(({ action }) => action.type === "richmenuswitch");
    expect(tabs.map(({ action }) => action.richMenuAliasId).sort()).toEqual(["hitoyoshi-main", "hitoyoshi-relocation"]);
    for (const { action } of tabs) {
      const event = events.postback(userId, action.data!, { postback: { data: action.data, params: { newRichMenuAliasId: action.richMenuAliasId!, status: "SUCCESS" } } });
      await sendEvents(bot.url, [event]);
      await waitFor(
        async () => (await bot.store.db.selectFrom("inbox_events").select("status").where("webhook_event_id", "=", event.webhookEventId).executeTakeFirst())?.status === "done",
        "the tab tap handled",
      );
      expect(fixture.lineApi.to("/v2/bot/message/reply").filter((request) => request.body.replyToken === event.replyToken)).toEqual([]);
    }
    expect((await bot.store.db.selectFrom("conversations").select("flow").where("user_id", "=", userId).executeTakeFirstOrThrow()).flow).toBe("relocation");
  });
});
