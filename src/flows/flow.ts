import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import type { IntentResult } from "../intents/router.js";
import type { Database } from "../store/database.js";
import type { FreeTextStep } from "./free-text-question.js";
import type { PostbackData } from "../line/postback-data.js";

// A conversation flow: given where the resident is (step + draft) and what they just sent, what
// to say and where they are next. `state: null` ends the flow. Flows write their rows through the
// transaction in the context, which also carries the event's time.
export type FlowInput =
  | { kind: "text"; text: string; understood: IntentResult }
  | { kind: "postback"; postback: PostbackData }
  | { kind: "location"; latitude: number; longitude: number; address: string | null; title: string | null }
  | { kind: "image"; messageId: string };

export type MediaInput = Extract<FlowInput, { kind: "location" | "image" }>;

export interface FlowState {
  step: string;
  data: Record<string, unknown>;
}

export interface FlowOutcome {
  messages: messagingApi.Message[];
  state: FlowState | null;
}

export interface FlowContext {
  trx: Transaction<Database>;
  userId: string;
  at: Date;
  // The flow run's thread: a case the flow creates carries it (inquiries/reports.thread_id), so the
  // run's messages become the case's messages (migration 0017).
  thread: string;
}

export interface Flow {
  name: string;
  // What the resident calls it (「入力中の〇〇を続けますか」).
  title: string;
  // The procedures a resident completes in it (counted for スマホアプリを通じた行政手続きの種類).
  procedures: readonly string[];
  start(context: FlowContext): Promise<FlowOutcome>;
  handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome>;
  // Whether typed text is an answer at this step (anything, at a free-text step; one of the choices
  // otherwise). Text that is not, and clearly asks something else, is an interruption.
  recognizes(step: string, text: string, understood: IntentResult, data: Record<string, unknown>): boolean;
  // What a step that takes free text (a place, a description, a phone number, a comment) asks
  // for; null at other steps. A question typed there is told from an answer by
  // free-text-question.ts.
  freeText?(step: string, data: Record<string, unknown>): FreeTextStep | null;
  // Where the router's intent for this flow leads when the resident is in no flow (a search, a
  // list, the first question). Without it, the intent gets its answer from seeds.
  fromIntent?(context: FlowContext, understood: IntentResult): Promise<FlowOutcome>;
  // A step that only remembers something (the last search) rather than waiting for an answer:
  // text it does not recognise ends it quietly, with no "continue?" question and no expiry note.
  lingers?(step: string): boolean;
  // Postback actions that begin afresh from a button in an older message (a listing's
  // 「問い合わせる」, the next page), whatever the resident's state.
  opens?: readonly string[];
  // Whether a location or an image message is an answer at this step.
  acceptsMedia?(step: string, kind: MediaInput["kind"]): boolean;
}

type TextMessage = messagingApi.TextMessage;

export function quickReplyText(text: string, labels: { label: string; text?: string; data?: string }[]): TextMessage {
  return {
    type: "text",
    text,
    quickReply: {
      items: labels.map((item) => ({
        type: "action" as const,
        action: item.data
          ? { type: "postback" as const, label: item.label, data: item.data, displayText: item.label }
          : { type: "message" as const, label: item.label, text: item.text ?? item.label },
      })),
    },
  };
}

// The last step of a form: what will be sent, with 「送信する」 and 「最初から」 buttons.
export function confirmQuestion(
  texts: { prompt: string; send: string; restart: string },
  summary: string[],
  buttons: { send: string; restart: string },
): TextMessage {
  return quickReplyText(`${texts.prompt}\n\n${summary.join("\n")}`, [
    { label: texts.send, data: buttons.send },
    { label: texts.restart, data: buttons.restart },
  ]);
}
