import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import type { IntentResult } from "../intents/router.js";
import type { Database } from "../store/database.js";
import type { PostbackData } from "./postback-data.js";

// A conversation flow: given where the resident is (step + draft) and what they just sent, what
// to say and where they are next. `state: null` ends the flow. Flows write their rows through the
// transaction in the context, which also carries the event's time.
export type FlowInput =
  | { kind: "text"; text: string; understood: IntentResult }
  | { kind: "postback"; postback: PostbackData };

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
}

export interface Flow {
  name: string;
  // What the resident calls it (「入力中の〇〇を続けますか」).
  title: string;
  start(context: FlowContext): Promise<FlowOutcome>;
  handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome>;
  // Whether typed text is an answer at this step (anything, at a free-text step; one of the choices
  // otherwise). Text that is not, and clearly asks something else, is an interruption.
  recognizes(step: string, text: string): boolean;
}

export function quickReplyText(text: string, labels: { label: string; text?: string; data?: string }[]): messagingApi.TextMessage {
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
