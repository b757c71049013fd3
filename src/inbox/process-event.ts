import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { residentStateOf } from "../store/resident-turn.js";
import type { WebhookEvent } from "../line/webhook-body.js";
import { answersOfEvent, type SendableOutbound } from "../outbox/outbox.js";
import { finishEvent, inboxLeaseLostCode } from "./finish-event.js";
import { deferredTransaction } from "../store/deferred-begin.js";
import { markEventFailedAttempt, type ClaimedEvent } from "./inbox-queries.js";
import { handBackUntilStored } from "./hand-back.js";
import { isConnectionError, storeErrorSummary } from "../store/store-errors.js";
import type { AfterCommit, EventHandler } from "./event-handler.js";
import type { InboxWorkerOptions } from "./worker-options.js";

// One claimed event, from its transaction to its answers' hand-over: the handler and finishEvent in
// one transaction, the failed attempt counted or the event handed back when the database went away,
// then afterCommit. The worker loop (inbox-worker.ts) decides when an event may start and keeps
// the slots; this module decides what happens to the event.
export interface EventWorker {
  readonly db: Kysely<Database>;
  readonly handle: EventHandler;
  readonly afterCommit: AfterCommit;
  readonly log: Logger;
  readonly options: InboxWorkerOptions;
  // False once the worker stops: a hand-back waiting for the database gives up then.
  readonly running: () => boolean;
}

export async function processClaimedEvent(worker: EventWorker, row: ClaimedEvent, committed: () => void): Promise<void> {
  const log = worker.log.child({ eventId: row.webhook_event_id, eventType: row.event_type, attempt: row.attempts });
  if (row.attempts > worker.options.maxAttempts) {
    await markEventFailedAttempt(worker.db, row, row.last_error ?? "lease expired too many times (worker crashed while handling?)", null);
    log.error("event marked failed: too many attempts");
    return;
  }
  let finished: { claimed: SendableOutbound[]; pending: SendableOutbound[] };
  try {
    // BEGIN only if the handler runs a statement of its own (most do not): see deferred-begin.ts.
    finished = await deferredTransaction(worker.db, async (trx) => {
      const handled = await worker.handle({
        trx,
        event: row.payload as unknown as WebhookEvent,
        receivedAt: new Date(row.received_at),
        resident: row.user_id === null ? null : residentStateOf(row),
        log,
      });
      // Alone, without BEGIN, when the handler ran no statement in the transaction.
      // Fails (inboxLeaseLostCode) when another worker took the event after this one's lease ran out.
      return finishEvent(trx, row, handled, worker.options.sendAs ?? null);
    });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === inboxLeaseLostCode) {
      log.warn("event handled by another worker after this one's lease expired; changes rolled back");
      return;
    }
    if (isConnectionError(error)) {
      // The database went away mid-event (nothing of it committed): not the event's fault, so
      // the attempt does not count; it is handed back as soon as the database answers again.
      log.warn({ reason: storeErrorSummary(error) }, "database lost while handling an event; it will be handled again");
      await handBack(worker, row, committed);
      return;
    }
    const finalAttempt = row.attempts >= worker.options.maxAttempts;
    const retryInMs = finalAttempt ? null : worker.options.backoff(row.attempts);
    await markEventFailedAttempt(worker.db, row, describeError(error), retryInMs).catch((markError) =>
      log.error({ err: markError }, "could not record the failed attempt; the lease will expire and it will be retried"),
    );
    log.error({ err: error, retryInMs }, finalAttempt ? "event handling failed for the last time" : "event handling failed; will retry");
    return;
  }
  committed();
  log.info("event handled");
  await worker.afterCommit(finished.claimed, finished.pending).catch((error) =>
    log.error({ err: error }, "sending after commit failed; the outbox sweep will retry"),
  );
}

// Holds the event's place for its resident (their later events keep waiting) until it is back
// in the inbox, pending; or, if it committed after all, until its answers written claimed by
// this process are in the dispatcher's hands (they would otherwise wait for their lease, and
// the resident's later answers with them).
async function handBack(worker: EventWorker, row: ClaimedEvent, committed: () => void): Promise<void> {
  if ((await handBackUntilStored(worker.db, row, worker.running, worker.log)) !== "committed") return;
  let answers: Awaited<ReturnType<typeof answersOfEvent>>;
  try {
    answers = await answersOfEvent(worker.db, row.webhook_event_id);
  } catch (error) {
    worker.log.warn({ reason: storeErrorSummary(error) }, "could not look for the answers of an event committed as the connection broke; the outbox sweep sends them");
    return;
  }
  const sendAs = worker.options.sendAs?.workerId;
  committed();
  await worker.afterCommit(
    answers.filter((answer) => answer.claimed_by === sendAs && answer.status === "sending"),
    answers.filter((answer) => answer.status === "pending"),
  ).catch((error) => worker.log.error({ err: error }, "sending after commit failed; the outbox sweep will retry"));
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
