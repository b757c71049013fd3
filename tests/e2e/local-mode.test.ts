import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CHANNEL_ACCESS_TOKEN, LOCAL_CHANNEL_SECRET, loadConfig } from "../../src/config.js";
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

  it("keeps an image the page uploaded and serves it from the stand-in's content API, as LINE does", async () => {
    const messageId = `${Date.now()}00001`;
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(Array.from({ length: 2048 }, (_, i) => i % 256))]);
    const put = await fetch(`${bot.url}/dev/chat/api/content/${messageId}`, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body: bytes,
    });
    expect(put.status).toBe(200);

    const token = LOCAL_CHANNEL_ACCESS_TOKEN;
    const got = await fetch(`${bot.dataApiBaseUrl}/v2/bot/message/${messageId}/content`, { headers: { authorization: `Bearer ${token}` } });
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toMatch(/^image\/png/);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    // Content is on the data host only (api-data.line.me), as at LINE.
    expect(bot.dataApiBaseUrl).not.toBe(bot.lineApiBaseUrl);
    expect((await fetch(`${bot.lineApiBaseUrl}/v2/bot/message/${messageId}/content`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);

    const wrongToken = await fetch(`${bot.dataApiBaseUrl}/v2/bot/message/${messageId}/content`, { headers: { authorization: "Bearer not-the-token" } });
    expect(wrongToken.status).toBe(401);
    const unknown = await fetch(`${bot.dataApiBaseUrl}/v2/bot/message/1234567890/content`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Not found" });
  });

  it("refuses content uploads that are not images, too large, or for a malformed message id", async () => {
    const upload = (id: string, type: string, body: Uint8Array<ArrayBuffer>) =>
      fetch(`${bot.url}/dev/chat/api/content/${id}`, { method: "PUT", headers: { "content-type": type }, body });
    const notImage = await upload("123", "text/plain", Buffer.from("hello"));
    expect(notImage.status).toBe(400);
    expect((await notImage.json()).message).toMatch(/image/);
    const badId = await upload("12ab", "image/png", Buffer.from([1, 2, 3]));
    expect(badId.status).toBe(400);
    expect((await badId.json()).message).toMatch(/digits/);
    const empty = await upload("124", "image/png", new Uint8Array(0));
    expect(empty.status).toBe(400);
    const tooLarge = await upload("125", "image/jpeg", new Uint8Array(10 * 1024 * 1024 + 1));
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).message).toMatch(/too large/);
  });

  it("keeps only the most recent uploaded images, each at most 10 MiB", () => {
    const captured = bot.captured!;
    for (let i = 0; i <= 50; i++) captured.putContent(`9000${i}`, Buffer.from([i]), "image/png");
    expect(captured.content("90000")).toBeUndefined();
    expect(captured.content("900050")).toEqual({ bytes: Buffer.from([50]), contentType: "image/png" });
    expect(() => captured.putContent("9", Buffer.alloc(10 * 1024 * 1024 + 1), "image/png")).toThrow(RangeError);
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
