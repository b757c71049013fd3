import { sql, type Kysely } from "kysely";

// Retention that removes everything it promises (issue 13, README "Personal data"): the job walks
// each table in bounded batches, so each kind of row still holding personal data past its period
// is found through a partial index of the rows not yet scrubbed, not by re-reading the ones done.
// - survey_responses.free_text_removed_at: when the retention job removed the response's free-text
//   answers (the choices stay for the results page).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table survey_responses add column free_text_removed_at timestamptz`.execute(db);
  await sql`create index survey_responses_retention_idx on survey_responses (submitted_at) where free_text_removed_at is null`.execute(db);
  await sql`create index inbox_events_retention_idx on inbox_events (received_at) where payload <> '{}'::jsonb and status in ('done', 'failed')`.execute(db);
  await sql`create index notice_batches_recipients_kept_idx on notice_batches (notice_id) where recipients is not null`.execute(db);
  await sql`create index line_follow_events_retention_idx on line_follow_events (occurred_at) where user_id <> 'erased'`.execute(db);
  await sql`create index future_cafe_signups_session_idx on future_cafe_signups (session_id)`.execute(db);
  // An outbound row goes once no message row shows it any more (messages.outbound_id refers to it).
  await sql`create index messages_outbound_idx on messages (outbound_id) where outbound_id is not null`.execute(db);
  await sql`create index outbound_messages_time_idx on outbound_messages (created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists outbound_messages_time_idx`.execute(db);
  await sql`drop index if exists messages_outbound_idx`.execute(db);
  await sql`drop index if exists future_cafe_signups_session_idx`.execute(db);
  await sql`drop index if exists line_follow_events_retention_idx`.execute(db);
  await sql`drop index if exists notice_batches_recipients_kept_idx`.execute(db);
  await sql`drop index if exists inbox_events_retention_idx`.execute(db);
  await sql`drop index if exists survey_responses_retention_idx`.execute(db);
  await sql`alter table survey_responses drop column if exists free_text_removed_at`.execute(db);
}
