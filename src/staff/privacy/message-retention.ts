import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../../store/database.js";
import { RETENTION_BATCH } from "./retention-batches.js";

// The LINE conversation (messages, both ways) and the delivery records of the answers
// (outbound_messages.messages) are kept as long as a case they belong to: a message older than the
// retention period goes unless its resident has a case not yet anonymized (open, or closed within
// the period) that was opened no later than a day after the message (the conversation that led to
// the case comes just before it). Answers still waiting to be sent are never touched.

// A case of `resident` still kept whole, opened by one day after `at`.
function keptCaseSince(resident: RawBuilder<string>, at: RawBuilder<Date>) {
  return sql<boolean>`(exists (select 1 from inquiries c where c.user_id = ${resident} and c.anonymized_at is null and c.created_at < ${at} + interval '1 day')
    or exists (select 1 from reports c where c.user_id = ${resident} and c.anonymized_at is null and c.created_at < ${at} + interval '1 day'))`;
}

// One batch of messages. Returns how many went and the residents who had written some of them,
// whose cases' search data must be rebuilt.
export async function deleteOldMessages(db: Kysely<Database>, cutoff: Date): Promise<{ deleted: number; writers: string[] }> {
  const { rows } = await sql<{ n: number; writers: string[] | null }>`
    with gone as (
      delete from messages where id in (
        select m.id from messages m
         where m.created_at < ${cutoff} and not ${keptCaseSince(sql.ref("m.user_id"), sql.ref("m.created_at"))}
         order by m.created_at
         limit ${RETENTION_BATCH})
      returning user_id, direction)
    select (select count(*) from gone)::int as n,
           (select json_agg(distinct user_id) from gone where direction = 'in') as writers`.execute(db);
  return { deleted: rows[0]?.n ?? 0, writers: rows[0]?.writers ?? [] };
}

// One batch of finished outbound rows whose message rows are gone (or that had none).
export async function deleteOldOutbound(db: Kysely<Database>, cutoff: Date): Promise<number> {
  const result = await sql`
    delete from outbound_messages where id in (
      select o.id from outbound_messages o
       where o.created_at < ${cutoff}
         and o.status in ('sent', 'failed', 'skipped', 'expired')
         and not exists (select 1 from messages m where m.outbound_id = o.id)
         and not ${keptCaseSince(sql.ref("o.user_id"), sql.ref("o.created_at"))}
       order by o.created_at
       limit ${RETENTION_BATCH})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

// Rebuilds the search data of these residents' cases by rewriting the rows as they are: the
// trigger (inquiries) or the generated column (reports) computes it again from what is left, so a
// removed word is no longer found, whatever the search data is built from.
export async function rebuildCaseSearch(db: Kysely<Database>, residents: readonly string[]): Promise<void> {
  for (let start = 0; start < residents.length; start += RETENTION_BATCH) {
    const chunk = sql.join(residents.slice(start, start + RETENTION_BATCH));
    await sql`update inquiries set subject = subject, details = details where user_id in (${chunk})`.execute(db);
    await sql`update reports set description = description, address = address where user_id in (${chunk})`.execute(db);
  }
}
