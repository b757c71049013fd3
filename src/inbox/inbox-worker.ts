import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { claimNextEvents, releaseClaimsNotHeld, type ClaimedEvent } from "./inbox-queries.js";
import { processClaimedEvent, type EventWorker } from "./process-event.js";
import { isConnectionError, storeErrorSummary } from "../store/store-errors.js";
import { EventLoopPace } from "./event-loop-pace.js";
import { NextEventWatch } from "./next-event-watch.js";
import type { AfterCommit, EventHandler } from "./event-handler.js";
import { defaultWorkerOptions, type InboxWorkerOptions } from "./worker-options.js";

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
  // The ids of the events started here and not ended.
  readonly #held = new Set<string>();
  #giveBackLostClaims = false;
  // The last event of each user here that has not committed yet (their next one waits for it).
  readonly #userTails = new Map<string, Promise<void>>();
  // Users with an event stored while an earlier one of theirs is here: claim again when that one
  // commits (the claim query held the later one back).
  readonly #nextEvents = new NextEventWatch();
  // The last claim filled every free slot: there may be more due.
  #moreDue = false;
  readonly #pace: EventLoopPace | null;
  readonly #eventWorker: EventWorker;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly handle: EventHandler,
    private readonly afterCommit: AfterCommit,
    private readonly log: Logger,
    readonly options: InboxWorkerOptions = defaultWorkerOptions(),
  ) {
    this.#pace = options.pace ? new EventLoopPace(options.concurrency, options.pace) : null;
    this.#eventWorker = { db, handle, afterCommit, log, options, running: () => this.#running };
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
          // The claim may have committed before the connection broke, its rows never reaching here.
          if (isConnectionError(error)) this.#giveBackLostClaims = true;
        }
        if (this.#giveBackLostClaims) await this.#giveBackClaimsNotHeld();
        this.#moreDue = claimed === limit;
        if (this.#moreDue && this.#room() > 0) continue;
      } else {
        // Every slot is busy: whatever is due is claimed when one frees.
        this.#moreDue = true;
      }
      if (!this.#woken && this.#running) await this.#sleep(this.options.pollIntervalMs);
    }
  }

  // Handles one claimed event, after the user's previous one here committed, and sends its
  // answer (the dispatcher sends a resident's answers in order). Its slot is freed at commit: the
  // answer is sent without holding one.
  #start(row: ClaimedEvent): Promise<void> {
    this.#inFlight += 1;
    this.#held.add(row.webhook_event_id);
    let phase: "transaction" | "sending" | "ended" = "transaction";
    const userId = row.user_id;
    let turnOver!: () => void;
    // The user's next event here may start: this one committed, or ended without committing.
    const turn = new Promise<void>((resolve) => (turnOver = resolve));
    const endTurn = () => {
      turnOver();
      let wake = this.#moreDue;
      if (userId !== null && this.#userTails.get(userId) === turn) {
        this.#userTails.delete(userId);
        // The resident's next event can be claimed now.
        if (this.#nextEvents.ended(userId)) wake = true;
      }
      if (wake) this.wake();
    };
    const committed = () => {
      if (phase !== "transaction") return;
      phase = "sending";
      this.#inFlight -= 1;
      this.#sending += 1;
      endTurn();
    };
    const previous = userId === null ? undefined : this.#userTails.get(userId);
    const run = (previous ?? Promise.resolve())
      .then(() => processClaimedEvent(this.#eventWorker, row, committed))
      .catch((error: unknown) => this.log.error({ err: error, eventId: row.webhook_event_id }, "inbox worker failed on an event; its lease will expire and it will be retried"));
    const finished = run.finally(() => {
      if (phase === "transaction") {
        this.#inFlight -= 1;
        phase = "ended";
        endTurn();
      } else {
        this.#sending -= 1;
        phase = "ended";
        if (this.#moreDue) this.wake();
      }
      this.#events.delete(finished);
      this.#held.delete(row.webhook_event_id);
    });
    if (userId !== null) this.#userTails.set(userId, turn);
    this.#events.add(finished);
    return finished;
  }

  // Events claimed by this worker that it does not hold (their claim's answer was lost with the
  // connection) go back to the inbox, their attempt counted, rather than wait for their lease.
  async #giveBackClaimsNotHeld(): Promise<void> {
    try {
      const released = await releaseClaimsNotHeld(this.db, this.options.workerId, [...this.#held]);
      this.#giveBackLostClaims = false;
      if (released > 0) this.log.warn({ released }, "events claimed in a statement whose answer was lost are back in the inbox");
    } catch (error) {
      this.log.warn({ reason: storeErrorSummary(error) }, "could not yet give back events whose claim was lost; trying again");
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
}
