import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { retryDelayMs } from "../backoff.js";
import type { LineMessage, LineSender, SendOutcome } from "../line/line-client.js";
import { claimOutbound, recordOutboundResult, releaseOutbound, type OutboundResult, type SendableOutbound } from "./outbox.js";
import { SentRecorder } from "./sent-recorder.js";
import { SendLanes } from "./send-lanes.js";
import { RecentUsers } from "../recent-users.js";

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
// A resident's answers leave one after the other. In this process they go through the resident's
// lane (send-lanes.ts), each once LINE answered the previous one. Between processes the outbox
// orders them: a row is claimed only when the resident's earlier rows are done (outbox.ts); when
// one is done here, the next is claimed and sent at once; a process that wrote an answer behind one
// another process is sending tells it (`onWaitingElsewhere`, the "outbox" notification channel).
// Nothing is ever sent to a user who blocked the account.
export class OutboundDispatcher {
  readonly #sent: SentRecorder;
  readonly #lanes = new SendLanes();
  // Residents with an answer written by another process behind one being sent here.
  readonly #toldWaiting = new Set<string>();
  // Residents whose answer was sent here lately: a notice about them may come just after.
  readonly #sentLately = new RecentUsers();
  // Told of residents whose answer waits behind one another process is sending.
  onWaitingElsewhere: ((userIds: string[]) => void) | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sender: LineSender,
    private readonly log: Logger,
    readonly options: DispatcherOptions,
  ) {
    this.#sent = new SentRecorder(db);
  }

  // Claims and sends rows just written pending (of `userIds`, when the caller knows them). Those
  // it cannot claim wait behind an earlier answer of their resident: whoever sends that one is told.
  async deliver(ids: string[], userIds: string[] = []): Promise<void> {
    if (ids.length === 0) return;
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { ids });
    const sending = this.#sendAll(rows, "claimed");
    if (rows.length < ids.length) await this.#tellWaiting(ids, userIds, rows).catch((error) => this.log.warn({ err: error }, "could not tell other processes of waiting answers; the outbox sweep sends them"));
    await sending;
  }

  // Sends rows written already claimed by this dispatcher (outbox.ts, OutboundClaim), by whoever
  // checked in the same transaction that the recipient has not blocked the account.
  async sendClaimed(rows: SendableOutbound[]): Promise<void> {
    await this.#sendAll(rows, "written", true);
  }

  // Sends due rows left by a crash or waiting for a retry; returns how many it handled.
  async deliverDue(limit = 50): Promise<number> {
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { limit });
    await this.#sendAll(rows, "claimed");
    return rows.length;
  }

  // Another process wrote answers of these residents behind one of theirs it saw unsent: send
  // them once that one (sent here, or being sent here) is done.
  noticeWaiting(userIds: string[]): void {
    for (const userId of userIds) {
      if (this.#lanes.busy(userId)) this.#toldWaiting.add(userId);
      else if (this.#sentLately.has(userId)) this.#sendNextOf(userId).catch((error) => this.log.warn({ err: error }, "could not send a waiting answer; the outbox sweep sends it"));
    }
  }

  // Stops retrying "sent" marks the database does not take (shutdown).
  stop(): void {
    this.#sent.stop();
  }

  async #tellWaiting(ids: string[], userIds: string[], claimed: SendableOutbound[]): Promise<void> {
    if (!this.onWaitingElsewhere) return;
    const claimedIds = new Set(claimed.map((row) => row.id));
    let waiting = userIds;
    if (waiting.length === 0) {
      const left = ids.filter((id) => !claimedIds.has(id));
      waiting = (await this.db.selectFrom("outbound_messages").select("user_id").distinct().where("id", "in", left).where("status", "=", "pending").execute()).map((row) => row.user_id);
    }
    const claimedUsers = new Set(claimed.map((row) => row.user_id));
    const others = [...new Set(waiting)].filter((userId) => !claimedUsers.has(userId));
    if (others.length > 0) this.onWaitingElsewhere(others);
  }

  // Each row in its resident's lane, in the order written. "claimed": taken by claimOutbound, so
  // nothing earlier of the resident is unsent. "written": written claimed behind answers of the
  // resident this process was sending (outbox.ts): it waits if one of those went back to wait.
  #sendAll(rows: SendableOutbound[], how: "claimed" | "written", recipientChecked = false): Promise<unknown> {
    const ordered = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
    return Promise.all(ordered.map((row) => this.#lanes.run(row.user_id, (reached) => this.#inLane(row, how, recipientChecked, reached))));
  }

  async #inLane(row: SendableOutbound, how: "claimed" | "written", recipientChecked: boolean, reached: () => void): Promise<void> {
    if (how === "written" && this.#lanes.mayBeBehind(row.user_id)) {
      // An earlier answer went back to wait: this one waits behind it, unsent, and is claimed (in
      // order) when that one is done; or now, if it was done meanwhile elsewhere.
      await releaseOutbound(this.db, [row]);
      reached();
      const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { ids: [row.id] });
      await this.#sendAll(rows, "claimed");
      return;
    }
    const outcome = await this.#send(row, recipientChecked, reached);
    if (outcome === "retry") return;
    this.#sentLately.add(row.user_id);
    if (outcome === "later waiting" || this.#toldWaiting.delete(row.user_id)) await this.#sendNextOf(row.user_id);
  }

  // The resident's earlier answer is done: send their next one, which waited for it.
  async #sendNextOf(userId: string): Promise<void> {
    const rows = await claimOutbound(this.db, this.options.workerId, this.options.leaseMs, { userIds: [userId] });
    await this.#sendAll(rows, "claimed");
  }

  // "retry": not done yet; otherwise done, and whether the resident has a later answer waiting.
  // `reached` is called as soon as LINE answered (the mark is written after).
  async #send(row: SendableOutbound, recipientChecked: boolean, reached: () => void): Promise<"retry" | "later waiting" | "done"> {
    let result: OutboundResult;
    try {
      result = await this.#attempt(row, recipientChecked);
    } catch (error) {
      result = { status: "retry", method: "push", httpStatus: null, error: String(error), retryInMs: this.options.backoff(row.attempts) };
    }
    if (result.status === "retry" && this.#tooOld(row)) {
      result = { status: "expired", method: result.method, httpStatus: result.httpStatus, error: `not delivered within ${Math.round(this.options.maxAgeMs / 3_600_000)} h: ${result.error}` };
    }
    if (result.status === "retry") this.#lanes.wentBack(row.user_id);
    else this.#lanes.caughtUp(row.user_id);
    reached();
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
