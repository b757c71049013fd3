import { sql, type Kysely } from "kysely";

// The claim stays cheap whatever the backlog (issue 12). A resident's event waits while an earlier
// one of theirs is unfinished (README, "Scaling"); before this, every claim walked all due events
// and checked each one's user, so a backlog of waiting events (heads being handled, or retrying
// later) cost 20-70 ms per claim at 10,000 waiting, for nothing claimed.
// - held_back: the claim found an earlier unfinished event of the same user and set this aside
//   (inbox-queries.ts, claimNextEvents); claims look only at pending events not held back, through
//   inbox_events_claimable_idx in due order, so the events they read are nearly all claimable.
// - when an event is finished (done or failed) or deleted, the trigger below releases the user's
//   next pending event, which the next claim then takes.
// - a claim whose lease ran out is found through inbox_events_lease_idx.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inbox_events add column held_back boolean not null default false`.execute(db);
  await sql`create index inbox_events_claimable_idx on inbox_events (next_attempt_at) where status = 'pending' and not held_back`.execute(db);
  await sql`create index inbox_events_lease_idx on inbox_events (lease_expires_at) where status = 'processing'`.execute(db);
  await sql`drop index inbox_events_due_idx`.execute(db);
  // Waits for a claim that holds the next event's row (the claim never waits for this one: it
  // checks the finished event with SKIP LOCKED), so a mark set by a claim that saw this event still
  // unfinished is always cleared here.
  await sql`
    create function inbox_events_release_next() returns trigger language plpgsql as $$
    begin
      if old.user_id is not null then
        update inbox_events set held_back = false
         where webhook_event_id = (
                 select webhook_event_id from inbox_events
                  where user_id = old.user_id and status = 'pending'
                  order by event_time, arrival_seq
                  limit 1)
           and held_back;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger inbox_events_finished after update of status on inbox_events
      for each row when (old.status in ('pending', 'processing') and new.status not in ('pending', 'processing'))
      execute function inbox_events_release_next()`.execute(db);
  await sql`
    create trigger inbox_events_deleted after delete on inbox_events
      for each row when (old.status in ('pending', 'processing'))
      execute function inbox_events_release_next()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists inbox_events_deleted on inbox_events`.execute(db);
  await sql`drop trigger if exists inbox_events_finished on inbox_events`.execute(db);
  await sql`drop function if exists inbox_events_release_next()`.execute(db);
  await sql`create index if not exists inbox_events_due_idx on inbox_events (next_attempt_at) where status in ('pending', 'processing')`.execute(db);
  await sql`drop index if exists inbox_events_lease_idx`.execute(db);
  await sql`drop index if exists inbox_events_claimable_idx`.execute(db);
  await sql`alter table inbox_events drop column if exists held_back`.execute(db);
}
