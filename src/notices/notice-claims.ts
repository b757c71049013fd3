import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/database.js";
import type { NoticeBatchRow, NoticeRow } from "../store/tables/notices.js";
import { segmentSchema, type Audience } from "./segments.js";

// The rows a delivery works on, shared by every app process: a notice is claimed with
// FOR UPDATE SKIP LOCKED and a lease, so exactly one process delivers it at a time and another
// takes over once a dead process's lease runs out.

export class LeaseLost extends Error {
  constructor(noticeId: string) {
    super(`notice ${noticeId}: another process took over the delivery (this one's lease ran out)`);
  }
}

// The next notice due (approved and its time has come), or one whose process died mid-delivery.
export async function claimDueNotice(db: Kysely<Database>, workerId: string, leaseMs: number, now: Date): Promise<NoticeRow | null> {
  const { rows } = await sql<NoticeRow>`
    update notices
       set status = 'sending', claimed_by = ${workerId}, lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
           started_at = coalesce(started_at, now()), updated_at = now()
     where id = (
       select n.id from notices n
        where (n.status = 'approved' and n.send_at <= ${now.toISOString()}::timestamptz)
           or (n.status = 'sending' and n.lease_expires_at < now())
        order by n.send_at, n.id
        limit 1
        for update skip locked)
    returning *`.execute(db);
  return rows[0] ?? null;
}

export async function renewLease(db: Kysely<Database>, noticeId: string, workerId: string, leaseMs: number): Promise<boolean> {
  const result = await db
    .updateTable("notices")
    .set({ lease_expires_at: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where("id", "=", noticeId)
    .where("claimed_by", "=", workerId)
    .where("status", "=", "sending")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

// Locks the notice row for a planning step, proving this process still holds the delivery.
export async function lockOwnedNotice(trx: Transaction<Database>, noticeId: string, workerId: string) {
  const row = await trx
    .selectFrom("notices")
    .select(["planned_through", "planning_done"])
    .where("id", "=", noticeId)
    .where("claimed_by", "=", workerId)
    .where("status", "=", "sending")
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new LeaseLost(noticeId);
  return row;
}

export async function nextSeq(trx: Transaction<Database>, noticeId: string): Promise<number> {
  const row = await trx
    .selectFrom("notice_batches")
    .select(sql<number | null>`max(seq)`.as("last"))
    .where("notice_id", "=", noticeId)
    .executeTakeFirstOrThrow();
  return row.last === null ? 0 : Number(row.last) + 1;
}

export async function openBatches(db: Kysely<Database>, noticeId: string, limit: number): Promise<NoticeBatchRow[]> {
  return db.selectFrom("notice_batches").selectAll().where("notice_id", "=", noticeId).where("status", "=", "pending").orderBy("seq").limit(limit).execute();
}

export function audienceOf(notice: Pick<NoticeRow, "audience" | "segment">): Audience {
  return notice.audience === "all" ? { kind: "all" } : { kind: "segment", segment: segmentSchema.parse(notice.segment) };
}

export async function finishNotice(db: Kysely<Database>, noticeId: string, workerId: string, error: string | null): Promise<void> {
  const counts = await db
    .selectFrom("notice_batches")
    .select([sql<string>`count(*) filter (where status = 'sent')`.as("sent"), sql<string>`coalesce(sum(recipient_count), 0)`.as("recipients")])
    .where("notice_id", "=", noticeId)
    .executeTakeFirstOrThrow();
  // Sent when any batch went out (the failed ones are listed on the results page); failed otherwise.
  const status = Number(counts.sent) > 0 ? "sent" : "failed";
  await db
    .updateTable("notices")
    .set({
      status,
      recipient_count: Number(counts.recipients),
      finished_at: sql`now()`,
      updated_at: sql`now()`,
      claimed_by: null,
      lease_expires_at: null,
      last_error: error,
    })
    .where("id", "=", noticeId)
    .where("claimed_by", "=", workerId)
    .execute();
}
