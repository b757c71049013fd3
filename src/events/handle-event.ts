import type { webhook } from "@line/bot-sdk";
import type { EventHandler, HandledEvent, HandlerContext } from "../inbox/event-handler.js";
import type { LineMessage } from "../line/line-client.js";
import { replyTokenOf, sourceIdOf, userIdOf } from "../line/webhook-body.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import { conversationWriteQuery, openHandoffThread } from "../store/conversations.js";
import { recordBlock, recordFollow, recordFollowEvent, recordUserSeen } from "../store/line-users.js";
import { eraseUnsentMessage, incomingMessageQuery, type IncomingMessage } from "../store/message-log.js";
import { openResidentTurn, type ResidentTurn } from "../store/resident-turn.js";
import type { Router } from "../intents/router.js";
import type { ConversationEngine, ConversationInput, EngineAnswer } from "../flows/conversation-engine.js";
import { describeIncoming } from "./incoming-message.js";
import { textWithMenu } from "../flows/replies.js";

// One small function per event type; each writes its rows in the handler's transaction and
// returns its answer for the outbox. Event types with nothing to do (join, beacon, …) are still
// kept in the inbox and marked done. A message or a postback costs one round trip before the
// answer (openResidentTurn: hand-off, conversation and follow state read); the user seen, the
// message logged, the conversation change and the answer are written by the worker with the
// event's "done" mark, so an answer that needs no other statement costs two round trips in all,
// without BEGIN or COMMIT (deferred-begin.ts).
export function createEventHandler(texts: BotTexts, router: Router, conversations: ConversationEngine): EventHandler {
  return async (context) => {
    const { event } = context;
    const userId = userIdOf(event);
    const at = new Date(event.timestamp);
    switch (event.type) {
      case "follow":
        return onFollow(context, event as webhook.FollowEvent, texts);
      case "unfollow":
        if (userId) {
          await recordBlock(context.trx, userId, at);
          await recordFollowEvent(context.trx, { webhookEventId: event.webhookEventId, userId, kind: "unfollow", at });
        }
        return nothing;
      case "message":
        return onMessage(context, event as webhook.MessageEvent, texts, router, conversations);
      case "postback":
        return onPostback(context, event as webhook.PostbackEvent, conversations);
      case "unsend":
        if (userId) {
          await recordUserSeen(context.trx, userId, at);
          await eraseUnsentMessage(context.trx, userId, (event as webhook.UnsendEvent).unsend.messageId);
        }
        return nothing;
      default:
        if (userId) await recordUserSeen(context.trx, userId, at);
        context.log.info("event recorded; this type needs no answer");
        return nothing;
    }
  };
}

const nothing: HandledEvent = { writes: [], outbound: null };

async function onFollow(context: HandlerContext, event: webhook.FollowEvent, texts: BotTexts): Promise<HandledEvent> {
  const userId = userIdOf(event);
  if (userId) {
    const at = new Date(event.timestamp);
    await recordFollow(context.trx, userId, at);
    await recordFollowEvent(context.trx, { webhookEventId: event.webhookEventId, userId, kind: "follow", at });
  }
  const greeting = event.follow?.isUnblocked ? texts.welcome_back : texts.welcome;
  return answer(context, [textWithMenu(greeting, texts)], "following");
}

async function onMessage(
  context: HandlerContext,
  event: webhook.MessageEvent,
  texts: BotTexts,
  router: Router,
  conversations: ConversationEngine,
): Promise<HandledEvent> {
  const incoming = describeIncoming(event.message, texts);
  const understood = incoming.text !== null && event.message.type === "text" ? router.classify(incoming.text, new Date(event.timestamp)) : null;
  const userId = userIdOf(event);
  const to = userId ?? sourceIdOf(event);
  const at = new Date(event.timestamp);
  const logged: IncomingMessage | null = userId
    ? {
        userId,
        inboxEventId: event.webhookEventId,
        messageType: event.message.type,
        text: incoming.text,
        payload: incoming.payload,
        lineMessageId: event.message.id,
        at,
        intent: understood?.intent ?? null,
        confidence: understood?.confidence ?? null,
      }
    : null;
  if (understood) context.log.info({ intent: understood.intent, confidence: understood.confidence, ambiguous: understood.ambiguous }, "message understood");
  const fallback = textWithMenu(incoming.answer, texts);
  let input: ConversationInput | null = null;
  if (understood && incoming.text !== null) input = { kind: "text", text: incoming.text, understood };
  // A location or a photo can be the answer a flow waits for (where and what, in a report).
  else if (event.message.type === "location") {
    const location = event.message as webhook.LocationMessageContent;
    input = { kind: "location", latitude: location.latitude, longitude: location.longitude, address: location.address ?? null, title: location.title ?? null, fallback };
  } else if (event.message.type === "image") input = { kind: "image", messageId: event.message.id, fallback };

  if (!to) return nothing;
  // The message is logged once it is known which flow run or case it belongs to (its thread).
  const turn = await openResidentTurn(context.trx, { to, seen: userId ? { userId, at, incoming: null } : null }, context.resident);
  if (!input) {
    // A sticker, a video, a file: no flow takes it; while staff handle a hand-off it is the hand-off's.
    const thread = turn.openHandoff && userId ? await openHandoffThread(context.trx, userId) : null;
    return withTurnWrites(context, answer(context, [fallback], turn.followState, thread), turn, logged, thread);
  }
  const result = await conversations.respond(context.trx, to, at, input, turn);
  return withTurnWrites(context, answered(context, to, result, turn.followState), turn, logged, result.thread);
}

async function onPostback(context: HandlerContext, event: webhook.PostbackEvent, conversations: ConversationEngine): Promise<HandledEvent> {
  const userId = userIdOf(event);
  const to = userId ?? sourceIdOf(event);
  const at = new Date(event.timestamp);
  const logged: IncomingMessage | null = userId
    ? {
        userId,
        inboxEventId: event.webhookEventId,
        messageType: "postback",
        text: null,
        payload: { data: event.postback.data, ...(event.postback.params ? { params: event.postback.params } : {}) },
        lineMessageId: null,
        at,
      }
    : null;
  if (!to) return nothing;
  const turn = await openResidentTurn(context.trx, { to, seen: userId ? { userId, at, incoming: null } : null }, context.resident);
  const result = await conversations.respond(context.trx, to, at, { kind: "postback", data: event.postback.data }, turn);
  return withTurnWrites(context, answered(context, to, result, turn.followState), turn, logged, result.thread);
}

// The resident seen and their message logged in its thread, written with the answer (even when
// there is none).
function withTurnWrites(context: HandlerContext, handled: HandledEvent, turn: ResidentTurn, logged: IncomingMessage | null, thread: string | null): HandledEvent {
  const incoming = logged ? [incomingMessageQuery(context.trx, { ...logged, threadId: thread })] : [];
  return { ...handled, writes: [...turn.writes, ...incoming, ...handled.writes] };
}

function answered(context: HandlerContext, to: string, result: EngineAnswer, followState: string | null): HandledEvent {
  const handled = answer(context, result.messages, followState, result.thread);
  if (!result.conversation) return handled;
  return { ...handled, writes: [...handled.writes, conversationWriteQuery(context.trx, to, result.conversation)] };
}

// `thread`: the flow run or case the answer belongs to, as the message it answers.
function answer(context: HandlerContext, messages: LineMessage[], followState: string | null, thread: string | null = null): HandledEvent {
  const to = sourceIdOf(context.event);
  if (!to || messages.length === 0) return nothing;
  return {
    writes: [],
    outbound: {
      to,
      messages,
      inboxEventId: context.event.webhookEventId,
      replyToken: replyTokenOf(context.event),
      receivedAt: context.receivedAt,
      threadId: thread,
    },
    recipientBlocked: followState === "blocked",
  };
}
