import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../src/backoff.js";
import { chooseMethod } from "../../src/outbox/outbound-dispatcher.js";
import { REPLY_TOKEN_USABLE_MS } from "../../src/outbox/outbox.js";
import { parseWebhookBody } from "../../src/line/webhook-body.js";

describe("reply or push", () => {
  const now = new Date("2026-11-25T10:00:00Z");
  const deadline = new Date(now.getTime() + 1_000);
  it("replies while the token is fresh", () => {
    expect(chooseMethod({ method: null, reply_token: "t", reply_deadline: deadline }, now)).toBe("reply");
  });
  it("pushes once the token's life is over, when there is no token, or after falling back once", () => {
    expect(chooseMethod({ method: null, reply_token: "t", reply_deadline: new Date(now.getTime() - 1) }, now)).toBe("push");
    expect(chooseMethod({ method: null, reply_token: null, reply_deadline: null }, now)).toBe("push");
    expect(chooseMethod({ method: "push", reply_token: "t", reply_deadline: deadline }, now)).toBe("push");
  });
  it("keeps a margin inside LINE's one minute", () => {
    expect(REPLY_TOKEN_USABLE_MS).toBeLessThan(60_000);
    expect(REPLY_TOKEN_USABLE_MS).toBeGreaterThanOrEqual(30_000);
  });
});

describe("retry backoff", () => {
  const options = { baseMs: 1_000, maxMs: 60_000 };
  it("doubles per attempt between half and all of the ceiling, and is capped", () => {
    expect(retryDelayMs(1, options, () => 0)).toBe(500);
    expect(retryDelayMs(1, options, () => 1)).toBe(1_000);
    expect(retryDelayMs(3, options, () => 1)).toBe(4_000);
    expect(retryDelayMs(3, options, () => 0)).toBe(2_000);
    expect(retryDelayMs(20, options, () => 1)).toBe(60_000);
  });
});

describe("webhook body shape", () => {
  const event = {
    type: "message",
    mode: "active",
    timestamp: 1_700_000_000_000,
    source: { type: "user", userId: "U1" },
    webhookEventId: "01H",
    deliveryContext: { isRedelivery: false },
    message: { id: "1", type: "text", text: "hi", quoteToken: "q" },
    replyToken: "r",
  };
  it("accepts a body that follows LINE's schema, keeping unknown fields and event types", () => {
    const parsed = parseWebhookBody({ destination: "U0", events: [event, { ...event, type: "somethingNew", webhookEventId: "01J", extra: 1 }] });
    expect(parsed.ok && parsed.value.events.map((e) => e.type)).toEqual(["message", "somethingNew"]);
    expect(parsed.ok && (parsed.value.events[1] as unknown as { extra: number }).extra).toBe(1);
  });
  // An event with an id but a field of the wrong type is kept, refused (tests/unit/webhook-cleaning.test.ts).
  it("rejects what is not a webhook body, naming the field", () => {
    expect(parseWebhookBody({ events: [] })).toMatchObject({ ok: false, error: expect.stringContaining("destination") });
    expect(parseWebhookBody({ destination: "U0", events: [{ ...event, webhookEventId: 7 }] })).toMatchObject({
      ok: false,
      error: expect.stringContaining("events.0.webhookEventId"),
    });
    expect(parseWebhookBody([1, 2])).toMatchObject({ ok: false });
    expect(parseWebhookBody(null)).toMatchObject({ ok: false });
  });
});
