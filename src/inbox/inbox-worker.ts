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
import { claimNextEvents, markEventFailedAttempt, type ClaimedEvent } from "./inbox-queries.js";

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
});

// Handles inbox events after the webhook was acked. A loop claims due events, up to `concurrency`
// at a time, and starts each as it comes (no waiting for a whole batch): each event is handled in
// its own transaction, marked done in that same transaction, and its answer is then sent
// (afterCommit). Woken at once by the webhook in this process, and when a slot frees while more
// may be waiting; polls for events stored by other processes or waiting for a retry.
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
  // Users with an event stored while an earlier one of theirs was in flight here: when that one
  // finishes, claim again (the claim query held the later one back).
  readonly #usersWaiting = new Set<string>();
  // The last claim filled every free slot: there may be more due.
  #moreDue = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly handle: EventHandler,
    private readonly afterCommit: AfterCommit,
    private readonly log: Logger,
    readonly options: InboxWorkerOptions = defaultWorkerOptions(),
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    this.#loop = null;
    await Promise.all(this.#events);
  }

  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  // How many events the webhook in this process may store already claimed for this worker
  // (inbox-writer.ts): what its free slots allow.
  freeSlots(): number {
    if (!this.#running) return 0;
    return Math.max(0, Math.min(this.options.concurrency - this.#inFlight, this.options.maxSending - this.#sending - this.#inFlight));
  }

  // An event of this user is being handled here: a new one of theirs must wait its turn.
  handling(userId: string): boolean {
    return this.#userTails.has(userId);
  }

  // Events the webhook stored already claimed for this worker: handle them as if claimed here.
  adopt(rows: ClaimedEvent[]): void {
    for (const row of rows) void this.#start(row);
  }

  // The webhook in this process stored events of these users: claim them now.
  noticeStored(userIds: (string | null)[]): void {
    for (const userId of userIds) if (userId !== null && this.#userTails.has(userId)) this.#usersWaiting.add(userId);
    this.wake();
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
      const limit = Math.min(this.options.batchSize, this.freeSlots());
      if (limit > 0) {
        let claimed = 0;
        try {
          const rows = await claimNextEvents(this.db, this.options.workerId, limit, this.options.leaseMs);
          for (const row of rows) void this.#start(row);
          claimed = rows.length;
        } catch (error) {
          this.log.error({ err: error }, "inbox worker could not claim events; retrying");
        }
        this.#moreDue = claimed === limit;
        if (this.#moreDue && this.#inFlight < this.options.concurrency) continue;
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
    const committed = () => {
      if (phase !== "transaction") return;
      phase = "sending";
      this.#inFlight -= 1;
      this.#sending += 1;
      if (this.#moreDue) this.wake();
    };
    const userId = row.user_id;
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
        if (this.#usersWaiting.delete(userId)) wake = true;
      }
      if (wake) this.wake();
    });
    if (userId !== null) this.#userTails.set(userId, finished);
    this.#events.add(finished);
    return finished;
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

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
