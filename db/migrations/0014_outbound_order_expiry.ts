import { sql, type Kysely } from "kysely";

// Delivery that keeps its promises (README, "Delivery semantics"):
// - `expired`: an answer LINE could not take for its whole useful life (a long outage) ends here,
//   where staff see it, instead of being dropped after a number of attempts.
// - reply_outcome_unknown: an earlier reply attempt of this row may have reached LINE (the
//   connection broke after the request was sent, or the sender died mid-way). A later reply that
//   LINE refuses as already used then means the answer was delivered, not that it must be pushed.
// - the index finds a resident's unsent answers: an answer waits for that resident's earlier ones.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbound_messages drop constraint outbound_messages_status_check`.execute(db);
  await sql`alter table outbound_messages add constraint outbound_messages_status_check
    check (status in ('pending', 'sending', 'sent', 'failed', 'skipped', 'expired'))`.execute(db);
  await sql`alter table outbound_messages add column reply_outcome_unknown boolean not null default false`.execute(db);
  await sql`create index outbound_messages_user_open_idx on outbound_messages (user_id, id) where status in ('pending', 'sending')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists outbound_messages_user_open_idx`.execute(db);
  await sql`alter table outbound_messages drop column if exists reply_outcome_unknown`.execute(db);
  await sql`update outbound_messages set status = 'failed' where status = 'expired'`.execute(db);
  await sql`alter table outbound_messages drop constraint outbound_messages_status_check`.execute(db);
  await sql`alter table outbound_messages add constraint outbound_messages_status_check
    check (status in ('pending', 'sending', 'sent', 'failed', 'skipped'))`.execute(db);
}
