import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { retryDelayMs } from "../inbox/backoff.js";
import type { LineMessage, LineSender, SendOutcome } from "./line-client.js";
import { claimOutbound, recordOutboundResult, type OutboundResult, type SendableOutbound } from "./outbox.js";
import { SentRecorder } from "./sent-recorder.js";

export interface DispatcherOptions {
  workerId: string;
  leaseMs: number;
  // After this many attempts a message that still cannot be delivered is marked failed.
  maxAttempts: number;
  backoff: (attempt: number) => number;
}

export const defaultDispatcherOptions = (workerId: string): DispatcherOptions => ({
  workerId,
  leaseMs: 30_000,
  maxAttempts: 8,
  backoff: (attempt) => retryDelayMs(attempt, { baseMs: 1_000, maxMs: 5 * 60_000 }),
});

// Sends what the outbox holds. A message is answered with the reply token while the token is
// fresh and with push otherwise, or when LINE refused the reply (the token expired or was used);
// a push always carries the row's retry key so a retried push is delivered once.
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
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { ids });
    await Promise.all(rows.map((row) => this.#send(row)));
  }

  // Sends rows written already claimed by this dispatcher (outbox.ts, OutboundClaim), by whoever
  // checked in the same transaction that the recipient has not blocked the account.
  async sendClaimed(rows: SendableOutbound[]): Promise<void> {
    await Promise.all(rows.map((row) => this.#send(row, true)));
  }

  // Sends due rows left by a crash or waiting for a retry; returns how many it handled.
  async deliverDue(limit = 50): Promise<number> {
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { limit });
    await Promise.all(rows.map((row) => this.#send(row)));
    return rows.length;
  }

  async #send(row: SendableOutbound, recipientChecked = false): Promise<void> {
    let result: OutboundResult;
    try {
      result = await this.#attempt(row, recipientChecked);
    } catch (error) {
      result = { status: "retry", method: "push", httpStatus: null, error: String(error), retryInMs: this.options.backoff(row.attempts) };
    }
    if (result.status === "retry" && row.attempts >= this.options.maxAttempts) {
      result = { status: "failed", method: result.method, httpStatus: result.httpStatus, error: `gave up after ${row.attempts} attempts: ${result.error}` };
    }
    if (result.status === "sent") await this.#sent.record(row, result.method, result.httpStatus);
    else await recordOutboundResult(this.db, row, result);
    const ids = { eventId: row.inbox_event_id ?? undefined, outboundId: row.id };
    if (result.status === "sent") this.log.info({ ...ids, method: result.method, httpStatus: result.httpStatus }, "message delivered");
    else if (result.status === "skipped") this.log.info({ ...ids, reason: result.reason }, "message not sent");
    else this.log.warn({ ...ids, status: result.status, httpStatus: result.httpStatus, error: result.error, attempt: row.attempts }, "message delivery did not succeed");
  }

  async #attempt(row: SendableOutbound, recipientChecked: boolean): Promise<OutboundResult> {
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
      // 400 on a reply means the token is expired or already used: answer by push right away.
      if (outcome.kind === "rejected" && outcome.status === 400) return this.#push(row, messages);
      return this.#resultOf("reply", outcome, row.attempts);
    }
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
