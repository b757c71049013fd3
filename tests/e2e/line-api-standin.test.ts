import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLineApiStandIn, type RunningStandIn } from "../../src/devchat/line-api-standin.js";
import { CapturedRequests } from "../../src/devchat/line-api-standin/captured-requests.js";
import type { FriendDirectory } from "../../src/devchat/line-api-standin/friends.js";
import { defaultRichMenuDir } from "../../src/richmenu/load-rich-menus.js";
import { openApiInspector } from "../support/local-bot.js";
import { newUserId } from "../support/webhook-client.js";

// The local stand-in for the LINE API on its own, asked what LINE would refuse: its answers (errors
// included) are checked against LINE's OpenAPI document; the rules are LINE's reference's.
const TOKEN = "stand-in-test-token";
const friendIds = new Set<string>();
const friends: FriendDirectory = {
  count: async () => friendIds.size,
  countAmong: async (ids) => ids.filter((id) => friendIds.has(id)).length,
  isFriend: async (id) => friendIds.has(id),
};

describe("the local LINE API stand-in", () => {
  let standIn: RunningStandIn;
  const captured = new CapturedRequests();
  const inspector = openApiInspector({ requests: false });
  const warnings: unknown[] = [];
  let mainPng: Buffer;
  beforeAll(async () => {
    const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    standIn = await startLineApiStandIn({ channelAccessToken: TOKEN, captured, friends, log, monthlyLimit: 10, inspector });
    mainPng = await readFile(path.join(defaultRichMenuDir, "main.png"));
  });
  afterAll(async () => {
    await standIn?.stop();
  });
  afterEach(() => {
    expect(inspector.problems).toEqual([]);
  });

  async function call(host: "api" | "data", method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
    const binary = Buffer.isBuffer(body);
    const response = await fetch(`${host === "api" ? standIn.apiUrl : standIn.dataUrl}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": binary ? "image/png" : "application/json" }), ...headers },
      body: body === undefined ? undefined : binary ? new Uint8Array(body) : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.status, body: json, headers: response.headers };
  }
  const text = (value: string) => ({ type: "text", text: value });

  it("checks the access token, and answers 404 (and says so in the log) for an endpoint it does not implement", async () => {
    const unauthorized = await call("api", "GET", "/v2/bot/message/quota", undefined, { authorization: "Bearer wrong" });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body.message).toContain("Authentication failed");
    const missing = await call("api", "GET", "/v2/bot/followers/ids");
    expect(missing).toMatchObject({ status: 404, body: { message: "Not found" } });
    expect(missing.headers.get("x-line-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(warnings).toContainEqual(expect.objectContaining({ method: "GET", path: "/v2/bot/followers/ids" }));
  });

  it("accepts a reply token once and refuses bodies LINE would refuse, naming the property", async () => {
    expect((await call("api", "POST", "/v2/bot/message/reply", { replyToken: "r1", messages: [text("はい")] })).status).toBe(200);
    expect(await call("api", "POST", "/v2/bot/message/reply", { replyToken: "r1", messages: [text("はい")] })).toMatchObject({ status: 400, body: { message: "Invalid reply token" } });
    const six = await call("api", "POST", "/v2/bot/message/reply", { replyToken: "r2", messages: Array.from({ length: 6 }, () => text("x")) });
    expect(six).toMatchObject({ status: 400, body: { details: [{ property: "messages", message: "Size must be between 1 and 5" }] } });
    const empty = await call("api", "POST", "/v2/bot/message/reply", { replyToken: "r3", messages: [text(""), { type: "flex", contents: { type: "bubble" } }] });
    expect(empty.body.details).toEqual([
      { property: "messages[0].text", message: "must be 1 to 5000 characters" },
      { property: "messages[1].altText", message: "must be 1 to 1500 characters" },
    ]);
  });

  it("multicasts to 1 to 500 user ids once per retry key (409 after), broadcasts to every friend, counts what it delivered and refuses with 429 past the month's limit", async () => {
    const [a, b, stranger] = [newUserId(), newUserId(), newUserId()];
    friendIds.add(a).add(b);
    const before = standIn.usage.used;
    const key = randomUUID();
    const first = await call("api", "POST", "/v2/bot/message/multicast", { to: [a, b, stranger], messages: [text("お知らせ")] }, { "x-line-retry-key": key });
    expect(first).toMatchObject({ status: 200, body: {} });
    const again = await call("api", "POST", "/v2/bot/message/multicast", { to: [a, b, stranger], messages: [text("お知らせ")] }, { "x-line-retry-key": key });
    expect(again.status).toBe(409);
    expect(again.headers.get("x-line-accepted-request-id")).toBe(first.headers.get("x-line-request-id"));
    expect(captured.since(0).requests.filter((request) => request.kind === "multicast")).toHaveLength(1);
    // One message per friend reached: the stranger is not a friend.
    expect(standIn.usage.used - before).toBe(2);

    expect((await call("api", "POST", "/v2/bot/message/multicast", { to: ["C" + "0".repeat(32)], messages: [text("x")] })).body.details).toEqual([{ property: "to[0]", message: "must be a user id" }]);
    const tooMany = Array.from({ length: 501 }, () => newUserId());
    expect((await call("api", "POST", "/v2/bot/message/multicast", { to: tooMany, messages: [text("x")] })).body.details).toEqual([{ property: "to", message: "Size must be between 1 and 500" }]);
    expect((await call("api", "POST", "/v2/bot/message/push", { to: a, messages: [text("x")] }, { "x-line-retry-key": "not-a-uuid" })).status).toBe(400);

    expect((await call("api", "POST", "/v2/bot/message/broadcast", { messages: [text("全員へ")] }, { "x-line-retry-key": randomUUID() })).status).toBe(200);
    expect(standIn.usage.used - before).toBe(2 + friendIds.size);
    expect((await call("api", "GET", "/v2/bot/message/quota/consumption")).body).toEqual({ totalUsage: standIn.usage.used });
    expect((await call("api", "GET", "/v2/bot/message/quota")).body).toEqual({ type: "limited", value: 10 });

    standIn.usage.add(10 - standIn.usage.used - 1);
    const over = await call("api", "POST", "/v2/bot/message/multicast", { to: [a, b], messages: [text("x")] }, { "x-line-retry-key": randomUUID() });
    expect(over).toMatchObject({ status: 429, body: { message: "You have reached your monthly limit." } });
    expect((await call("api", "POST", "/v2/bot/message/push", { to: a, messages: [text("x")] })).status).toBe(200);
    expect(standIn.usage.used).toBe(10);
  });

  it("keeps rich menus as LINE does: checked objects, one image on the data host, aliases, the default, per-user and batch links", async () => {
    const menu = {
      size: { width: 2500, height: 1686 },
      selected: false,
      name: "test",
      chatBarText: "メニュー",
      areas: [{ bounds: { x: 0, y: 0, width: 2500, height: 1686 }, action: { type: "message", label: "ヘルプ", text: "ヘルプ" } }],
    };
    const refused = await call("api", "POST", "/v2/bot/richmenu/validate", { ...menu, chatBarText: "とても長いメニューの名前ですね", areas: [{ bounds: { x: 2000, y: 0, width: 600, height: 100 }, action: { type: "message", text: "x" } }] });
    expect(refused.status).toBe(400);
    expect(refused.body.details.map((detail: { property: string }) => detail.property)).toEqual(["chatBarText", "areas[0].bounds"]);
    expect((await call("api", "POST", "/v2/bot/richmenu/validate", menu)).status).toBe(200);

    const { richMenuId } = (await call("api", "POST", "/v2/bot/richmenu", menu)).body;
    expect(richMenuId).toMatch(/^richmenu-[0-9a-f]{32}$/);
    expect((await call("api", "POST", "/v2/bot/richmenu/alias", { richMenuAliasId: "test-alias", richMenuId })).body.message).toBe("must upload richmenu image before applying it to user");
    expect((await call("api", "POST", `/v2/bot/richmenu/${richMenuId}/content`, mainPng)).status).toBe(404);
    const wrongSize = Buffer.from(mainPng);
    wrongSize.writeUInt32BE(1000, 16);
    expect((await call("data", "POST", `/v2/bot/richmenu/${richMenuId}/content`, wrongSize)).body.message).toBe("The image is 1000x1686, but the rich menu is 2500x1686");
    expect((await call("data", "POST", `/v2/bot/richmenu/${richMenuId}/content`, mainPng)).status).toBe(200);
    expect((await call("data", "POST", `/v2/bot/richmenu/${richMenuId}/content`, mainPng)).body.message).toBe("An image has already been uploaded to the richmenu");

    expect((await call("api", "POST", "/v2/bot/richmenu/alias", { richMenuAliasId: "test-alias", richMenuId })).status).toBe(200);
    expect((await call("api", "POST", "/v2/bot/richmenu/alias", { richMenuAliasId: "test-alias", richMenuId })).body.message).toBe("conflict richmenu alias id");
    expect((await call("api", "GET", "/v2/bot/richmenu/alias/test-alias")).body).toEqual({ richMenuAliasId: "test-alias", richMenuId });
    expect((await call("api", "GET", `/v2/bot/richmenu/${richMenuId}`)).body).toEqual({ richMenuId, ...menu });

    expect((await call("api", "GET", "/v2/bot/user/all/richmenu")).status).toBe(404);
    expect((await call("api", "POST", `/v2/bot/user/all/richmenu/${richMenuId}`)).status).toBe(200);
    expect((await call("api", "GET", "/v2/bot/user/all/richmenu")).body).toEqual({ richMenuId });
    expect((await call("api", "DELETE", "/v2/bot/user/all/richmenu")).status).toBe(200);
    expect((await call("api", "GET", "/v2/bot/user/all/richmenu")).status).toBe(404);

    const [first, second] = [newUserId(), newUserId()];
    expect((await call("api", "GET", `/v2/bot/user/${first}/richmenu`)).body).toEqual({ message: "the user has no richmenu" });
    expect((await call("api", "POST", `/v2/bot/user/${first}/richmenu/${richMenuId}`)).status).toBe(200);
    expect((await call("api", "GET", `/v2/bot/user/${first}/richmenu`)).body).toEqual({ richMenuId });
    expect((await call("api", "POST", "/v2/bot/richmenu/bulk/link", { richMenuId, userIds: [second] })).status).toBe(202);
    expect(standIn.richMenus.userLinks.get(second)).toBe(richMenuId);
    expect((await call("api", "POST", "/v2/bot/richmenu/bulk/unlink", { userIds: [second] })).status).toBe(202);
    expect(standIn.richMenus.userLinks.has(second)).toBe(false);

    const successor = (await call("api", "POST", "/v2/bot/richmenu", { ...menu, name: "successor" })).body.richMenuId as string;
    await call("data", "POST", `/v2/bot/richmenu/${successor}/content`, mainPng);
    const batch = await call("api", "POST", "/v2/bot/richmenu/batch", { operations: [{ type: "link", from: richMenuId, to: successor }] });
    expect(batch.status).toBe(202);
    const progress = await call("api", "GET", `/v2/bot/richmenu/progress/batch?requestId=${batch.headers.get("x-line-request-id")}`);
    expect(progress.body).toMatchObject({ phase: "succeeded" });
    expect(standIn.richMenus.userLinks.get(first)).toBe(successor);

    expect((await call("api", "DELETE", `/v2/bot/richmenu/${richMenuId}`)).status).toBe(400);
    expect((await call("api", "POST", "/v2/bot/richmenu/alias/test-alias", { richMenuId: successor })).status).toBe(200);
    expect((await call("api", "DELETE", `/v2/bot/richmenu/${richMenuId}`)).status).toBe(200);
    expect((await call("data", "GET", `/v2/bot/richmenu/${richMenuId}/content`)).status).toBe(404);
    expect((await call("api", "DELETE", "/v2/bot/richmenu/alias/test-alias")).status).toBe(200);
    expect((await call("api", "GET", "/v2/bot/richmenu/alias/list")).body).toEqual({ aliases: [] });
  });

  it("serves profiles of friends only", async () => {
    const friend = newUserId();
    friendIds.add(friend);
    expect((await call("api", "GET", `/v2/bot/profile/${friend}`)).body).toEqual({ userId: friend, displayName: `開発用チャット利用者 ${friend.slice(-4)}`, language: "ja" });
    friendIds.delete(friend);
    expect((await call("api", "GET", `/v2/bot/profile/${friend}`)).status).toBe(404);
  });
});
