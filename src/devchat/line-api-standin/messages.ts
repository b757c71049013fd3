import express, { type Request, type Response, type Router } from "express";
import type { CapturedRequests, CapturedSend } from "./captured-requests.js";
import type { FriendDirectory } from "./friends.js";
import { invalidBody, lineError } from "./line-answers.js";
import { messagesProblems, multicastTargetProblems, pushTargetProblems } from "./message-rules.js";
import type { MessageUsage } from "./quota.js";

// Sending messages, as LINE's Messaging API does it: a reply token is accepted once; push,
// multicast and broadcast honour X-Line-Retry-Key (a UUID; a key LINE accepted before is answered
// 409 with the accepted request's id, and nothing is sent again:
// https://developers.line.biz/en/reference/messaging-api/#retry-api-request), count against the
// month's quota, and are refused with 429 past it. What is accepted goes to the dev chat page.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MessageRoutesOptions {
  captured: CapturedRequests;
  usage: MessageUsage;
  friends: FriendDirectory;
}

export function messageRoutes(options: MessageRoutesOptions): Router {
  const router = express.Router();
  const usedReplyTokens = new Set<string>();
  // Retry key → the id of the request LINE accepted with it.
  const acceptedRetryKeys = new Map<string, string>();

  router.post("/v2/bot/message/reply", (req, res) => {
    const { replyToken, messages } = req.body ?? {};
    const problems = messagesProblems(messages);
    if (typeof replyToken !== "string" || replyToken === "") problems.push({ message: "must be specified", property: "replyToken" });
    if (problems.length > 0) return invalidBody(res, problems);
    if (usedReplyTokens.has(replyToken)) return lineError(res, 400, "Invalid reply token");
    usedReplyTokens.add(replyToken);
    options.captured.add({ kind: "reply", replyToken, messages });
    res.json({ sentMessages: sentMessages(messages.length) });
  });

  const send = (kind: "push" | "multicast" | "broadcast") => async (req: Request, res: Response) => {
    const { to, messages } = req.body ?? {};
    const problems = [...(kind === "push" ? pushTargetProblems(to) : kind === "multicast" ? multicastTargetProblems(to) : []), ...messagesProblems(messages)];
    if (problems.length > 0) return invalidBody(res, problems);
    const retryKey = req.get("x-line-retry-key");
    if (retryKey !== undefined && !UUID.test(retryKey)) return lineError(res, 400, "The value for the 'X-Line-Retry-Key' header is invalid");
    if (retryKey !== undefined && acceptedRetryKeys.has(retryKey)) {
      res.set("x-line-accepted-request-id", acceptedRetryKeys.get(retryKey)!);
      return lineError(res, 409, "The retry key is already accepted");
    }
    // Held before the friend count is read, so that the same key sent twice at once is accepted once.
    if (retryKey !== undefined) acceptedRetryKeys.set(retryKey, String(res.locals.requestId));
    const reached = kind === "broadcast" ? await options.friends.count() : await options.friends.countAmong(kind === "push" ? [to] : to);
    if (!options.usage.fits(reached)) {
      if (retryKey !== undefined) acceptedRetryKeys.delete(retryKey);
      return lineError(res, 429, "You have reached your monthly limit.");
    }
    options.usage.add(reached);
    const captured: CapturedSend = kind === "push" ? { kind, to, messages } : kind === "multicast" ? { kind, to: [...to], messages } : { kind, messages };
    options.captured.add(captured);
    res.json(kind === "push" ? { sentMessages: sentMessages(messages.length) } : {});
  };
  router.post("/v2/bot/message/push", send("push"));
  router.post("/v2/bot/message/multicast", send("multicast"));
  router.post("/v2/bot/message/broadcast", send("broadcast"));
  return router;
}

let lastMessageId = 0n;
// Message ids are numeric strings, increasing; a quote token comes with each.
function sentMessages(count: number): { id: string; quoteToken: string }[] {
  return Array.from({ length: count }, () => {
    const now = BigInt(Date.now()) * 1000n;
    lastMessageId = now > lastMessageId ? now : lastMessageId + 1n;
    return { id: lastMessageId.toString(), quoteToken: `q${lastMessageId.toString(36)}` };
  });
}
