import { randomUUID } from "node:crypto";
import { type Kysely, type Updateable } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import type { NoticeBatchesTable, NoticeBatchRow, NoticeRow } from "../store/tables/notices.js";
import { retryDelayMs } from "../backoff.js";
import type { LineMessage, SendOutcome } from "../line/line-client.js";
import { audienceOf, claimDueNotice, finishNotice, LeaseLost, lockOwnedNotice, nextSeq, openBatches, renewLease } from "./notice-claims.js";
import type { NoticeSender } from "./notice-sender.js";
import { quotaRefusal } from "./quota.js";
import { LINE_RATE_LIMITS, waitForSlot, type RateLimit } from "./rate-limiter.js";
import { countRecipients, planMulticastBatches } from "./segments.js";

// LINE's multicast takes at most 500 user IDs per request (MulticastRequest.to, maxItems: 500;
// https://developers.line.biz/en/reference/messaging-api/#send-multicast-message).
export const MULTICAST_MAX_RECIPIENTS = 500;

export interface NoticeDeliveryOptions {
  workerId: string;
  leaseMs: number;
  batchSize: number;
  // Batches in flight at once; the shared rate limiter, not this, sets the pace. Enough that the
  // limit is reached even when LINE takes 80 ms to answer (200 requests/s × 0.08 s = 16).
  concurrency: number;
  // Batches written down ahead of sending, at most (one statement writes this many).
  planAhead: number;
  maxAttempts: number;
  backoff: (attempt: number) => number;
  limits: { multicast: RateLimit; broadcast: RateLimit };
}

export const defaultNoticeDeliveryOptions = (workerId: string): NoticeDeliveryOptions => ({
  workerId,
  leaseMs: 30_000,
  batchSize: MULTICAST_MAX_RECIPIENTS,
  concurrency: 16,
  planAhead: 32,
  maxAttempts: 8,
  backoff: (attempt) => retryDelayMs(attempt, { baseMs: 1_000, maxMs: 60_000 }),
  limits: LINE_RATE_LIMITS,
});

// Delivers approved notices. Each batch's retry key and recipients are written (with the planning
// cursor) before the batch is sent; after a crash the next process first re-sends the batches not
// marked sent, with their stored keys (LINE accepts a key once), then plans on from the cursor.
// "All friends" is one broadcast batch; a segment is multicast batches of at most 500.
export class NoticeDelivery {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sender: NoticeSender,
    private readonly log: Logger,
    readonly options: NoticeDeliveryOptions,
  ) {}

  // Delivers every notice that is due, one after another; `signal` stops at once, writing nothing
  // more (the lease then runs out and another process resumes). Returns how many it worked on.
  async deliverDue(now: Date, signal?: AbortSignal): Promise<number> {
    let handled = 0;
    while (!signal?.aborted) {
      const notice = await claimDueNotice(this.db, this.options.workerId, this.options.leaseMs, now);
      if (!notice) break;
      handled += 1;
      await this.#deliver(notice, signal);
    }
    return handled;
  }

  async #deliver(notice: NoticeRow, signal?: AbortSignal): Promise<void> {
    const log = this.log.child({ noticeId: notice.id });
    const lost = new AbortController();
    const stop = signal ? AbortSignal.any([signal, lost.signal]) : lost.signal;
    const heartbeat = setInterval(() => {
      if (stop.aborted) return;
      renewLease(this.db, notice.id, this.options.workerId, this.options.leaseMs)
        .then((held) => held || lost.abort())
        .catch((error) => log.warn({ err: error }, "notice lease renewal failed; will try again"));
    }, Math.max(10, this.options.leaseMs / 3));
    try {
      const refusal = await this.#refusalBeforeStart(notice);
      if (refusal) {
        log.warn({ refusal }, "notice refused before sending");
        return await finishNotice(this.db, notice.id, this.options.workerId, refusal);
      }
      const messages = notice.messages as LineMessage[];
      let planning = !notice.planning_done;
      for (;;) {
        if (stop.aborted) return;
        // First the stored batches not yet sent (a resumed delivery's), then those written down
        // while these go out, until every recipient has a batch and every batch went.
        const stored = await openBatches(this.db, notice.id, this.options.planAhead);
        if (stored.length === 0 && !planning) break;
        planning = await this.#pipeline(notice, stored, planning, (batch) => this.#sendBatch(batch, messages, stop), stop);
      }
      if (stop.aborted) return;
      await finishNotice(this.db, notice.id, this.options.workerId, null);
      log.info("notice delivered");
    } catch (error) {
      if (error instanceof LeaseLost || stop.aborted) {
        log.warn({ err: error }, "notice delivery handed over");
        return;
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  // The quota check happens once, before the first batch: a resumed delivery was counted already.
  async #refusalBeforeStart(notice: NoticeRow): Promise<string | null> {
    const started = await this.db.selectFrom("notice_batches").select("id").where("notice_id", "=", notice.id).limit(1).executeTakeFirst();
    if (started || notice.planning_done) return null;
    // Counted while LINE is asked for the quota: both before the first batch, neither waits for the other.
    const [recipients, quota] = await Promise.all([countRecipients(this.db, audienceOf(notice)), this.sender.quota()]);
    if (recipients === 0) return "配信先に当てはまる方が0人でした（その間にブロックされたか、受信設定が変わったためです）。何も送っていません。";
    return quotaRefusal(quota, recipients);
  }

  // Sends `queue` and the batches planned meanwhile, `concurrency` at a time with no pause between
  // them: the next batches are written down (planNext) whenever fewer than `planAhead` wait, and
  // are handed to the senders as written, without reading them back. The first plan is one batch
  // per sender, so that sending starts as soon as possible. Returns whether planning is still to go on (false: done).
  async #pipeline(notice: NoticeRow, queue: NoticeBatchRow[], planning: boolean, send: (batch: NoticeBatchRow) => Promise<void>, stop: AbortSignal): Promise<boolean> {
    let planner: Promise<void> | null = null;
    let size = this.options.concurrency;
    const refill = () => {
      if (!planning || planner || queue.length >= this.options.planAhead || stop.aborted) return;
      const current: Promise<void> = this.#planNext(notice, size)
        .then((written) => {
          queue.push(...written);
          planning = written.length > 0;
        })
        .finally(() => {
          if (planner === current) planner = null;
        });
      // A failure reaches the lanes that wait for it; this only keeps it from being unhandled.
      current.catch(() => {});
      planner = current;
      size = this.options.planAhead;
    };
    const lane = async () => {
      for (;;) {
        refill();
        const batch = queue.shift();
        if (batch) await send(batch);
        else if (planner) await planner;
        else return;
        if (stop.aborted) return;
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
    return planning;
  }

  // Writes the next batches (up to `count`) with fresh retry keys, and the cursor, in one
  // transaction; returns them (none: every recipient has a batch).
  async #planNext(notice: NoticeRow, count: number): Promise<NoticeBatchRow[]> {
    return this.db.transaction().execute(async (trx) => {
      const owned = await lockOwnedNotice(trx, notice.id, this.options.workerId);
      if (owned.planning_done) return [];
      const seq = await nextSeq(trx, notice.id);
      if (notice.audience === "all") {
        const friends = await countRecipients(trx, { kind: "all" });
        const batch = await trx
          .insertInto("notice_batches")
          .values({ notice_id: notice.id, seq, method: "broadcast", retry_key: randomUUID(), recipients: null, recipient_count: friends })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx.updateTable("notices").set({ planning_done: true }).where("id", "=", notice.id).execute();
        return [batch];
      }
      const planned = await planMulticastBatches(trx, {
        noticeId: notice.id,
        audience: audienceOf(notice),
        after: owned.planned_through,
        firstSeq: seq,
        batchSize: this.options.batchSize,
        batches: count,
      });
      await trx
        .updateTable("notices")
        .set({ planned_through: planned.last ?? owned.planned_through, planning_done: planned.exhausted })
        .where("id", "=", notice.id)
        .execute();
      return planned.written;
    });
  }

  // Sends one stored batch until LINE accepted or refused it: 429 and 5xx back off and try again
  // with the same retry key; a 409 means LINE had accepted that key already.
  async #sendBatch(batch: NoticeBatchRow, messages: LineMessage[], stop: AbortSignal): Promise<void> {
    let attempts = batch.attempts;
    for (;;) {
      if (stop.aborted) return;
      attempts += 1;
      const outcome = await this.#attempt(batch, messages);
      // What LINE accepted is written down even when stopping, so a resumed delivery need not ask again.
      if (outcome.kind === "sent") {
        return this.#record(batch.id, { status: "sent", attempts, last_status: outcome.status, last_error: null, sent_at: new Date() });
      }
      if (stop.aborted) return;
      if (outcome.kind === "rejected" || attempts >= this.options.maxAttempts) {
        const reason = outcome.kind === "rejected" ? outcome.error : `gave up after ${attempts} attempts: ${outcome.error}`;
        this.log.warn({ noticeId: batch.notice_id, seq: batch.seq, reason }, "notice batch failed");
        return this.#record(batch.id, { status: "failed", attempts, last_status: outcome.status, last_error: reason });
      }
      await this.#record(batch.id, { attempts, last_status: outcome.status, last_error: outcome.error });
      await sleep(this.options.backoff(attempts), stop);
    }
  }

  async #attempt(batch: NoticeBatchRow, messages: LineMessage[]): Promise<SendOutcome> {
    const limit = batch.method === "broadcast" ? this.options.limits.broadcast : this.options.limits.multicast;
    await waitForSlot(this.db, limit);
    return batch.method === "broadcast"
      ? this.sender.broadcast(messages, batch.retry_key)
      : this.sender.multicast(batch.recipients ?? [], messages, batch.retry_key);
  }

  async #record(batchId: string, values: Updateable<NoticeBatchesTable>): Promise<void> {
    await this.db.updateTable("notice_batches").set(values).where("id", "=", batchId).execute();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
