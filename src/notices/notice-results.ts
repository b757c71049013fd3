import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";

// What happened to a notice: how many it reached, batches sent, failures with LINE's reasons, and
// taps on its links (counted per link, never per person).
export interface NoticeResults {
  recipients: number;
  reached: number;
  batches: { total: number; sent: number; failed: number; pending: number };
  failures: { reason: string; batches: number; recipients: number }[];
  links: { url: string; token: string; clicks: number }[];
  clicks: number;
}

export async function noticeResults(db: Kysely<Database>, noticeId: string): Promise<NoticeResults> {
  const totals = await db
    .selectFrom("notice_batches")
    .select([
      sql<string>`count(*)`.as("total"),
      sql<string>`count(*) filter (where status = 'sent')`.as("sent"),
      sql<string>`count(*) filter (where status = 'failed')`.as("failed"),
      sql<string>`coalesce(sum(recipient_count), 0)`.as("recipients"),
      sql<string>`coalesce(sum(recipient_count) filter (where status = 'sent'), 0)`.as("reached"),
    ])
    .where("notice_id", "=", noticeId)
    .executeTakeFirstOrThrow();
  const failures = await db
    .selectFrom("notice_batches")
    .select(["last_error", sql<string>`count(*)`.as("batches"), sql<string>`sum(recipient_count)`.as("recipients")])
    .where("notice_id", "=", noticeId)
    .where("status", "=", "failed")
    .groupBy("last_error")
    .orderBy("last_error")
    .execute();
  const links = await db.selectFrom("notice_links").select(["url", "token", "clicks"]).where("notice_id", "=", noticeId).orderBy("url").execute();
  const batches = { total: Number(totals.total), sent: Number(totals.sent), failed: Number(totals.failed), pending: 0 };
  batches.pending = batches.total - batches.sent - batches.failed;
  return {
    recipients: Number(totals.recipients),
    reached: Number(totals.reached),
    batches,
    failures: failures.map((row) => ({ reason: row.last_error ?? "（理由の記録なし）", batches: Number(row.batches), recipients: Number(row.recipients) })),
    links,
    clicks: links.reduce((sum, link) => sum + link.clicks, 0),
  };
}
