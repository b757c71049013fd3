import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CHANNEL_SECRET, loadConfig } from "../../src/config.js";
import { startBot, type RunningBot } from "../../src/bot.js";
import { assertValidMessagingRequest } from "../support/line-openapi.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// Local mode: no LINE credentials. The dev chat page and the in-process LINE API stand-in are served,
// and the bot's real client sends its answers to the stand-in over HTTP.
describe("local mode", () => {
  let bot: RunningBot;
  beforeAll(async () => {
    const config = loadConfig({ PORT: "0", LOG_LEVEL: "silent" });
    bot = await startBot(config, pino({ level: "silent" }), { store: { kind: "pglite" }, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await bot.stop();
  });

  it("serves the chat page and its configuration", async () => {
    const page = await fetch(`${bot.url}/dev/chat`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("<html");
    const config = await (await fetch(`${bot.url}/dev/chat/api/config`)).json();
    expect(config).toMatchObject({ channelSecret: LOCAL_CHANNEL_SECRET, botName: "人吉市公式LINE" });
  });

  it("answers a signed event through the stand-in, and the page can read the answer", async () => {
    const before = (await (await fetch(`${bot.url}/dev/chat/api/captured?since=0`)).json()).next as number;
    const userId = newUserId();
    const follow = events.follow(userId);
    await sendEvents(bot.url, [follow], LOCAL_CHANNEL_SECRET);
    const captured = await waitFor(async () => {
      const feed = await (await fetch(`${bot.url}/dev/chat/api/captured?since=${before}`)).json();
      return feed.requests.length > 0 && feed;
    }, "the captured reply");
    expect(captured.requests[0]).toMatchObject({ kind: "reply", replyToken: follow.replyToken });
    assertValidMessagingRequest("POST", "/v2/bot/message/reply", {
      replyToken: captured.requests[0].replyToken,
      messages: captured.requests[0].messages,
    });
    expect(captured.requests[0].messages[0].text).toContain("友だち追加");
    const outbound = await waitFor(
      async () => bot.store.db.selectFrom("outbound_messages").selectAll().where("status", "=", "sent").executeTakeFirst(),
      "sent",
    );
    expect(outbound.method).toBe("reply");
  });

  it("refuses events signed with any other secret", async () => {
    await expect(sendEvents(bot.url, [events.text(newUserId(), "x")], "some-other-secret")).rejects.toThrow(/401/);
  });

  it("seeded the city's content into the empty database on first start", async () => {
    const indicators = await bot.store.db.selectFrom("kpi_indicators").select("id").execute();
    expect(indicators.length).toBeGreaterThanOrEqual(13);
    const listings = await bot.store.db.selectFrom("vacant_house_listings").select("id").execute();
    expect(listings.length).toBeGreaterThan(0);
    const surveys = await bot.store.db.selectFrom("surveys").select("id").execute();
    expect(surveys.length).toBeGreaterThan(0);
  });
});
