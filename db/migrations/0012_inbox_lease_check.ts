import { sql, type Kysely } from "kysely";

// Raised by the statement that finishes an inbox event (src/inbox/finish-event.ts) when the worker
// no longer holds the event: another worker took it after this one's lease ran out. Failing the
// statement undoes everything it wrote, also when it runs alone without a transaction around it.
// SQLSTATE IL001 (inboxLeaseLostCode) tells the worker what happened.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function inbox_lease_lost(event_id text) returns integer language plpgsql volatile as $$
    begin
      raise exception 'inbox event % is no longer held by this worker: its lease ran out and another worker took it', event_id
        using errcode = 'IL001';
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists inbox_lease_lost(text)`.execute(db);
}
