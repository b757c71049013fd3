import { randomUUID } from "node:crypto";
import type { messagingApi } from "@line/bot-sdk";
import type { IntentResult } from "../../intents/router.js";
import { parsePostbackData, postbackData, type PostbackData } from "../../line/postback-data.js";
import type { ConversationState } from "../../store/conversations.js";
import type { Flow, MediaInput } from "../flow.js";
import { asksSomethingElse } from "../free-text-question.js";
import { textWithMenu } from "../replies.js";
import { intentOfFlow, type Engine } from "./flow-registry.js";
import { answerIntent } from "./intent-answer.js";
import { continueRun, endConversation, persist, saveConversation, startRun, stepOf, type TurnContext } from "./turn.js";

// One message in the resident's conversation: a step of the flow they are in, a way out of it
// (キャンセル, やめる), a different question asked mid-flow (answered, then "continue?"), the start of
// a flow, a hand-off to staff, or a plain question for the intent router.
export type ConversationInput =
  | { kind: "text"; text: string; understood: IntentResult }
  | { kind: "postback"; data: string }
  // A location or an image: an answer when a flow waits for one, otherwise `fallback` is the answer.
  | (MediaInput & { fallback: messagingApi.Message });

type TextInput = Extract<ConversationInput, { kind: "text" }>;

const CANCEL_WORDS = /^(きゃんせる|キャンセル|やめる|やめます|やめて|中止|ちゅうし|取り消し|とりけし|もういい|cancel)[。！!\s]*$/i;
// 「/survey line-satisfaction」: the deep link a survey opened by link is shared with.
const SURVEY_LINK = /^\/survey\s+([a-z0-9][a-z0-9-]{0,80})\s*$/i;

export async function answerTurn(engine: Engine, context: TurnContext, input: ConversationInput, loaded: ConversationState | null): Promise<messagingApi.Message[]> {
  const notes: messagingApi.Message[] = [];
  const state = loaded && lapsed(engine, context, loaded, notes) ? null : loaded;
  if (input.kind === "postback") {
    const postback = parsePostbackData(input.data);
    if (!postback) return [...notes, textWithMenu(engine.texts.postback_stale, engine.texts)];
    return [...notes, ...(await onPostback(engine, context, state, postback))];
  }
  if (input.kind === "location" || input.kind === "image") return [...notes, ...(await onMedia(engine, context, state, input))];
  return [...notes, ...(await onText(engine, context, state, input))];
}

// A draft past its expiry (or of a flow that no longer exists) ends; a remembered search simply
// lapses, a half-filled form deserves a word.
function lapsed(engine: Engine, context: TurnContext, state: ConversationState, notes: messagingApi.Message[]): boolean {
  if (state.expiresAt.getTime() >= context.at.getTime() && engine.flows.has(state.flow)) return false;
  endConversation(context);
  const lingering = engine.flows.get(state.flow)?.lingers?.(state.step) ?? false;
  if (!lingering) notes.push({ type: "text", text: engine.texts.flow_expired });
  return true;
}

async function onMedia(engine: Engine, context: TurnContext, state: ConversationState | null, input: Extract<ConversationInput, MediaInput>): Promise<messagingApi.Message[]> {
  const flow = state ? engine.flows.get(state.flow)! : null;
  if (!state || !flow?.acceptsMedia?.(state.step, input.kind)) return [input.fallback];
  continueRun(context, state);
  return persist(context, flow, await flow.handle(context, stepOf(state), input));
}

async function onText(engine: Engine, context: TurnContext, state: ConversationState | null, input: TextInput): Promise<messagingApi.Message[]> {
  const link = SURVEY_LINK.exec(input.text.trim());
  if (link) return onPostback(engine, context, state, { version: "v1", flow: "survey", action: "open", argument: link[1]!.toLowerCase() });
  if (CANCEL_WORDS.test(input.text.trim())) return [cancel(engine, context, state)];
  if (!state) return answerIntent(engine, context, input.understood);
  const flow = engine.flows.get(state.flow)!;
  const understood = input.understood;
  const isAnswer = flow.recognizes(state.step, input.text, understood, state.data);
  if (!isAnswer && flow.lingers?.(state.step)) {
    endConversation(context);
    return answerIntent(engine, context, understood);
  }
  const freeText = flow.freeText?.(state.step, state.data) ?? null;
  if (asksSomethingElse({ text: input.text, understood, flowIntent: intentOfFlow(state.flow), isAnswer, freeText })) {
    return interruption(engine, context, state, flow, understood);
  }
  if (state.paused && !isAnswer) return answerIntent(engine, context, understood);
  continueRun(context, state);
  return persist(context, flow, await flow.handle(context, stepOf(state), input));
}

async function onPostback(engine: Engine, context: TurnContext, state: ConversationState | null, postback: PostbackData): Promise<messagingApi.Message[]> {
  if (postback.flow === "engine") return onEnginePostback(engine, context, state, postback);
  const flow = engine.flows.get(postback.flow);
  if (!flow) return [textWithMenu(engine.texts.postback_stale, engine.texts)];
  if (postback.action === "start") {
    startRun(context);
    return persist(context, flow, await flow.start(context));
  }
  if (flow.opens?.includes(postback.action)) {
    const ownRun = state?.flow === flow.name ? state : null;
    if (ownRun) continueRun(context, ownRun);
    else startRun(context);
    const fresh = ownRun ? stepOf(ownRun) : { step: "", data: {} };
    return persist(context, flow, await flow.handle(context, fresh, { kind: "postback", postback }));
  }
  if (!state || state.flow !== postback.flow) return [textWithMenu(engine.texts.postback_stale, engine.texts)];
  continueRun(context, state);
  return persist(context, flow, await flow.handle(context, stepOf(state), { kind: "postback", postback }));
}

// The engine's own buttons: a rich menu tab, 「続ける」 and 「やめる」 after an interruption.
async function onEnginePostback(engine: Engine, context: TurnContext, state: ConversationState | null, postback: PostbackData): Promise<messagingApi.Message[]> {
  // A rich menu tab (richmenuswitch): LINE has already switched the menu; a reply would only
  // cover it. The flow in progress, if any, stays as it is.
  if (postback.action === "switch_menu") return [];
  if (postback.action === "cancel") return [cancel(engine, context, state)];
  if (postback.action === "resume" && state) {
    const flow = engine.flows.get(state.flow)!;
    continueRun(context, state);
    const repeat = { kind: "postback" as const, postback: { ...postback, flow: state.flow, action: "repeat" } };
    return persist(context, flow, await flow.handle(context, stepOf(state), repeat));
  }
  return [textWithMenu(engine.texts.postback_stale, engine.texts)];
}

function cancel(engine: Engine, context: TurnContext, state: ConversationState | null): messagingApi.Message {
  const { texts } = engine;
  if (!state) return textWithMenu(texts.nothing_to_cancel, texts);
  continueRun(context, state);
  endConversation(context);
  return textWithMenu(texts.flow_cancelled, texts);
}

// A clearly different question mid-flow: answer it, keep the draft, and ask whether to go on.
async function interruption(engine: Engine, context: TurnContext, state: ConversationState, flow: Flow, understood: IntentResult): Promise<messagingApi.Message[]> {
  const { texts } = engine;
  const answer = await answerIntent(engine, context, understood);
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
