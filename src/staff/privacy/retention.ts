import { sql, type Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { PERSONAL_KEYS } from "../labels.js";

// The retention job (run with the other scheduled jobs): personal data in inquiries and reports
// closed longer than `retentionDays` ago is removed — the form answers that identify or describe
// a person (phone, e-mail, where they live, free text) and the report's description and photos —
// while what the statistics need (category, department, dates, topic) stays. The raw webhook
// payloads kept in the inbox (they hold message texts) are emptied after INBOX_PAYLOAD_DAYS.
const BATCH = 500;
export const INBOX_PAYLOAD_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export async function applyRetention(db: Kysely<Database>, retentionDays: number, now: Date): Promise<{ inquiries: number; reports: number; inboxPayloads: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
  const personal = sql.join(PERSONAL_KEYS.map((key) => sql.lit(key)));
  const inquiries = await sql`
    update inquiries set details = details - array[${personal}]::text[], anonymized_at = ${now}
    where id in (select id from inquiries where status = 'closed' and anonymized_at is null and closed_at < ${cutoff} limit ${BATCH})`.execute(db);
  const reports = await db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom("reports")
      .select("id")
      .where("status", "=", "closed")
      .where("anonymized_at", "is", null)
      .where("closed_at", "<", cutoff)
      .limit(BATCH)
      .execute();
    if (due.length === 0) return 0;
    const ids = due.map((row) => row.id);
    await trx.deleteFrom("report_photos").where("report_id", "in", ids).execute();
    await trx.updateTable("reports").set({ description: null, anonymized_at: now }).where("id", "in", ids).execute();
    return ids.length;
  });
  const inbox = await sql`
    update inbox_events set payload = '{}'::jsonb
    where status in ('done', 'failed') and received_at < ${new Date(now.getTime() - INBOX_PAYLOAD_DAYS * DAY_MS)} and payload <> '{}'::jsonb`.execute(db);
  return { inquiries: Number(inquiries.numAffectedRows ?? 0), reports, inboxPayloads: Number(inbox.numAffectedRows ?? 0) };
}
