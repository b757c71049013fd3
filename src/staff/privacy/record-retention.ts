import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { RETENTION_BATCH } from "./retention-batches.js";
import { ERASED_USER } from "./user-data.js";

// One batch of each of the other places personal data sits, with the moment before which it goes.
// Each returns how many rows it changed.

// Raw webhook events (message texts, locations) once handled: the row stays (it stops LINE's
// redelivery of the same event being handled twice), without payload, user or error text.
export async function emptyHandledInboxEvents(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await sql`
    update inbox_events set payload = '{}'::jsonb, user_id = null, last_error = null
     where webhook_event_id in (
       select webhook_event_id from inbox_events
        where payload <> '{}'::jsonb and status in ('done', 'failed') and received_at < ${before}
        limit ${RETENTION_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// Who a notice went to, once its delivery ended: the counts stay on the batches.
export async function forgetNoticeRecipients(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await sql`
    update notice_batches set recipients = null
     where id in (
       select b.id from notice_batches b join notices n on n.id = b.notice_id
        where b.recipients is not null and n.status in ('sent', 'failed', 'cancelled') and coalesce(n.finished_at, n.cancelled_at) < ${before}
        limit ${RETENTION_BATCH})`.execute(db);
  // The delivery's cursor is the last recipient's user ID.
  await sql`
    update notices set planned_through = null
     where planned_through is not null and status in ('sent', 'failed', 'cancelled') and coalesce(finished_at, cancelled_at) < ${before}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// Free-text survey answers; the choices stay for the results page and its counts.
export async function removeSurveyFreeText(db: Kysely<Database>, before: Date, now: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with due as (
      select id from survey_responses where free_text_removed_at is null and submitted_at < ${before}
       order by submitted_at limit ${RETENTION_BATCH}),
    dropped as (
      delete from survey_answers a using survey_questions q
       where a.response_id in (select id from due) and q.id = a.question_id and q.kind = 'text')
    update survey_responses set free_text_removed_at = ${now} where id in (select id from due) returning 1`.execute(db);
  return rows.length;
}

// Conversation drafts the resident abandoned (a form half filled in).
export async function dropAbandonedDrafts(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await sql`
    delete from conversations where user_id in (
      select user_id from conversations where expires_at < ${before} limit ${RETENTION_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// Sign-ups of 未来カフェ sessions held before `before`.
export async function dropPastCafeSignups(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await sql`
    delete from future_cafe_signups where id in (
      select s.id from future_cafe_signups s join future_cafe_sessions c on c.id = s.session_id
       where c.starts_at < ${before} limit ${RETENTION_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// Follow and block events stay counted per day (the friends KPI), without whose they were.
export async function forgetFollowers(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await sql`
    update line_follow_events set user_id = ${sql.lit(ERASED_USER)}
     where webhook_event_id in (
       select webhook_event_id from line_follow_events where user_id <> ${sql.lit(ERASED_USER)} and occurred_at < ${before} limit ${RETENTION_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// 受信設定 of residents who blocked the account before `before`: no notice reaches them.
export async function dropProfilesOfBlockers(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await sql`
    delete from resident_profiles where user_id in (
      select p.user_id from resident_profiles p join line_users u on u.user_id = p.user_id
       where u.follow_state = 'blocked' and u.blocked_at < ${before} limit ${RETENTION_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
