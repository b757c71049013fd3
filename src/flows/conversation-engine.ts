import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import { answerForIntent } from "../events/intent-answers.js";
import { textWithMenu } from "../events/replies.js";
import { fiscalYearOf } from "../intents/entities.js";
import type { IntentName } from "../intents/intent-names.js";
import type { IntentResult, Router } from "../intents/router.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import { endConversation, hasOpenHandoff, loadConversation, nextInquiryReference, saveConversation, type ConversationState } from "../store/conversations.js";
import type { Database } from "../store/database.js";
import type { FlowTexts } from "./flow-texts.js";
import type { Flow, FlowContext, FlowOutcome } from "./flow.js";
import { parsePostbackData, postbackData, type PostbackData } from "./postback-data.js";
import { relocationConsultationFlow } from "./relocation-consultation.js";

// Decides what a text or a tap means in the resident's conversation: a step of the flow they are
// in, a way out of it (キャンセル, やめる), a different question asked mid-flow (answered, then
// "continue?"), the start of a flow, a hand-off to staff, or a plain question for the intent router.
export type ConversationInput = { kind: "text"; text: string; understood: IntentResult } | { kind: "postback"; data: string };

const CANCEL_WORDS = /^(きゃんせる|キャンセル|やめる|やめます|やめて|中止|ちゅうし|取り消し|とりけし|もういい|cancel)[。！!\s]*$/i;
// An interruption must be this sure of a different intent; less sure text is re-asked instead.
const INTERRUPTION_CONFIDENCE = 0.6;

export interface ConversationEngine {
  respond(trx: Transaction<Database>, userId: string, at: Date, input: ConversationInput): Promise<messagingApi.Message[]>;
}

export function createConversationEngine(texts: BotTexts, flowTexts: FlowTexts, router: Router): ConversationEngine {
  const flows = new Map<string, Flow>([["relocation", relocationConsultationFlow(flowTexts.relocation)]]);
  const flowIntent: Record<string, IntentName> = { relocation: "relocation" };
  // What residents can do start to finish in this LINE: the live count of the KPI
  // スマホアプリを通じた行政手続きの種類 (the LINE part of it).
  const procedures = [...[...flows.values()].map((flow) => flow.title), "職員への取り次ぎ"];

  return {
    async respond(trx, userId, at, input) {
      // While staff handle a hand-off, the bot stays silent; the messages are kept in the log.
      if (await hasOpenHandoff(trx, userId)) return [];
      const context: FlowContext = { trx, userId, at };
      const notes: messagingApi.Message[] = [];
      let state = await loadConversation(trx, userId);
      if (state && state.expiresAt.getTime() < at.getTime()) {
        await endConversation(trx, userId);
        state = null;
        notes.push({ type: "text", text: texts.flow_expired });
      }

      if (input.kind === "postback") {
        const postback = parsePostbackData(input.data);
        if (!postback) return [...notes, textWithMenu(texts.postback_stale, texts)];
        return [...notes, ...(await onPostback(context, state, postback))];
      }
      if (CANCEL_WORDS.test(input.text.trim())) return [...notes, await cancel(context, state)];
      if (state) {
        const flow = flows.get(state.flow)!;
        const understood = input.understood;
        const isAnswer = flow.recognizes(state.step, input.text);
        const asksSomethingElse =
          !isAnswer &&
          understood.confidence >= INTERRUPTION_CONFIDENCE &&
          !["unknown", "greeting", flowIntent[state.flow]].includes(understood.intent);
        if (asksSomethingElse) return [...notes, ...(await interruption(context, state, flow, understood))];
        if (state.paused && !isAnswer) return [...notes, ...(await answerIntent(context, understood))];
        const outcome = await flow.handle(context, { step: state.step, data: state.data }, input);
        return [...notes, ...(await persist(context, flow, outcome))];
      }
      return [...notes, ...(await answerIntent(context, input.understood))];
    },
  };

  async function onPostback(context: FlowContext, state: ConversationState | null, postback: PostbackData): Promise<messagingApi.Message[]> {
    if (postback.flow === "engine") {
      if (postback.action === "cancel") return [await cancel(context, state)];
      if (postback.action === "resume" && state) {
        const flow = flows.get(state.flow)!;
        const outcome = await flow.handle(context, { step: state.step, data: state.data }, { kind: "postback", postback: { ...postback, flow: state.flow, action: "repeat" } });
        return persist(context, flow, outcome);
      }
      return [textWithMenu(texts.postback_stale, texts)];
    }
    const flow = flows.get(postback.flow);
    if (!flow) return [textWithMenu(texts.postback_stale, texts)];
    if (postback.action === "start") return persist(context, flow, await flow.start(context));
    if (!state || state.flow !== postback.flow) return [textWithMenu(texts.postback_stale, texts)];
    return persist(context, flow, await flow.handle(context, { step: state.step, data: state.data }, { kind: "postback", postback }));
  }

  async function persist(context: FlowContext, flow: Flow, outcome: FlowOutcome): Promise<messagingApi.Message[]> {
    if (outcome.state) await saveConversation(context.trx, context.userId, { flow: flow.name, ...outcome.state }, context.at);
    else await endConversation(context.trx, context.userId);
    return outcome.messages;
  }

  async function cancel(context: FlowContext, state: ConversationState | null): Promise<messagingApi.Message> {
    if (!state) return textWithMenu(texts.nothing_to_cancel, texts);
    await endConversation(context.trx, context.userId);
    return textWithMenu(texts.flow_cancelled, texts);
  }

  // A clearly different question mid-flow: answer it, keep the draft, and ask whether to go on.
  async function interruption(context: FlowContext, state: ConversationState, flow: Flow, understood: IntentResult): Promise<messagingApi.Message[]> {
    const answer = await answerIntent(context, understood);
    await saveConversation(context.trx, context.userId, { flow: state.flow, step: state.step, data: state.data, paused: true }, context.at);
    const question: messagingApi.TextMessage = {
      type: "text",
      text: texts.flow_resume_question.replace("{flow}", flow.title),
      quickReply: {
        items: [
          { type: "action", action: { type: "postback", label: texts.resume_button, data: postbackData("engine", "resume"), displayText: texts.resume_button } },
          { type: "action", action: { type: "postback", label: texts.cancel_button, data: postbackData("engine", "cancel"), displayText: texts.cancel_button } },
        ],
      },
    };
    // LINE takes at most five messages per reply; keep the question last so its buttons show.
    return [...answer.slice(0, 4), question];
  }

  async function answerIntent(context: FlowContext, understood: IntentResult): Promise<messagingApi.Message[]> {
    if (understood.intent === "human" && !understood.ambiguous) return [await openHandoff(context)];
    const messages = await answerForIntent(context.trx, understood, router, texts, { at: context.at, procedures });
    if (understood.intent === "relocation" && !understood.ambiguous) {
      const last = messages.at(-1);
      if (last?.quickReply) {
        const start = flowTexts.relocation.start_button;
        const startItem: messagingApi.QuickReplyItem = {
          type: "action",
          action: { type: "postback", label: start, data: postbackData("relocation", "start"), displayText: start },
        };
        last.quickReply.items = [
          startItem,
          ...(last.quickReply.items ?? []),
        ].slice(0, 13);
      }
    }
    return messages;
  }

  async function openHandoff(context: FlowContext): Promise<messagingApi.Message> {
    const reference = await nextInquiryReference(context.trx, fiscalYearOf(context.at));
    await context.trx
      .insertInto("inquiries")
      .values({
        reference_no: reference,
        user_id: context.userId,
        category: "human",
        department: flowTexts.human.department,
        subject: "職員への取り次ぎ",
        created_at: context.at,
        updated_at: context.at,
      })
      .execute();
    await endConversation(context.trx, context.userId);
    return { type: "text", text: flowTexts.human.opened.replace("{reference}", reference) };
  }
}
