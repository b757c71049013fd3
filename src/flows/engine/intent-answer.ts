import type { messagingApi } from "@line/bot-sdk";
import { fiscalYearOf } from "../../japan-time.js";
import type { IntentResult } from "../../intents/router.js";
import { postbackData } from "../../line/postback-data.js";
import { recordInquiry } from "../../store/cases.js";
import { answerForIntent } from "../intent-answers.js";
import { flowForIntent, type Engine } from "./flow-registry.js";
import { endConversation, persist, startRun, type TurnContext } from "./turn.js";

// A message outside any flow (or one that leaves it): a hand-off to staff, the start of the flow
// that serves the intent, or the intent's answer from seeds.
export async function answerIntent(engine: Engine, context: TurnContext, understood: IntentResult): Promise<messagingApi.Message[]> {
  if (understood.intent === "human" && !understood.ambiguous) return [await openHandoff(engine, context)];
  const flow = understood.ambiguous ? undefined : flowForIntent(engine, understood.intent);
  if (flow?.fromIntent) {
    startRun(context);
    return persist(context, flow, await flow.fromIntent(context, understood));
  }
  const messages = await answerForIntent(context.trx, understood, engine.router, engine.texts, { at: context.at, procedures: engine.procedures });
  if (understood.intent === "relocation" && !understood.ambiguous) offerConsultation(engine, messages);
  return messages;
}

// The answer on moving to the city offers the consultation form first among its buttons.
function offerConsultation(engine: Engine, messages: messagingApi.Message[]): void {
  const last = messages.at(-1);
  if (!last?.quickReply) return;
  const start = engine.flowTexts.relocation.start_button;
  const startItem: messagingApi.QuickReplyItem = {
    type: "action",
    action: { type: "postback", label: start, data: postbackData("relocation", "start"), displayText: start },
  };
  last.quickReply.items = [startItem, ...(last.quickReply.items ?? [])].slice(0, 13);
}

// 「職員と話したい」: an inquiry for staff, in a thread of its own; the bot is silent until it closes.
async function openHandoff(engine: Engine, context: TurnContext): Promise<messagingApi.Message> {
  const human = engine.flowTexts.human;
  startRun(context);
  const reference = await recordInquiry(context.trx, {
    userId: context.userId,
    thread: context.thread,
    category: "human",
    department: human.department,
    subject: "職員への取り次ぎ",
    at: context.at,
    fiscalYear: fiscalYearOf(context.at),
  });
  endConversation(context);
  return { type: "text", text: human.opened.replace("{reference}", reference) };
}
