import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Kysely, OperationNodeSource, Transaction } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { residentStateOf, type ResidentState } from "../store/resident-turn.js";
import type { WebhookEvent } from "../line/webhook-body.js";
import type { OutboundClaim, OutboundDraft, SendableOutbound } from "../line/outbox.js";
import { retryDelayMs } from "./backoff.js";
import { finishEvent, inboxLeaseLostCode } from "./finish-event.js";
import { deferredTransaction } from "../store/deferred-begin.js";
import { claimNextEvents, markEventFailedAttempt, releaseEvent, type ClaimedEvent } from "./inbox-queries.js";
import { isConnectionError, storeErrorSummary } from "../store/store-errors.js";
import { EventLoopPace, defaultPaceOptions, type PaceOptions } from "./event-loop-pace.js";
import { NextEventWatch } from "./next-event-watch.js";

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
export type AfterCommit = (claimed: SendableOutbound[], pendingIds: string[]) => Promise<void>;

export interface InboxWorkerOptions {
  workerId: string;
  // Most events claimed by one query.
  batchSize: number;
  // Most events handled at once (each holds a database connection while in its transaction).
  concurrency: number;
  // Most answers being sent at once after their commit (they hold no connection, but bound what
  // a slow LINE API can pile up here).
  maxSending: number;
  leaseMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  backoff: (attempt: number) => number;
  // The dispatcher's identity: answers are written already claimed by it and sent at once after
  // commit (no claim round trip). Without it they are written pending for afterCommit to deliver.
  sendAs?: OutboundClaim;
  // Fewer events at once while this process's event loop lags (event-loop-pace.ts), so that the
  // webhook beside the worker keeps answering; null: `concurrency` whatever the lag.
  pace: PaceOptions | null;
}

export const defaultWorkerOptions = (): InboxWorkerOptions => ({
  workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  batchSize: 20,
  concurrency: 8,
  maxSending: 64,
  leaseMs: 60_000,
  maxAttempts: 5,
  pollIntervalMs: 1_000,
  backoff: (attempt) => retryDelayMs(attempt, { baseMs: 1_000, maxMs: 60_000 }),
  pace: defaultPaceOptions(),
});

// Handles inbox events after the webhook was acked. A loop claims due events, up to `concurrency`
// at a time, and starts each as it comes (no waiting for a whole batch): each event is handled in
// its own transaction, marked done in that same transaction, and its answer is then sent
// (afterCommit). Woken at once by the webhook in this process or another one (inbox-channel.ts),
// and when a slot frees while more may be waiting; polls for events waiting for a retry, and for
// any that a lost notification did not announce.
// One resident's events run one after the other here, answer sent included: the claim query
// holds back a user's event while an earlier one is unfinished in the database, and a later event
// claimed while the earlier one's answer is still being sent waits for it.
export class InboxWorker {
  #running = false;
  #loop: Promise<void> | null = null;
  #wakeUp: (() => void) | null = null;
  #woken = false;
  // Events in their transaction (each holds a connection), and committed ones whose answer is
  // still being sent.
  #inFlight = 0;
  #sending = 0;
  readonly #events = new Set<Promise<void>>();
  // The last unfinished event (answer sent) of each user handled here.
  readonly #userTails = new Map<string, Promise<void>>();
  // Users with an event stored while an earlier one of theirs is here: claim again when that one
  // commits (the claim query held the later one back).
  readonly #nextEvents = new NextEventWatch();
  // The last claim filled every free slot: there may be more due.
  #moreDue = false;
  readonly #pace: EventLoopPace | null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly handle: EventHandler,
    private readonly afterCommit: AfterCommit,
    private readonly log: Logger,
    readonly options: InboxWorkerOptions = defaultWorkerOptions(),
  ) {
    this.#pace = options.pace ? new EventLoopPace(options.concurrency, options.pace) : null;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#pace?.start();
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    this.#loop = null;
    await Promise.all(this.#events);
    this.#pace?.stop();
  }

  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  // How many events the webhook in this process may store already claimed for this worker
  // (inbox-writer.ts): what its free slots allow; none while the event loop lags.
  freeSlots(): number {
    if (!this.#running || this.#pace?.congested) return 0;
    return this.#room();
  }

  #room(): number {
    const slots = this.#pace?.slots ?? this.options.concurrency;
    return Math.max(0, Math.min(slots - this.#inFlight, this.options.maxSending - this.#sending - this.#inFlight));
  }

  // An event of this user is being handled here: a new one of theirs must wait its turn.
  handling(userId: string): boolean {
    return this.#userTails.has(userId);
  }

  // Events the webhook stored already claimed for this worker: handle them as if claimed here.
  adopt(rows: ClaimedEvent[]): void {
    for (const row of rows) void this.#start(row);
  }

  // The webhook in this process or another one (inbox-channel.ts) stored events of these users
  // pending: those of users handled here are claimed when their turn comes; `needsRoom`: some were
  // left for lack of a free slot, claimed when one frees. The others wait behind an event another
  // process holds, which claims them after it (it was told): no claim here for each webhook request.
  noticeStored(userIds: (string | null)[], needsRoom: boolean): void {
    let claim = needsRoom;
    for (const userId of userIds) if (userId !== null && this.#nextEvents.told(userId, this.#userTails.has(userId))) claim = true;
    if (!claim) return;
    this.#moreDue = true;
    if (this.#room() > 0) this.wake();
  }

  // Claims one batch and handles it to the end (answers sent); returns how many it claimed.
  async runOnce(): Promise<number> {
    const rows = await claimNextEvents(this.db, this.options.workerId, this.options.batchSize, this.options.leaseMs);
    await Promise.all(rows.map((row) => this.#start(row)));
    return rows.length;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      // While the loop lags, a pause before each claim lets the webhook's requests go first.
      if (this.#pace?.congested) await new Promise((resolve) => setTimeout(resolve, 20));
      if (!this.#running) break;
      const limit = Math.min(this.options.batchSize, this.#room());
      if (limit > 0) {
        let claimed = 0;
        try {
          const rows = await claimNextEvents(this.db, this.options.workerId, limit, this.options.leaseMs);
          for (const row of rows) {
            // Their next event is claimed when this one commits.
            if (row.later_pending && row.user_id !== null) this.#nextEvents.expect(row.user_id);
            void this.#start(row);
          }
          claimed = rows.length;
        } catch (error) {
          this.log.warn({ reason: storeErrorSummary(error) }, "inbox worker could not claim events; retrying");
        }
        this.#moreDue = claimed === limit;
        if (this.#moreDue && this.#room() > 0) continue;
      } else {
        // Every slot is busy: whatever is due is claimed when one frees.
        this.#moreDue = true;
      }
      if (!this.#woken && this.#running) await this.#sleep(this.options.pollIntervalMs);
    }
  }

  // Handles one claimed event, after the user's previous one here, and sends its answer. Its slot
  // is freed at commit: the answer is sent without holding one.
  #start(row: ClaimedEvent): Promise<void> {
    this.#inFlight += 1;
    let phase: "transaction" | "sending" | "ended" = "transaction";
    const userId = row.user_id;
    const committed = () => {
      if (phase !== "transaction") return;
      phase = "sending";
      this.#inFlight -= 1;
      this.#sending += 1;
      let wake = this.#moreDue;
      // The resident's next event can be claimed now: it is handled after this answer is sent.
      if (userId !== null && this.#userTails.get(userId) === finished && this.#nextEvents.committed(userId)) wake = true;
      if (wake) this.wake();
    };
    const previous = userId === null ? undefined : this.#userTails.get(userId);
    const run = (previous ?? Promise.resolve())
      .then(() => this.#process(row, committed))
      .catch((error: unknown) => this.log.error({ err: error, eventId: row.webhook_event_id }, "inbox worker failed on an event; its lease will expire and it will be retried"));
    const finished = run.finally(() => {
      if (phase === "transaction") this.#inFlight -= 1;
      else this.#sending -= 1;
      phase = "ended";
      this.#events.delete(finished);
      let wake = this.#moreDue;
      if (userId !== null && this.#userTails.get(userId) === finished) {
        this.#userTails.delete(userId);
        if (this.#nextEvents.ended(userId)) wake = true;
      }
      if (wake) this.wake();
    });
    if (userId !== null) {
      this.#userTails.set(userId, finished);
      this.#nextEvents.started(userId);
    }
    this.#events.add(finished);
    return finished;
  }

  // Holds the event's place for its resident (their later events keep waiting) until it is back
  // in the inbox, pending.
  async #handBack(row: ClaimedEvent): Promise<void> {
    await handBackUntilStored(this.db, row, () => this.#running, this.log);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeUp = () => {
        this.#wakeUp = null;
        done();
      };
    });
  }

  async #process(row: ClaimedEvent, committed: () => void): Promise<void> {
    const log = this.log.child({ eventId: row.webhook_event_id, eventType: row.event_type, attempt: row.attempts });
    if (row.attempts > this.options.maxAttempts) {
      await markEventFailedAttempt(this.db, row, row.last_error ?? "lease expired too many times (worker crashed while handling?)", null);
      log.error("event marked failed: too many attempts");
      return;
    }
    let finished: { claimed: SendableOutbound[]; pendingIds: string[] };
    try {
      // BEGIN only if the handler runs a statement of its own (most do not): see deferred-begin.ts.
      finished = await deferredTransaction(this.db, async (trx) => {
        const handled = await this.handle({
          trx,
          event: row.payload as unknown as WebhookEvent,
          receivedAt: new Date(row.received_at),
          resident: row.user_id === null ? null : residentStateOf(row),
          log,
        });
        // Alone, without BEGIN, when the handler ran no statement in the transaction.
        // Fails (inboxLeaseLostCode) when another worker took the event after this one's lease ran out.
        return finishEvent(trx, row, handled, this.options.sendAs ?? null);
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
        await this.#handBack(row);
        return;
      }
      const finalAttempt = row.attempts >= this.options.maxAttempts;
      const retryInMs = finalAttempt ? null : this.options.backoff(row.attempts);
      await markEventFailedAttempt(this.db, row, describeError(error), retryInMs).catch((markError) =>
        log.error({ err: markError }, "could not record the failed attempt; the lease will expire and it will be retried"),
      );
      log.error({ err: error, retryInMs }, finalAttempt ? "event handling failed for the last time" : "event handling failed; will retry");
      return;
    }
    committed();
    log.info("event handled");
    await this.afterCommit(finished.claimed, finished.pendingIds).catch((error) =>
      log.error({ err: error }, "sending after commit failed; the outbox sweep will retry"),
    );
  }
}

// Hands an event whose handling the database interrupted back to the inbox, uncounted, retrying
// until the database takes it (bounded by the event's lease: after that any worker may take it).
async function handBackUntilStored(db: Kysely<Database>, row: ClaimedEvent, stillRunning: () => boolean, log: Logger): Promise<void> {
  const until = new Date(row.lease_expires_at ?? Date.now()).getTime();
  for (let wait = 200; stillRunning() && Date.now() < until; wait = Math.min(wait * 2, 5_000)) {
    try {
      await releaseEvent(db, row);
      return;
    } catch (error) {
      if (!isConnectionError(error)) {
        log.error({ err: error }, "could not hand an event back; its lease will expire and it will be retried");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
