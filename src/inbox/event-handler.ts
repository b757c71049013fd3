import type { OperationNodeSource, Transaction } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import type { ResidentState } from "../store/resident-turn.js";
import type { WebhookEvent } from "../line/webhook-body.js";
import type { OutboundDraft, SendableOutbound } from "../outbox/outbox.js";

// The contract between the inbox worker and the event handlers (src/events/handle-event.ts).

// What a handler gets: the event, a transaction to write in (and only that: on the embedded
// database another query outside it would wait for the transaction forever), and a logger that
// already carries the event id.
export interface HandlerContext {
  trx: Transaction<Database>;
  event: WebhookEvent;
  receivedAt: Date;
  // The state of the event's user, read with its claim (null for an event without a user).
  resident: ResidentState | null;
  log: Logger;
}

// What a handler leaves for the end of the event's transaction, where the worker writes it in the
// same statement that marks the event done (finish-event.ts): one round trip for all of it.
export interface HandledEvent {
  // Statements (INSERT, UPDATE, DELETE built on the handler's transaction) whose results the
  // handler does not need; no two of them may touch the same row.
  writes: OperationNodeSource[];
  // The answer, for the outbox.
  outbound: OutboundDraft | null;
  // The recipient has blocked the account (as read in this transaction): the answer is written for
  // the dispatcher, which records it as skipped, instead of being sent from here.
  recipientBlocked?: boolean;
}
export type EventHandler = (context: HandlerContext) => Promise<HandledEvent>;

// After commit: rows written claimed by `sendAs` (send them), and rows left pending (deliver them).
export type AfterCommit = (claimed: SendableOutbound[], pending: SendableOutbound[]) => Promise<void>;
