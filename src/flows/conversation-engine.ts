import { randomUUID } from "node:crypto";
import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import type { Router } from "../intents/router.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import { openHandoffThread, type ConversationState, type ConversationWrite } from "../store/conversations.js";
import type { Database } from "../store/database.js";
import { answerTurn, type ConversationInput } from "./engine/answer-turn.js";
import { createEngine, type FlowServices } from "./engine/flow-registry.js";
import type { TurnContext } from "./engine/turn.js";
import type { FlowTexts } from "./flow-texts.js";

// Decides what a text or a tap means in the resident's conversation (engine/answer-turn.ts): a
// step of the flow they are in, a way out of it, a question asked mid-flow, the start of a flow, a
// hand-off to staff, or a plain question for the intent router. Each flow's steps live in its
// folder; engine/ holds the turn itself.
export type { ConversationInput } from "./engine/answer-turn.js";

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

export function createConversationEngine(texts: BotTexts, flowTexts: FlowTexts, router: Router, services: FlowServices): ConversationEngine {
  const engine = createEngine(texts, flowTexts, router, services);
  return {
    procedures: engine.procedures,
    async respond(trx, userId, at, input, turn) {
      // While staff handle a hand-off, the bot stays silent; the messages are kept in the log, as
      // the hand-off's own.
      if (turn.openHandoff) return { messages: [], conversation: null, thread: await openHandoffThread(trx, userId) };
      const context: TurnContext = { trx, userId, at, thread: randomUUID(), write: null, handledIn: null };
      const messages = await answerTurn(engine, context, input, turn.conversation);
      // Outside any flow, a message answers what a case's page wrote to the resident lately.
      const thread = context.handledIn ?? (turn.conversation === null && context.write === null ? turn.replyThread : null);
      return { messages, conversation: context.write, thread };
    },
  };
}
