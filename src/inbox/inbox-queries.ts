import { sql, type Kysely } from "kysely";
import type { Database, InboxEventRow } from "../store/database.js";
import { prepared } from "../store/prepared-statements.js";
import { residentStateColumns, type ResidentStateColumns } from "../store/resident-turn.js";

// A claimed event, with its user's state read in the same statement (resident-turn.ts).
export type ClaimedEvent = InboxEventRow & ResidentStateColumns;

// Claims up to `limit` events that are due: pending ones whose backoff has passed, and ones whose
// worker's lease expired (that worker crashed or hung). FOR UPDATE SKIP LOCKED lets several
// processes claim side by side without waiting on or taking each other's rows.
// An event is only claimed when no earlier event of the same user is still unfinished, so one
// resident's messages are handled in the order they were sent, whichever process takes them.
export async function claimNextEvents(
  db: Kysely<Database>,
  workerId: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedEvent[]> {
  const result = await db.executeQuery(prepared(sql<ClaimedEvent>`
    update inbox_events
       set status = 'processing',
           attempts = attempts + 1,
           claimed_by = ${workerId},
           lease_expires_at = now() + ${leaseMs} * interval '1 millisecond'
     where webhook_event_id in (
       select e.webhook_event_id
         from inbox_events e
        where ((e.status = 'pending' and e.next_attempt_at <= now())
            or (e.status = 'processing' and e.lease_expires_at < now()))
          and not exists (
            select 1 from inbox_events earlier
             where earlier.user_id = e.user_id
               and earlier.status in ('pending', 'processing')
               and (earlier.event_time, earlier.arrival_seq) < (e.event_time, e.arrival_seq))
        order by e.next_attempt_at
        limit ${limit}
        for update skip locked)
    returning *, ${residentStateColumns(sql.ref("inbox_events.user_id"))}`.compile(db)));
  return result.rows;
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
    .execute();
}
