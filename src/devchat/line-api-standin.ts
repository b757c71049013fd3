import express, { type Router } from "express";

// An in-process stand-in for the LINE Messaging API, used in local mode: the bot's real
// MessagingApiClient sends its reply and push requests here over HTTP, and the dev chat page reads
// what was "delivered". Like LINE, it checks the access token, accepts a reply token once, answers
// 409 to a push whose X-Line-Retry-Key it has seen, and rejects a body without 1 to 5 messages.
// It also serves message content (GET /v2/bot/message/{id}/content, LINE's data API) for images the
// dev chat page uploaded before sending their webhook event.
// Captured requests and content live in memory: this exists for one developer's local process only.

export interface CapturedRequest {
  seq: number;
  kind: "reply" | "push";
  replyToken?: string;
  to?: string;
  messages: unknown[];
  at: string;
}

export interface StoredContent {
  bytes: Buffer;
  contentType: string;
}

const CAPTURE_LIMIT = 1_000;
// Content the page uploaded: the most recent items only, each at most this size.
export const CONTENT_ITEM_LIMIT = 50;
export const CONTENT_MAX_BYTES = 10 * 1024 * 1024;

export class CapturedRequests {
  #items: CapturedRequest[] = [];
  #seq = 0;
  // Insertion order is eviction order (a Map iterates oldest first).
  #content = new Map<string, StoredContent>();

  putContent(messageId: string, bytes: Buffer, contentType: string): void {
    if (bytes.length > CONTENT_MAX_BYTES) throw new RangeError(`content is larger than ${CONTENT_MAX_BYTES} bytes`);
    this.#content.delete(messageId);
    this.#content.set(messageId, { bytes: Buffer.from(bytes), contentType });
    while (this.#content.size > CONTENT_ITEM_LIMIT) {
      const oldest = this.#content.keys().next().value;
      if (oldest === undefined) break;
      this.#content.delete(oldest);
    }
  }

  content(messageId: string): StoredContent | undefined {
    return this.#content.get(messageId);
  }

  add(request: Omit<CapturedRequest, "seq" | "at">): CapturedRequest {
    this.#seq += 1;
    const item = { ...request, seq: this.#seq, at: new Date().toISOString() };
    this.#items.push(item);
    if (this.#items.length > CAPTURE_LIMIT) this.#items.splice(0, this.#items.length - CAPTURE_LIMIT);
    return item;
  }

  since(seq: number): { next: number; requests: CapturedRequest[] } {
    return { next: this.#seq, requests: this.#items.filter((item) => item.seq > seq) };
  }
}

export function lineApiStandIn(options: { channelAccessToken: string; captured: CapturedRequests }): Router {
  const router = express.Router();
  const usedReplyTokens = new Set<string>();
  const seenRetryKeys = new Set<string>();
  router.use(express.json({ limit: "2mb" }));
  router.use((req, res, next) => {
    if (req.headers.authorization !== `Bearer ${options.channelAccessToken}`) {
      res.status(401).json({ message: "Authentication failed. Confirm that the access token in the authorization header is valid." });
      return;
    }
    next();
  });

  router.post("/v2/bot/message/reply", (req, res) => {
    const { replyToken, messages } = req.body ?? {};
    const problem = messagesProblem(messages) ?? (typeof replyToken === "string" && replyToken ? null : "replyToken is required");
    if (problem) {
      res.status(400).json({ message: "The request body has 1 error(s)", details: [{ message: problem }] });
      return;
    }
    if (usedReplyTokens.has(replyToken)) {
      res.status(400).json({ message: "Invalid reply token" });
      return;
    }
    usedReplyTokens.add(replyToken);
    options.captured.add({ kind: "reply", replyToken, messages });
    res.status(200).json({ sentMessages: messages.map((_: unknown, index: number) => ({ id: String(Date.now() + index) })) });
  });

  router.post("/v2/bot/message/push", (req, res) => {
    const { to, messages } = req.body ?? {};
    const problem = messagesProblem(messages) ?? (typeof to === "string" && to ? null : "to is required");
    if (problem) {
      res.status(400).json({ message: "The request body has 1 error(s)", details: [{ message: problem }] });
      return;
    }
    const retryKey = req.headers["x-line-retry-key"];
    if (typeof retryKey === "string") {
      if (seenRetryKeys.has(retryKey)) {
        res.status(409).json({ message: "The retry key is already accepted" });
        return;
      }
      seenRetryKeys.add(retryKey);
    }
    options.captured.add({ kind: "push", to, messages });
    res.status(200).json({ sentMessages: messages.map((_: unknown, index: number) => ({ id: String(Date.now() + index) })) });
  });

  // LINE's data API (api-data.line.me): the content of a message the user sent.
  router.get("/v2/bot/message/:messageId/content", (req, res) => {
    const stored = options.captured.content(req.params.messageId);
    if (!stored) {
      res.status(404).json({ message: "Not found" });
      return;
    }
    res.status(200).type(stored.contentType).set("Content-Length", String(stored.bytes.length)).send(stored.bytes);
  });

  router.use((_req, res) => {
    res.status(404).json({ message: "Not found: the local stand-in implements reply, push and message content only" });
  });
  return router;
}

function messagesProblem(messages: unknown): string | null {
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) return "messages must be an array of 1 to 5 message objects";
  if (messages.some((message) => typeof message !== "object" || message === null || typeof message.type !== "string")) {
    return "each message needs a type";
  }
  return null;
}
