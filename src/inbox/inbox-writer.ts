import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";
import type { NewInboxEvent } from "../store/tables/inbox.js";
import { residentStateColumns } from "../store/resident-turn.js";
import type { ClaimedEvent } from "./inbox-queries.js";
import type { WebhookEvent } from "../line/webhook-body.js";
import { userIdOf } from "../line/webhook-body.js";
import { preparedForRows } from "../store/prepared-statements.js";
import { isDataError } from "../store/data-errors.js";
import { isConnectionError } from "../store/store-errors.js";
import { releaseUnadopted } from "./inbox-queries.js";
import { insertFailedEvents, refusedEventRow, storeRowsApart } from "./poison.js";

// The worker of this process (InboxWorker), which can take events as they are stored instead of
// claiming them in a query of its own afterwards.
export interface InboxClaimer {
  readonly options: { workerId: string; leaseMs: number };
  freeSlots(): number;
  // An event of this user is being handled: their new one must wait its turn.
  handling(userId: string): boolean;
  adopt(rows: ClaimedEvent[]): void;
  // Events of these users were stored pending (null: an event without a user); `needsRoom`: some
  // of them only because the worker had no free slot.
  noticeStored(userIds: (string | null)[], needsRoom: boolean): void;
}

// Told of events stored pending that this process's worker did not take, for the workers of other
// processes (inbox-channel.ts); `needsRoom` as for InboxClaimer.noticeStored.
export type StoredPendingListener = (userIds: (string | null)[], needsRoom: boolean) => void;

interface PendingWrite {
  rows: NewInboxEvent[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

// Group commit for the webhook ack path. Each request waits until its events are durable, but
// the events of requests that arrive while an insert is running are committed together in the next
// multi-row INSERT: one round trip and one WAL flush for many requests. One insert at a time is
// the fastest setting measured (bench:webhook: 83% of the bare handler with 1, 72-76% with 2 or 4:
// more concurrent inserts only make the batches smaller). A request is acked only
// after the statement holding its events committed; if that statement fails on a value one event
// carried, the requests are stored apart (#storeApart), otherwise every request in it is answered
// with an error and LINE redelivers. ON CONFLICT DO NOTHING makes duplicates and redeliveries no-ops.
export class InboxWriter {
  readonly #pending: PendingWrite[] = [];
  #inFlight = 0;

  constructor(
    private readonly db: Kysely<Database>,
    // Takes events already claimed, in the same statement that stores them (one round trip less
    // per event), and is told of the others; null: every event is stored pending for any worker.
    private readonly claimer: InboxClaimer | null = null,
    private readonly options: { maxRowsPerInsert: number; maxConcurrentInserts: number } = {
      maxRowsPerInsert: 500,
      maxConcurrentInserts: 1,
    },
    private readonly storedPending: StoredPendingListener | null = null,
  ) {}

  // `refusals`: events (by webhookEventId) to store as failed with that reason, never handled.
  store(events: WebhookEvent[], receivedAt = new Date(), refusals: ReadonlyMap<string, string> = new Map()): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const rows = events.map((event) => {
      const refusal = refusals.get(event.webhookEventId);
      return refusal === undefined ? inboxRowOf(event, receivedAt) : refusedEventRow(event, receivedAt, refusal);
    });
    return new Promise((resolve, reject) => {
      this.#pending.push({ rows, resolve, reject });
      this.#startInserts();
    });
  }

  #startInserts(): void {
    while (this.#inFlight < this.options.maxConcurrentInserts && this.#pending.length > 0) {
      const group = this.#takeGroup();
      this.#inFlight += 1;
      void this.#insert(group).finally(() => {
        this.#inFlight -= 1;
        this.#startInserts();
      });
    }
  }

  #takeGroup(): PendingWrite[] {
    const group: PendingWrite[] = [];
    let rows = 0;
    while (this.#pending.length > 0) {
      const next = this.#pending[0]!;
      if (group.length > 0 && rows + next.rows.length > this.options.maxRowsPerInsert) break;
      group.push(this.#pending.shift()!);
      rows += next.rows.length;
    }
    return group;
  }

  async #insert(group: PendingWrite[]): Promise<void> {
    const unique = new Map<string, NewInboxEvent>();
    for (const write of group) for (const row of write.rows) unique.set(row.webhook_event_id, row);
    const rows = [...unique.values()];
    let claimed: ClaimedEvent[] = [];
    const room = { short: this.claimer === null };
    try {
      claimed = await this.#storeRows(rows, true, room);
    } catch (error) {
      if (isDataError(error)) await this.#storeApart(group);
      else for (const write of group) write.reject(error);
      return;
    }
    for (const write of group) write.resolve();
    if (claimed.length > 0) this.claimer!.adopt(claimed);
    const taken = new Set(claimed.map((row) => row.webhook_event_id));
    const left = rows.filter((row) => !taken.has(row.webhook_event_id));
    if (left.length > 0) this.#noticeStored(left.map((row) => row.user_id ?? null), room.short);
  }

  #noticeStored(userIds: (string | null)[], needsRoom: boolean): void {
    this.claimer?.noticeStored(userIds, needsRoom);
    this.storedPending?.(userIds, needsRoom);
  }

  // The group's statement failed on a value it carried (isDataError): a bad event must not fail
  // the events of other requests (issue 12). Each request is stored apart (poison.ts). Rare, so
  // nothing is stored claimed here: the worker is told, and claims them.
  async #storeApart(group: PendingWrite[]): Promise<void> {
    const stored: (string | null)[] = [];
    for (const write of group) {
      try {
        await storeRowsApart(write.rows, (rows) => this.#storeRows(rows, false));
        stored.push(...write.rows.map((row) => row.user_id ?? null));
        write.resolve();
      } catch (error) {
        write.reject(error);
      }
    }
    if (stored.length > 0) this.#noticeStored(stored, true);
  }

  // Failed rows (refused events) first, in a statement of their own: if the other statement then
  // fails, the request is answered with an error and redelivered, and the failed rows are no-ops.
  async #storeRows(rows: NewInboxEvent[], claim: boolean, room?: { short: boolean }): Promise<ClaimedEvent[]> {
    const failed = rows.filter((row) => row.status === "failed");
    if (failed.length === 0) return this.#store(rows, claim, room);
    await insertFailedEvents(this.db, failed);
    const handled = rows.filter((row) => row.status !== "failed");
    return handled.length > 0 ? this.#store(handled, claim, room) : [];
  }

  // Stores the rows (a duplicate or redelivery is a no-op) and returns those stored claimed;
  // `room.short` is set when some were not tried for lack of a free slot.
  async #store(rows: NewInboxEvent[], claim: boolean, room?: { short: boolean }): Promise<ClaimedEvent[]> {
    const claimable = claim && this.claimer ? chooseClaimable(rows, this.claimer, room) : new Set<string>();
    if (claimable.size === 0) {
      const insert = this.db
        .insertInto("inbox_events")
        .values(rows)
        .onConflict((conflict) => conflict.column("webhook_event_id").doNothing())
        .compile();
      await this.db.executeQuery(preparedForRows(insert, rows.length));
      return [];
    }
    const { workerId, leaseMs } = this.claimer!.options;
    // An event is stored claimed, as claimNextEvents would claim it, only if its user has no
    // unfinished event in the database (one resident's events are handled in order).
    const values = rows.map(
      (row, index) =>
        sql`(${row.webhook_event_id}::text, ${row.event_type}::text, ${row.user_id ?? null}::text, ${row.payload}::jsonb, ${row.event_time}::timestamptz, ${row.is_redelivery ?? false}::boolean, ${row.received_at ?? new Date()}::timestamptz, ${claimable.has(row.webhook_event_id)}::boolean, ${index}::int)`,
    );
    const insert = sql<ClaimedEvent>`
      insert into inbox_events (webhook_event_id, event_type, user_id, payload, event_time, is_redelivery, received_at, status, attempts, claimed_by, lease_expires_at)
      select v.id, v.type, v.user_id, v.payload, v.event_time, v.is_redelivery, v.received_at,
             case when c.claim then 'processing' else 'pending' end,
             case when c.claim then 1 else 0 end,
             case when c.claim then ${workerId}::text end,
             case when c.claim then now() + ${leaseMs} * interval '1 millisecond' end
        from (values ${sql.join(values)}) as v (id, type, user_id, payload, event_time, is_redelivery, received_at, claimable, position)
        cross join lateral (
          select v.claimable and not exists (
            select 1 from inbox_events open
             where open.user_id = v.user_id and open.status in ('pending', 'processing')) as claim) as c
       order by v.position
      on conflict (webhook_event_id) do nothing
      returning *, ${residentStateColumns(sql.ref("inbox_events.user_id"))}`.compile(this.db);
    let stored: ClaimedEvent[];
    try {
      ({ rows: stored } = await this.db.executeQuery(preparedForRows(insert, rows.length)));
    } catch (error) {
      // The statement may have committed before the connection broke: events stored claimed
      // for a worker that never got them would wait for their lease. Given back once it answers.
      if (isConnectionError(error)) this.#giveBackLater([...claimable]);
      throw error;
    }
    return stored.filter((row) => row.status === "processing" && row.claimed_by === workerId);
  }

  // Retries, with backoff, until the database answers: the events are then pending (and the
  // worker told), or were never stored (the request got 503 and LINE delivers them again).
  #giveBackLater(eventIds: string[]): void {
    const attempt = async (wait: number): Promise<void> => {
      try {
        const released = await releaseUnadopted(this.db, this.claimer!.options.workerId, eventIds);
        if (released > 0) this.claimer!.noticeStored([null], true);
      } catch (error) {
        if (!isConnectionError(error) || wait > 60_000) return;
        await new Promise((resolve) => setTimeout(resolve, wait));
        await attempt(wait * 2);
      }
    };
    void attempt(200);
  }
}

// At most the worker's free slots, and per user only their first event of the group, unless one
// of theirs is being handled already.
function chooseClaimable(rows: NewInboxEvent[], claimer: InboxClaimer, room?: { short: boolean }): Set<string> {
  const chosen = new Set<string>();
  const users = new Set<string>();
  let free = claimer.freeSlots();
  for (const row of rows) {
    if (free <= 0) {
      if (room) room.short = true;
      break;
    }
    const userId = row.user_id ?? null;
    if (userId !== null) {
      if (users.has(userId)) continue;
      users.add(userId);
      if (claimer.handling(userId)) continue;
    }
    chosen.add(row.webhook_event_id);
    free -= 1;
  }
  return chosen;
}

export function inboxRowOf(event: WebhookEvent, receivedAt: Date): NewInboxEvent {
  return {
    webhook_event_id: event.webhookEventId,
    event_type: event.type,
    user_id: userIdOf(event),
    payload: JSON.stringify(event),
    event_time: new Date(event.timestamp),
    is_redelivery: event.deliveryContext?.isRedelivery ?? false,
    received_at: receivedAt,
  };
}
