import type { RunningBot } from "../../src/bot.js";
import type { FakeLineApi } from "./fake-line-api.js";
import { events, sendEvents, waitFor } from "./webhook-client.js";

// Drives a conversation as a resident would: send an event, wait for the reply it produced at the
// fake LINE API, tap a button of that reply (a quick reply or a Flex button) by its label.
export type SentMessage = {
  type: string;
  text: string;
  altText?: string;
  contents?: unknown;
  quickReply?: { items: { action: Record<string, string> }[] };
};
type Action = Record<string, string>;

export function conversationDriver(lineApi: () => FakeLineApi) {
  const replies = () => lineApi().to("/v2/bot/message/reply");
  const say = async (bot: RunningBot, event: Record<string, unknown> & { replyToken?: string }): Promise<SentMessage[]> => {
    await sendEvents(bot.url, [event]);
    const reply = await waitFor(async () => replies().find((request) => request.body.replyToken === event.replyToken), `the reply to ${String(event.type)}`);
    return reply.body.messages as SentMessage[];
  };
  const actionsOf = (messages: SentMessage[]): Action[] => {
    const found: Action[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        const record = node as Record<string, unknown>;
        if (record.type === "button" && record.action) found.push(record.action as Action);
        Object.values(record).forEach(walk);
      }
    };
    for (const message of messages) {
      walk(message.contents);
      found.push(...(message.quickReply?.items ?? []).map((item) => item.action));
    }
    return found;
  };
  const tap = (messages: SentMessage[], label: string | RegExp): Action => {
    const action = actionsOf(messages).find((candidate) => (typeof label === "string" ? candidate.label === label : label.test(candidate.label ?? "")));
    if (!action) throw new Error(`no button ${String(label)} in ${JSON.stringify(actionsOf(messages).map((candidate) => candidate.label))}`);
    return action;
  };
  const press = (userId: string, action: Action) => (action.type === "postback" ? events.postback(userId, action.data!) : events.text(userId, action.text!));
  const textOf = (messages: SentMessage[]) => messages.map((message) => message.text ?? message.altText ?? "").join("\n");
  return { replies, say, tap, press, actionsOf, textOf };
}
