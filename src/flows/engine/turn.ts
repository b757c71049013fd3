import { randomUUID } from "node:crypto";
import type { messagingApi } from "@line/bot-sdk";
import type { ConversationState, ConversationWrite, SavedConversation } from "../../store/conversations.js";
import type { Flow, FlowContext, FlowOutcome } from "../flow.js";

// One turn of the engine: a flow's context, plus the conversation change decided so far in this
// turn and the thread the message was handled in (set when a flow run takes it: a step, a start, a
// cancel, a hand-off). Every change to the conversation lands here; the last one is what the
// caller writes.
export type TurnContext = FlowContext & { write: ConversationWrite | null; handledIn: string | null };

export function saveConversation(context: TurnContext, state: SavedConversation): void {
  context.write = { kind: "save", state, at: context.at };
}

export function endConversation(context: TurnContext): void {
  context.write = { kind: "end" };
}

// The message is a step of the resident's run in progress: it and the run's case share a thread.
// A draft from before threads existed starts one now.
export function continueRun(context: TurnContext, state: ConversationState): void {
  context.thread = state.thread ?? context.thread;
  context.handledIn = context.thread;
}

// The message starts a run (or a hand-off): a new thread.
export function startRun(context: TurnContext): void {
  context.thread = randomUUID();
  context.handledIn = context.thread;
}

// What a flow step decided: its state saved under the run's thread, or the conversation ended.
export function persist(context: TurnContext, flow: Flow, outcome: FlowOutcome): messagingApi.Message[] {
  if (outcome.state) saveConversation(context, { flow: flow.name, ...outcome.state, thread: context.thread });
  else endConversation(context);
  return outcome.messages;
}

// The resident's saved draft as the flow's step state.
export function stepOf(state: ConversationState): { step: string; data: Record<string, unknown> } {
  return { step: state.step, data: state.data };
}
