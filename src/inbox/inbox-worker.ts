import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "../logger.js";
import type { Database, InboxEventRow } from "../store/database.js";
import type { WebhookEvent } from "../line/webhook-body.js";
import { retryDelayMs } from "./backoff.js";
import { claimNextEvents, markEventDone, markEventFailedAttempt } from "./inbox-queries.js";

// What a handler gets: the event, a transaction to write in (and only that: on the embedded
// database another query outside it would wait for the transaction forever), and a logger that
// already carries the event id. It returns the outbox ids it wrote, for sending after commit.
export interface HandlerContext {
  trx: Transaction<Database>;
  event: WebhookEvent;
  receivedAt: Date;
  log: Logger;
}
export type EventHandler = (context: HandlerContext) => Promise<string[]>;

export interface InboxWorkerOptions {
  workerId: string;
  batchSize: number;
  leaseMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  backoff: (attempt: number) => number;
}

export const defaultWorkerOptions = (): InboxWorkerOptions => ({
  workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  batchSize: 20,
  leaseMs: 60_000,
  maxAttempts: 5,
  pollIntervalMs: 1_000,
  backoff: (attempt) => retryDelayMs(attempt, { baseMs: 1_000, maxMs: 60_000 }),
});

class LeaseLostError extends Error {}

// Handles inbox events after the webhook was acked. Runs as a loop: claim a batch, handle each event
// in its own transaction, mark it done in that same transaction, then hand the outbox ids to
// `afterCommit` (the dispatcher). Woken at once by the webhook in this process; polls for events
// stored by other processes or waiting for a retry.
export class InboxWorker {
  #running = false;
  #loop: Promise<void> | null = null;
  #wakeUp: (() => void) | null = null;
  #woken = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly handle: EventHandler,
    private readonly afterCommit: (outboundIds: string[]) => Promise<void>,
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
  }

  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  // Claims and handles one batch; returns how many events it claimed.
  async runOnce(): Promise<number> {
    const rows = await claimNextEvents(this.db, this.options.workerId, this.options.batchSize, this.options.leaseMs);
    await Promise.all(rows.map((row) => this.#process(row)));
    return rows.length;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        this.log.error({ err: error }, "inbox worker could not claim events; retrying");
      }
      if (claimed === 0 && !this.#woken && this.#running) await this.#sleep(this.options.pollIntervalMs);
    }
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

  async #process(row: InboxEventRow): Promise<void> {
    const log = this.log.child({ eventId: row.webhook_event_id, eventType: row.event_type, attempt: row.attempts });
    if (row.attempts > this.options.maxAttempts) {
      await markEventFailedAttempt(this.db, row, row.last_error ?? "lease expired too many times (worker crashed while handling?)", null);
      log.error("event marked failed: too many attempts");
      return;
    }
    let outboundIds: string[];
    try {
      outboundIds = await this.db.transaction().execute(async (trx) => {
        const ids = await this.handle({
          trx,
          event: row.payload as unknown as WebhookEvent,
          receivedAt: new Date(row.received_at),
          log,
        });
        if (!(await markEventDone(trx, row))) throw new LeaseLostError("lease lost: another worker took this event");
        return ids;
      });
    } catch (error) {
      if (error instanceof LeaseLostError) {
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
    log.info("event handled");
    await this.afterCommit(outboundIds).catch((error) =>
      log.error({ err: error }, "sending after commit failed; the outbox sweep will retry"),
    );
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
