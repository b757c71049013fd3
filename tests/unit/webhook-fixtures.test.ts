import { describe, expect, it } from "vitest";
import { assertValidWebhookBody, messagingSchemaErrors, webhookSchemaErrors } from "../support/line-openapi.js";
import { events, newUserId, webhookBody } from "../support/webhook-client.js";
import { textWithMenu } from "../../src/flows/replies.js";
import { loadBotTexts } from "../../src/seeds/bot-texts.js";

// The tests' webhook bodies must be ones LINE could send: each builder is checked against webhook.yml.
describe("test webhook bodies follow LINE's webhook schema", () => {
  const userId = newUserId();
  it.each([
    ["text", events.text(userId, "こんにちは")],
    ["follow", events.follow(userId)],
    ["unfollow", events.unfollow(userId)],
    ["postback", events.postback(userId, "v1:menu")],
    ["location", events.location(userId)],
    ["sticker", events.sticker(userId)],
    ["image", events.image(userId)],
  ])("%s", (_name, event) => {
    assertValidWebhookBody(JSON.parse(webhookBody([event])));
  });

  it("and the validator does catch a malformed one", () => {
    const event = events.text(userId, "x") as Record<string, unknown>;
    delete event.webhookEventId;
    expect(webhookSchemaErrors(JSON.parse(webhookBody([event])))).toContainEqual(expect.stringContaining("webhookEventId"));
  });
});

describe("the bot's menu answer is a body LINE accepts", () => {
  it("for every text in seeds/texts.yaml", async () => {
    const texts = await loadBotTexts();
    for (const text of [texts.welcome, texts.welcome_back, texts.text_fallback, texts.image_received]) {
      expect(messagingSchemaErrors("POST", "/v2/bot/message/reply", { replyToken: "t", messages: [textWithMenu(text, texts)] })).toEqual([]);
    }
  });
  it("while a 21-character quick-reply label or an unknown message type would be refused", () => {
    const tooLong = { type: "text", text: "x", quickReply: { items: [{ type: "action", action: { type: "message", label: "あ".repeat(21), text: "x" } }] } };
    expect(messagingSchemaErrors("POST", "/v2/bot/message/reply", { replyToken: "t", messages: [tooLong] })).toHaveLength(1);
    expect(messagingSchemaErrors("POST", "/v2/bot/message/push", { to: "U1", messages: [{ type: "foo" }] }).length).toBeGreaterThan(0);
    expect(messagingSchemaErrors("POST", "/v2/bot/message/push", { to: "U1", messages: [{ type: "text", text: "あ".repeat(5001) }] })).toHaveLength(1);
  });
});
