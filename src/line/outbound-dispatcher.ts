import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { retryDelayMs } from "../inbox/backoff.js";
import type { LineMessage, LineSender, SendOutcome } from "./line-client.js";
import { claimOutbound, recordOutboundResult, releaseOutbound, type OutboundResult, type SendableOutbound } from "./outbox.js";
import { SentRecorder } from "./sent-recorder.js";

export interface DispatcherOptions {
  workerId: string;
  leaseMs: number;
  // An answer LINE could not take for this long is no longer useful: it is marked expired, where
  // staff see it, instead of being sent late. Until then it is retried through any outage.
  maxAgeMs: number;
  backoff: (attempt: number) => number;
}

export const defaultDispatcherOptions = (workerId: string): DispatcherOptions => ({
  workerId,
  leaseMs: 30_000,
  maxAgeMs: 24 * 60 * 60_000,
  // Capped at 30 s so that answers go out soon after an outage ends, however long it lasted.
  backoff: (attempt) => retryDelayMs(attempt, { baseMs: 1_000, maxMs: 30_000 }),
});

// Sends what the outbox holds (README, "Delivery semantics"). A message is answered with the
// reply token while the token is fresh and with push otherwise, or when LINE refused the reply
// (the token expired); a push always carries the row's retry key, so a retried push is delivered
// once. A retried reply that LINE refuses as used, after an earlier attempt that may have reached
// LINE, was delivered by that attempt: it is recorded as sent, never pushed again.
// A resident's answers leave one after the other: a row is claimed only when the resident's
// earlier rows are done (outbox.ts), and when one is done the next is sent at once.
// Nothing is ever sent to a user who blocked the account.
export class OutboundDispatcher {
  readonly #sent: SentRecorder;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sender: LineSender,
    private readonly log: Logger,
    readonly options: DispatcherOptions,
  ) {
    this.#sent = new SentRecorder(db);
  }

  async deliver(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#sendInOrder(await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { ids }));
  }

  // Sends rows written already claimed by this dispatcher (outbox.ts, OutboundClaim), by whoever
  // checked in the same transaction that the recipient has not blocked the account.
  async sendClaimed(rows: SendableOutbound[]): Promise<void> {
    await this.#sendInOrder(rows, true);
  }

  // Sends due rows left by a crash or waiting for a retry; returns how many it handled.
  async deliverDue(limit = 50): Promise<number> {
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { limit });
    await this.#sendInOrder(rows);
    return rows.length;
  }

  // Stops retrying "sent" marks the database does not take (shutdown).
  stop(): void {
    this.#sent.stop();
  }

  // One resident's rows one after the other, in the order written; residents side by side.
  async #sendInOrder(rows: SendableOutbound[], recipientChecked = false): Promise<void> {
    const byUser = new Map<string, SendableOutbound[]>();
    for (const row of [...rows].sort((a, b) => Number(a.id) - Number(b.id))) {
      const list = byUser.get(row.user_id);
      if (list) list.push(row);
      else byUser.set(row.user_id, [row]);
    }
    await Promise.all(
      [...byUser.values()].map(async (list) => {
        for (const [index, row] of list.entries()) {
          const outcome = await this.#send(row, recipientChecked);
          if (outcome === "retry") {
            // Not delivered yet: the resident's later rows go back to wait for it, unsent.
            await releaseOutbound(this.db, list.slice(index + 1));
            return;
          }
          if (index === list.length - 1 && outcome === "later waiting") await this.#sendNextOf(row.user_id);
        }
      }),
    );
  }

  // The resident's earlier answer is done: send their next one, which waited for it.
  async #sendNextOf(userId: string): Promise<void> {
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { userIds: [userId] });
    await this.#sendInOrder(rows);
  }

  // "retry": not done yet; otherwise done, and whether the resident has a later answer waiting.
  async #send(row: SendableOutbound, recipientChecked = false): Promise<"retry" | "later waiting" | "done"> {
    let result: OutboundResult;
    try {
      result = await this.#attempt(row, recipientChecked);
    } catch (error) {
      result = { status: "retry", method: "push", httpStatus: null, error: String(error), retryInMs: this.options.backoff(row.attempts) };
    }
    if (result.status === "retry" && this.#tooOld(row)) {
      result = { status: "expired", method: result.method, httpStatus: result.httpStatus, error: `not delivered within ${Math.round(this.options.maxAgeMs / 3_600_000)} h: ${result.error}` };
    }
    const ids = { eventId: row.inbox_event_id ?? undefined, outboundId: row.id };
    if (result.status === "sent") this.log.info({ ...ids, method: result.method, httpStatus: result.httpStatus }, "message delivered");
    else if (result.status === "skipped") this.log.info({ ...ids, reason: result.reason }, "message not sent");
    else this.log.warn({ ...ids, status: result.status, httpStatus: result.httpStatus, error: result.error, attempt: row.attempts }, "message delivery did not succeed");
    const laterWaiting = result.status === "sent" ? await this.#sent.record(row, result.method, result.httpStatus) : await recordOutboundResult(this.db, row, result);
    if (result.status === "retry") return "retry";
    return laterWaiting ? "later waiting" : "done";
  }

  #tooOld(row: SendableOutbound): boolean {
    return Date.now() - new Date(row.created_at).getTime() > this.options.maxAgeMs;
  }

  async #attempt(row: SendableOutbound, recipientChecked: boolean): Promise<OutboundResult> {
    // Claimed again while its "sent" mark waits for the database: LINE has it already.
    if (this.#sent.delivered(row.id)) return { status: "sent", method: row.method ?? "reply", httpStatus: 200 };
    if (this.#tooOld(row)) return { status: "expired", method: row.method, httpStatus: null, error: `not delivered within ${Math.round(this.options.maxAgeMs / 3_600_000)} h` };
    if (!recipientChecked) {
      const recipient = await this.db
        .selectFrom("line_users")
        .select("follow_state")
        .where("user_id", "=", row.user_id)
        .executeTakeFirst();
      if (recipient?.follow_state === "blocked") return { status: "skipped", reason: "the user has blocked the account" };
    }

    const messages = row.messages as LineMessage[];
    if (chooseMethod(row, new Date()) === "reply") {
      const outcome = await this.sender.reply(row.reply_token!, messages);
      // 400 on a reply: the token is expired or used. Used by an earlier attempt of ours that may
      // have reached LINE: the answer was delivered. Otherwise answer by push right away.
      if (outcome.kind === "rejected" && outcome.status === 400) {
        if (row.reply_outcome_unknown) return { status: "sent", method: "reply", httpStatus: 400 };
        return this.#push(row, messages);
      }
      const result = this.#resultOf("reply", outcome, row.attempts);
      // No answer from LINE (the connection broke or timed out after the request left): the reply
      // may have reached it.
      if (result.status === "retry" && outcome.kind === "retry" && outcome.maybeDelivered) return { ...result, replyOutcomeUnknown: true };
      return result;
    }
    if (row.reply_outcome_unknown) this.log.warn({ outboundId: row.id }, "a reply that may have reached LINE could not be confirmed within the token's life; pushing the answer");
    return this.#push(row, messages);
  }

  async #push(row: SendableOutbound, messages: LineMessage[]): Promise<OutboundResult> {
    return this.#resultOf("push", await this.sender.push(row.user_id, messages, row.retry_key), row.attempts);
  }

  #resultOf(method: "reply" | "push", outcome: SendOutcome, attempt: number): OutboundResult {
    switch (outcome.kind) {
      case "sent":
        return { status: "sent", method, httpStatus: outcome.status };
      case "rejected":
        return { status: "failed", method, httpStatus: outcome.status, error: outcome.error };
      case "retry":
        return { status: "retry", method, httpStatus: outcome.status, error: outcome.error, retryInMs: this.options.backoff(attempt) };
    }
  }
}

export function chooseMethod(row: Pick<SendableOutbound, "method" | "reply_token" | "reply_deadline">, now: Date): "reply" | "push" {
  if (row.method === "push" || !row.reply_token || !row.reply_deadline) return "push";
  return now.getTime() < new Date(row.reply_deadline).getTime() ? "reply" : "push";
}
