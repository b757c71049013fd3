import { randomUUID } from "node:crypto";
import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import { answerForIntent } from "../events/intent-answers.js";
import { textWithMenu } from "../events/replies.js";
import { fiscalYearOf } from "../intents/entities.js";
import type { IntentName } from "../intents/intent-names.js";
import type { IntentResult, Router } from "../intents/router.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import { nextInquiryReference, openHandoffThread, type ConversationState, type ConversationWrite, type SavedConversation } from "../store/conversations.js";
import type { Database } from "../store/database.js";
import type { FlowTexts } from "./flow-texts.js";
import type { Flow, FlowContext, FlowOutcome, MediaInput } from "./flow.js";
import { asksSomethingElse } from "./free-text-question.js";
import { parsePostbackData, postbackData, type PostbackData } from "./postback-data.js";
import { relocationConsultationFlow } from "./relocation-consultation.js";
import type { ContentFetcher } from "../line/content-client.js";
import { futureCafeFlow } from "./future-cafe/future-cafe-flow.js";
import { profileFlow } from "./profile/profile-flow.js";
import { reportFlow } from "./report/report-flow.js";
import { surveyFlow } from "./survey/survey-flow.js";
import { vacantHouseFlow } from "./vacant-house/vacant-house-flow.js";

// Decides what a text or a tap means in the resident's conversation: a step of the flow they are
// in, a way out of it (キャンセル, やめる), a different question asked mid-flow (answered, then
// "continue?"), the start of a flow, a hand-off to staff, or a plain question for the intent router.
export type ConversationInput =
  | { kind: "text"; text: string; understood: IntentResult }
  | { kind: "postback"; data: string }
  // A location or an image: an answer when a flow waits for one, otherwise `fallback` is the answer.
  | (MediaInput & { fallback: messagingApi.Message });

const CANCEL_WORDS = /^(きゃんせる|キャンセル|やめる|やめます|やめて|中止|ちゅうし|取り消し|とりけし|もういい|cancel)[。！!\s]*$/i;
// 「/survey line-satisfaction」: the deep link a survey opened by link is shared with.
const SURVEY_LINK = /^\/survey\s+([a-z0-9][a-z0-9-]{0,80})\s*$/i;

// What the engine needs to know of the resident, read with the claim of their event
// (resident-turn.ts).
export interface TurnState {
  openHandoff: boolean;
  conversation: ConversationState | null;
  // The case whose page wrote to the resident lately: a message outside any flow answers it.
  replyThread: string | null;
}

// The answer, and the change to the resident's conversation (null: none) for the caller to write
// with the rest of the event's writes, in the statement that finishes the event. `thread`: the flow
// run or case the resident's message and this answer belong to (null: none, e.g. an FAQ answer).
export interface EngineAnswer {
  messages: messagingApi.Message[];
  conversation: ConversationWrite | null;
  thread: string | null;
}

export interface ConversationEngine {
  respond(trx: Transaction<Database>, userId: string, at: Date, input: ConversationInput, turn: TurnState): Promise<EngineAnswer>;
  // What residents can do start to finish in this LINE (the live count of the KPI
  // スマホアプリを通じた行政手続きの種類, the LINE part of it).
  procedures: readonly string[];
}

// A flow's context, plus the conversation change decided so far in this turn and the thread the
// message was handled in (set when a flow run takes it: a step, a start, a cancel, a hand-off).
type TurnContext = FlowContext & { write: ConversationWrite | null; handledIn: string | null };

export interface FlowServices {
  content: ContentFetcher;
}

export function createConversationEngine(texts: BotTexts, flowTexts: FlowTexts, router: Router, services: FlowServices): ConversationEngine {
  const flowList: Flow[] = [
    relocationConsultationFlow(flowTexts.relocation),
    vacantHouseFlow(flowTexts.vacantHouse),
    surveyFlow(flowTexts.survey, texts),
    reportFlow(flowTexts.report, services.content),
    futureCafeFlow(flowTexts.futureCafe, router.intents.find((seed) => seed.intent === "future_cafe")?.answer ?? ""),
    profileFlow(flowTexts.profile, texts),
  ];
  const flows = new Map<string, Flow>(flowList.map((flow) => [flow.name, flow]));
  // The intent each flow serves; a clearly different intent mid-flow is an interruption.
  const flowIntent: Record<string, IntentName> = {
    relocation: "relocation",
    vacant_house: "vacant_house",
    survey: "survey",
    report: "report",
    future_cafe: "future_cafe",
    profile: "profile",
  };
  const flowForIntent = (intent: IntentName) => flowList.find((flow) => flowIntent[flow.name] === intent && flow.fromIntent);
  const procedures = [...flowList.flatMap((flow) => flow.procedures), "職員への取り次ぎ"];

  return {
    procedures,
    async respond(trx, userId, at, input, turn) {
      // While staff handle a hand-off, the bot stays silent; the messages are kept in the log, as
      // the hand-off's own.
      if (turn.openHandoff) return { messages: [], conversation: null, thread: await openHandoffThread(trx, userId) };
      const context: TurnContext = { trx, userId, at, thread: randomUUID(), write: null, handledIn: null };
      const messages = await answer(context, input, turn.conversation);
      // Outside any flow, a message answers what a case's page wrote to the resident lately.
      const thread = context.handledIn ?? (turn.conversation === null && context.write === null ? turn.replyThread : null);
      return { messages, conversation: context.write, thread };
    },
  };

  async function answer(context: TurnContext, input: ConversationInput, loaded: ConversationState | null): Promise<messagingApi.Message[]> {
    const { at } = context;
    const notes: messagingApi.Message[] = [];
    let state = loaded;
    if (state && (state.expiresAt.getTime() < at.getTime() || !flows.has(state.flow))) {
      endConversation(context);
      // A remembered search simply lapses; a half-filled form deserves a word.
      const lingering = flows.get(state.flow)?.lingers?.(state.step) ?? false;
      if (!lingering) notes.push({ type: "text", text: texts.flow_expired });
      state = null;
    }

    if (input.kind === "postback") {
      const postback = parsePostbackData(input.data);
      if (!postback) return [...notes, textWithMenu(texts.postback_stale, texts)];
      return [...notes, ...(await onPostback(context, state, postback))];
    }
    if (input.kind === "location" || input.kind === "image") {
      const flow = state ? flows.get(state.flow)! : null;
      if (state && flow?.acceptsMedia?.(state.step, input.kind)) {
        continueRun(context, state);
        const outcome = await flow.handle(context, { step: state.step, data: state.data }, input);
        return [...notes, ...(await persist(context, flow, outcome))];
      }
      return [...notes, input.fallback];
    }
    const link = SURVEY_LINK.exec(input.text.trim());
    if (link) return [...notes, ...(await onPostback(context, state, { version: "v1", flow: "survey", action: "open", argument: link[1]!.toLowerCase() }))];
    if (CANCEL_WORDS.test(input.text.trim())) return [...notes, await cancel(context, state)];
    if (state) {
      const flow = flows.get(state.flow)!;
      const understood = input.understood;
      const isAnswer = flow.recognizes(state.step, input.text, understood, state.data);
      if (!isAnswer && flow.lingers?.(state.step)) {
        endConversation(context);
        return [...notes, ...(await answerIntent(context, understood))];
      }
      const freeText = flow.freeText?.(state.step, state.data) ?? null;
      if (asksSomethingElse({ text: input.text, understood, flowIntent: flowIntent[state.flow]!, isAnswer, freeText })) {
        return [...notes, ...(await interruption(context, state, flow, understood))];
      }
      if (state.paused && !isAnswer) return [...notes, ...(await answerIntent(context, understood))];
      continueRun(context, state);
      const outcome = await flow.handle(context, { step: state.step, data: state.data }, input);
      return [...notes, ...(await persist(context, flow, outcome))];
    }
    return [...notes, ...(await answerIntent(context, input.understood))];
  }

  // Every change to the conversation lands here; the last one is what the caller writes.
  function saveConversation(context: TurnContext, state: SavedConversation): void {
    context.write = { kind: "save", state, at: context.at };
  }

  // The message is a step of the resident's run in progress: it and the run's case share a thread.
  // A draft from before threads existed starts one now.
  function continueRun(context: TurnContext, state: ConversationState): void {
    context.thread = state.thread ?? context.thread;
    context.handledIn = context.thread;
  }

  // The message starts a run (or a hand-off): a new thread.
  function startRun(context: TurnContext): void {
    context.thread = randomUUID();
    context.handledIn = context.thread;
  }

  function endConversation(context: TurnContext): void {
    context.write = { kind: "end" };
  }

  async function onPostback(context: TurnContext, state: ConversationState | null, postback: PostbackData): Promise<messagingApi.Message[]> {
    if (postback.flow === "engine") {
      // A rich menu tab (richmenuswitch): LINE has already switched the menu; a reply would only
      // cover it. The flow in progress, if any, stays as it is.
      if (postback.action === "switch_menu") return [];
      if (postback.action === "cancel") return [await cancel(context, state)];
      if (postback.action === "resume" && state) {
        const flow = flows.get(state.flow)!;
        continueRun(context, state);
        const outcome = await flow.handle(context, { step: state.step, data: state.data }, { kind: "postback", postback: { ...postback, flow: state.flow, action: "repeat" } });
        return persist(context, flow, outcome);
      }
      return [textWithMenu(texts.postback_stale, texts)];
    }
    const flow = flows.get(postback.flow);
    if (!flow) return [textWithMenu(texts.postback_stale, texts)];
    if (postback.action === "start") {
      startRun(context);
      return persist(context, flow, await flow.start(context));
    }
    if (flow.opens?.includes(postback.action)) {
      if (state?.flow === flow.name) continueRun(context, state);
      else startRun(context);
      const fresh = state?.flow === flow.name ? { step: state.step, data: state.data } : { step: "", data: {} };
      return persist(context, flow, await flow.handle(context, fresh, { kind: "postback", postback }));
    }
    if (!state || state.flow !== postback.flow) return [textWithMenu(texts.postback_stale, texts)];
    continueRun(context, state);
    return persist(context, flow, await flow.handle(context, { step: state.step, data: state.data }, { kind: "postback", postback }));
  }

  async function persist(context: TurnContext, flow: Flow, outcome: FlowOutcome): Promise<messagingApi.Message[]> {
    if (outcome.state) saveConversation(context, { flow: flow.name, ...outcome.state, thread: context.thread });
    else endConversation(context);
    return outcome.messages;
  }

  async function cancel(context: TurnContext, state: ConversationState | null): Promise<messagingApi.Message> {
    if (!state) return textWithMenu(texts.nothing_to_cancel, texts);
    continueRun(context, state);
    endConversation(context);
    return textWithMenu(texts.flow_cancelled, texts);
  }

  // A clearly different question mid-flow: answer it, keep the draft, and ask whether to go on.
  async function interruption(context: TurnContext, state: ConversationState, flow: Flow, understood: IntentResult): Promise<messagingApi.Message[]> {
    const answer = await answerIntent(context, understood);
    // Handed to staff: the bot stays silent until they close it, so there is nothing to go on with.
    if (understood.intent === "human" && !understood.ambiguous) return answer;
    // The question asked mid-flow is not the run's: the paused draft keeps its own thread.
    saveConversation(context, { flow: state.flow, step: state.step, data: state.data, paused: true, thread: state.thread ?? randomUUID() });
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

  async function answerIntent(context: TurnContext, understood: IntentResult): Promise<messagingApi.Message[]> {
    if (understood.intent === "human" && !understood.ambiguous) return [await openHandoff(context)];
    const flow = understood.ambiguous ? undefined : flowForIntent(understood.intent);
    if (flow?.fromIntent) {
      startRun(context);
      return persist(context, flow, await flow.fromIntent(context, understood));
    }
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

  async function openHandoff(context: TurnContext): Promise<messagingApi.Message> {
    const reference = await nextInquiryReference(context.trx, fiscalYearOf(context.at));
    startRun(context);
    await context.trx
      .insertInto("inquiries")
      .values({
        reference_no: reference,
        user_id: context.userId,
        thread_id: context.thread,
        category: "human",
        department: flowTexts.human.department,
        subject: "職員への取り次ぎ",
        created_at: context.at,
        updated_at: context.at,
      })
      .execute();
    endConversation(context);
    return { type: "text", text: flowTexts.human.opened.replace("{reference}", reference) };
  }
}
