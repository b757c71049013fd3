import type { webhook } from "@line/bot-sdk";
import type { EventHandler, HandlerContext } from "../inbox/inbox-worker.js";
import { enqueueOutbound } from "../line/outbox.js";
import type { LineMessage } from "../line/line-client.js";
import { replyTokenOf, sourceIdOf, userIdOf } from "../line/webhook-body.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import { recordBlock, recordFollow, recordFollowEvent, recordUserSeen } from "../store/line-users.js";
import { eraseUnsentMessage, recordIncomingMessage } from "../store/message-log.js";
import type { Router } from "../intents/router.js";
import type { ConversationEngine } from "../flows/conversation-engine.js";
import { describeIncoming } from "./incoming-message.js";
import { textWithMenu } from "./replies.js";

// One small function per event type; each writes its rows in the handler's transaction and
// returns the outbox ids of its answer. Event types with nothing to do (join, beacon, …) are
// still kept in the inbox and marked done.
export function createEventHandler(texts: BotTexts, router: Router, conversations: ConversationEngine): EventHandler {
  return async (context) => {
    const { event } = context;
    const userId = userIdOf(event);
    const at = new Date(event.timestamp);
    if (userId && event.type !== "unfollow" && event.type !== "follow") await recordUserSeen(context.trx, userId, at);
    switch (event.type) {
      case "follow":
        return onFollow(context, event as webhook.FollowEvent, texts);
      case "unfollow":
        if (userId) {
          await recordBlock(context.trx, userId, at);
          await recordFollowEvent(context.trx, { webhookEventId: event.webhookEventId, userId, kind: "unfollow", at });
        }
        return [];
      case "message":
        return onMessage(context, event as webhook.MessageEvent, texts, router, conversations);
      case "postback":
        return onPostback(context, event as webhook.PostbackEvent, conversations);
      case "unsend":
        if (userId) await eraseUnsentMessage(context.trx, userId, (event as webhook.UnsendEvent).unsend.messageId);
        return [];
      default:
        context.log.info("event recorded; this type needs no answer");
        return [];
    }
  };
}

async function onFollow(context: HandlerContext, event: webhook.FollowEvent, texts: BotTexts): Promise<string[]> {
  const userId = userIdOf(event);
  if (userId) {
    const at = new Date(event.timestamp);
    await recordFollow(context.trx, userId, at);
    await recordFollowEvent(context.trx, { webhookEventId: event.webhookEventId, userId, kind: "follow", at });
  }
  const greeting = event.follow?.isUnblocked ? texts.welcome_back : texts.welcome;
  return answer(context, [textWithMenu(greeting, texts)]);
}

async function onMessage(
  context: HandlerContext,
  event: webhook.MessageEvent,
  texts: BotTexts,
  router: Router,
  conversations: ConversationEngine,
): Promise<string[]> {
  const incoming = describeIncoming(event.message, texts);
  const understood = incoming.text !== null && event.message.type === "text" ? router.classify(incoming.text, new Date(event.timestamp)) : null;
  const userId = userIdOf(event);
  if (userId) {
    await recordIncomingMessage(context.trx, {
      userId,
      inboxEventId: event.webhookEventId,
      messageType: event.message.type,
      text: incoming.text,
      payload: incoming.payload,
      lineMessageId: event.message.id,
      at: new Date(event.timestamp),
      intent: understood?.intent ?? null,
      confidence: understood?.confidence ?? null,
    });
  }
  const to = userId ?? sourceIdOf(event);
  const at = new Date(event.timestamp);
  if (understood && incoming.text !== null) {
    context.log.info({ intent: understood.intent, confidence: understood.confidence, ambiguous: understood.ambiguous }, "message understood");
    if (!to) return [];
    return answer(context, await conversations.respond(context.trx, to, at, { kind: "text", text: incoming.text, understood }));
  }
  const fallback = textWithMenu(incoming.answer, texts);
  // A location or a photo can be the answer a flow waits for (where and what, in a report).
  if (to && event.message.type === "location") {
    const location = event.message as webhook.LocationMessageContent;
    return answer(
      context,
      await conversations.respond(context.trx, to, at, {
        kind: "location",
        latitude: location.latitude,
        longitude: location.longitude,
        address: location.address ?? null,
        title: location.title ?? null,
        fallback,
      }),
    );
  }
  if (to && event.message.type === "image") {
    return answer(context, await conversations.respond(context.trx, to, at, { kind: "image", messageId: event.message.id, fallback }));
  }
  return answer(context, [fallback]);
}

async function onPostback(context: HandlerContext, event: webhook.PostbackEvent, conversations: ConversationEngine): Promise<string[]> {
  const userId = userIdOf(event);
  if (userId) {
    await recordIncomingMessage(context.trx, {
      userId,
      inboxEventId: event.webhookEventId,
      messageType: "postback",
      text: null,
      payload: { data: event.postback.data, ...(event.postback.params ? { params: event.postback.params } : {}) },
      lineMessageId: null,
      at: new Date(event.timestamp),
    });
  }
  const to = userId ?? sourceIdOf(event);
  if (!to) return [];
  return answer(context, await conversations.respond(context.trx, to, new Date(event.timestamp), { kind: "postback", data: event.postback.data }));
}

function answer(context: HandlerContext, messages: LineMessage[]): Promise<string[]> {
  const to = sourceIdOf(context.event);
  if (!to) return Promise.resolve([]);
  return enqueueOutbound(context.trx, {
    to,
    messages,
    inboxEventId: context.event.webhookEventId,
    replyToken: replyTokenOf(context.event),
    receivedAt: context.receivedAt,
  });
}
