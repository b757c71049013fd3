import { createHmac, randomBytes } from "node:crypto";

// Builds webhook bodies the way LINE does (webhook.yml) and posts them signed, through HTTP.

export const TEST_CHANNEL_SECRET = "test-channel-secret-0123456789abcdef";
export const TEST_ACCESS_TOKEN = "test-channel-access-token";
export const BOT_DESTINATION = "Uffffffffffffffffffffffffffffffff";

let counter = 0;
export function newEventId(): string {
  counter += 1;
  return `01TEST${Date.now().toString(36).toUpperCase()}${counter.toString(36).toUpperCase().padStart(6, "0")}${randomBytes(3).toString("hex").toUpperCase()}`;
}
export function newUserId(): string {
  return `U${randomBytes(16).toString("hex")}`;
}
const hex = (bytes: number) => randomBytes(bytes).toString("hex");

type EventOverrides = Record<string, unknown> & { webhookEventId?: string; timestamp?: number; isRedelivery?: boolean };
export type TestEvent = { type: string; webhookEventId: string; replyToken?: string; [field: string]: unknown };

function base(type: string, userId: string, overrides: EventOverrides): TestEvent {
  const { isRedelivery, ...rest } = overrides;
  return {
    type,
    mode: "active",
    timestamp: Date.now(),
    source: { type: "user", userId },
    webhookEventId: newEventId(),
    deliveryContext: { isRedelivery: isRedelivery ?? false },
    ...rest,
  };
}

export const events = {
  text: (userId: string, text: string, overrides: EventOverrides = {}) =>
    base("message", userId, {
      replyToken: hex(16),
      message: { id: String(Date.now()) + String(counter), type: "text", text, quoteToken: hex(16) },
      ...overrides,
    }),
  follow: (userId: string, overrides: EventOverrides = {}) =>
    base("follow", userId, { replyToken: hex(16), follow: { isUnblocked: false }, ...overrides }),
  unfollow: (userId: string, overrides: EventOverrides = {}) => base("unfollow", userId, overrides),
  postback: (userId: string, data: string, overrides: EventOverrides = {}) =>
    base("postback", userId, { replyToken: hex(16), postback: { data }, ...overrides }),
  location: (userId: string, overrides: EventOverrides = {}) =>
    base("message", userId, {
      replyToken: hex(16),
      message: { id: String(Date.now()), type: "location", title: "人吉市役所", address: "熊本県人吉市", latitude: 32.2105, longitude: 130.7623 },
      ...overrides,
    }),
  sticker: (userId: string, overrides: EventOverrides = {}) =>
    base("message", userId, {
      replyToken: hex(16),
      message: { id: String(Date.now()), type: "sticker", packageId: "446", stickerId: "1988", stickerResourceType: "STATIC", quoteToken: hex(16) },
      ...overrides,
    }),
  image: (userId: string, overrides: EventOverrides = {}) =>
    base("message", userId, {
      replyToken: hex(16),
      message: { id: String(Date.now()), type: "image", contentProvider: { type: "line" }, quoteToken: hex(16) },
      ...overrides,
    }),
};

export function webhookBody(eventList: unknown[]): string {
  return JSON.stringify({ destination: BOT_DESTINATION, events: eventList });
}

export function sign(body: string | Buffer, secret = TEST_CHANNEL_SECRET): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

export async function postWebhook(
  baseUrl: string,
  body: string,
  options: { signature?: string | null; secret?: string } = {},
): Promise<{ status: number; body: string }> {
  const signature = options.signature === undefined ? sign(body, options.secret) : options.signature;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (signature !== null) headers["x-line-signature"] = signature;
  const response = await fetch(`${baseUrl}/webhook`, { method: "POST", headers, body });
  return { status: response.status, body: await response.text() };
}

export async function sendEvents(baseUrl: string, eventList: unknown[], secret?: string): Promise<void> {
  const response = await postWebhook(baseUrl, webhookBody(eventList), secret ? { secret } : {});
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${response.body}`);
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
