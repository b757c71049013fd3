import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";
import type { InboxEventRow } from "../store/tables/inbox.js";
import { prepared } from "../store/prepared-statements.js";
import { residentStateColumns, type ResidentStateColumns } from "../store/resident-turn.js";

// A claimed event, with its user's state read in the same statement (resident-turn.ts), and
// (claimNextEvents) whether a later event of the user waits: its worker claims again when this one
// is done, instead of leaving it to a poll.
export type ClaimedEvent = InboxEventRow & ResidentStateColumns & { later_pending?: boolean };

// Claims up to `limit` events that are due: pending ones whose backoff has passed, and ones whose
// worker's lease expired (that worker crashed or hung). FOR UPDATE SKIP LOCKED lets several
// processes claim side by side without waiting on or taking each other's rows.
// An event is only claimed when no earlier event of the same user is still unfinished, so one
// resident's messages are handled in the order they were sent, whichever process takes them.
// Cheap whatever the backlog (migration 0016): the statement reads due events not held back, in
// due order, and sets aside (held_back) those it finds waiting behind an earlier event of their
// user; finishing that earlier event releases the next one (a trigger). Each waiting event is
// read once, not by every claim. Held back only with the earlier event locked (FOR SHARE): if that
// event is being finished right now the mark is skipped, so it can never outlive its reason.
export async function claimNextEvents(
  db: Kysely<Database>,
  workerId: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedEvent[]> {
  const claimed: ClaimedEvent[] = [];
  // Due events one statement may read (each is locked, and set aside if it waits) to claim
  // `limit`. Waiting events never read before are worked through, once, by further statements,
  // for at most a second per call (the next call goes on).
  const readLimit = Math.max(2 * limit, 16);
  const until = performance.now() + 1_000;
  while (claimed.length < limit && performance.now() < until) {
    const { rows } = await db.executeQuery(claimStatement(db, workerId, limit - claimed.length, readLimit, leaseMs));
    const read = rows[0]?.due_read ?? 0;
    for (const row of rows) if (row.webhook_event_id !== null) claimed.push(row as ClaimedEvent);
    // Fewer due events than it could read: nothing more is due now.
    if (read < readLimit) break;
  }
  return claimed;
}

function claimStatement(db: Kysely<Database>, workerId: string, limit: number, readLimit: number, leaseMs: number) {
  const earlierUnfinished = sql`
    select 1 from inbox_events earlier
     where earlier.user_id = c.user_id
       and earlier.status in ('pending', 'processing')
       and (earlier.event_time, earlier.arrival_seq) < (c.event_time, c.arrival_seq)`;
  // Each claimed event, with `due_read`: how many due events the statement read; when it claimed
  // nothing, one row of nulls with that count. `= any (array (…))`: the rows are taken by their key
  // also in a generic plan (prepared statements), which otherwise scans the table to join them.
  // Every other column is read from the rows locked above.
  return prepared(sql<Omit<ClaimedEvent, "webhook_event_id"> & { webhook_event_id: string | null; due_read: number }>`
    with due as (
      select webhook_event_id, user_id, event_time, arrival_seq, next_attempt_at
        from inbox_events
       where status = 'pending' and not held_back and next_attempt_at <= now()
       order by next_attempt_at
       limit ${readLimit}
       for update skip locked),
    lease_ended as (
      select webhook_event_id, user_id, event_time, arrival_seq, next_attempt_at
        from inbox_events
       where status = 'processing' and lease_expires_at < now()
       order by lease_expires_at
       limit ${limit}
       for update skip locked),
    checked as (
      select c.*, w.waits,
             case when w.waits and c.pending then exists (${earlierUnfinished} for share skip locked) else false end as hold
        from (select *, true as pending from due union all select *, false from lease_ended) c
        cross join lateral (select exists (${earlierUnfinished}) as waits) w),
    held as (
      update inbox_events set held_back = true
       where webhook_event_id = any (array (select webhook_event_id from checked where hold))),
    claimed as (
      update inbox_events
         set status = 'processing',
             attempts = attempts + 1,
             claimed_by = ${workerId},
             lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
       where webhook_event_id = any (array (select webhook_event_id from checked where not waits order by next_attempt_at limit ${limit}))
      returning *, ${residentStateColumns(sql.ref("inbox_events.user_id"))},
        exists (select 1 from inbox_events later
                 where later.user_id = inbox_events.user_id and later.status = 'pending'
                   and (later.event_time, later.arrival_seq) > (inbox_events.event_time, inbox_events.arrival_seq)) as later_pending)
    select claimed.*, due_count.due_read
      from (select count(*)::int as due_read from due) due_count
      left join claimed on true`.compile(db));
}

// Marks a claimed event done, but only while this worker still holds it (same claimer, same
// attempt): if the lease ran out and another worker took the event, the update matches nothing
// and the caller's transaction is rolled back, so the event's effects are committed once.
export async function markEventDone(db: Kysely<Database>, row: InboxEventRow): Promise<boolean> {
  const result = await eventDoneQuery(db, row).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

// The statement of markEventDone, to be run alone or as part of a larger one (finish-event.ts).
export function eventDoneQuery(db: Kysely<Database>, row: InboxEventRow) {
  return db
    .updateTable("inbox_events")
    .set({ status: "done", handled_at: sql`now()`, lease_expires_at: null, last_error: null })
    .where("webhook_event_id", "=", row.webhook_event_id)
    .where("claimed_by", "=", row.claimed_by)
    .where("attempts", "=", row.attempts);
}

export async function markEventFailedAttempt(
  db: Kysely<Database>,
  row: InboxEventRow,
  error: string,
  retryInMs: number | null,
): Promise<void> {
  await db
    .updateTable("inbox_events")
    .set({
      status: retryInMs === null ? "failed" : "pending",
      next_attempt_at: sql`now() + ${retryInMs ?? 0} * interval '1 millisecond'`,
      last_error: error.slice(0, 4000),
      claimed_by: null,
      lease_expires_at: null,
    })
    .where("webhook_event_id", "=", row.webhook_event_id)
    .where("claimed_by", "=", row.claimed_by)
    .where("attempts", "=", row.attempts)
    .where("status", "=", "processing")
    .execute();
}

// Gives a claimed event back, pending and due now, without counting the attempt: its handling was
// interrupted by the database, not by the event. False: this worker no longer held it (the
// interrupted statement was the finishing one and it committed after all, or the lease ran out).
export async function releaseEvent(db: Kysely<Database>, row: InboxEventRow): Promise<boolean> {
  const result = await db
    .updateTable("inbox_events")
    .set({ status: "pending", attempts: sql`attempts - 1`, next_attempt_at: sql`now()`, claimed_by: null, lease_expires_at: null })
    .where("webhook_event_id", "=", row.webhook_event_id)
    // Not when the interrupted statement was the finishing one and it committed after all.
    .where("status", "=", "processing")
    .where("claimed_by", "=", row.claimed_by)
    .where("attempts", "=", row.attempts)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// Gives back events the webhook may have stored claimed for this worker in a statement whose
// answer the broken connection lost (the worker never got them): pending again, uncounted.
// Returns how many it gave back.
export async function releaseUnadopted(db: Kysely<Database>, workerId: string, eventIds: string[]): Promise<number> {
  if (eventIds.length === 0) return 0;
  const result = await db
    .updateTable("inbox_events")
    .set({ status: "pending", attempts: sql`attempts - 1`, next_attempt_at: sql`now()`, claimed_by: null, lease_expires_at: null })
    .where("webhook_event_id", "in", eventIds)
    .where("status", "=", "processing")
    .where("claimed_by", "=", workerId)
    .where("attempts", "=", 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// Gives back every event claimed by this worker that it does not hold: pending again, due now.
// The attempt stays counted, so an event the webhook of this process is storing claimed for it at
// this moment, and that the worker will adopt, cannot also be finished under the same claim.
export async function releaseClaimsNotHeld(db: Kysely<Database>, workerId: string, heldIds: string[]): Promise<number> {
  const result = await db
    .updateTable("inbox_events")
    .set({ status: "pending", next_attempt_at: sql`now()`, claimed_by: null, lease_expires_at: null })
    .where("status", "=", "processing")
    .where("claimed_by", "=", workerId)
    .where((eb) => (heldIds.length === 0 ? eb.lit(true) : eb.not(eb("webhook_event_id", "=", eb.fn.any(eb.val(heldIds))))))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
