import { sql, type Kysely, type SelectQueryBuilder } from "kysely";
import { z } from "zod";
import type { Database } from "../store/database.js";
import type { NoticeBatchRow } from "../store/tables/notices.js";

// Who a notice goes to. "all" is every friend (LINE's broadcast); a segment is a choice of profile
// values (受信設定): the values chosen within one field are OR-ed, the fields are AND-ed, and only
// residents still following the account are ever chosen.
export const INTEREST_CODES = ["relocation", "childcare", "disaster", "events", "furusato", "city_info"] as const;
export const SEGMENT_FIELDS = ["residence", "school_district", "town", "age_band", "interests"] as const;
export type SegmentField = (typeof SEGMENT_FIELDS)[number];

const values = z.array(z.string().trim().min(1).max(100)).max(200).default([]);
export const segmentSchema = z.object({
  residence: z.array(z.enum(["city", "outside"])).default([]),
  school_district: values,
  town: values,
  age_band: values,
  interests: z.array(z.enum(INTEREST_CODES)).default([]),
});
export type Segment = z.infer<typeof segmentSchema>;

export type Audience = { kind: "all" } | { kind: "segment"; segment: Segment };

export function isEmptySegment(segment: Segment): boolean {
  return SEGMENT_FIELDS.every((field) => segment[field].length === 0);
}

type RecipientQuery = SelectQueryBuilder<Database, "line_users", object>;

// The one place that turns an audience into SQL; counting and delivery both start here.
function recipientsOf(db: Kysely<Database>, audience: Audience): RecipientQuery {
  let query = db.selectFrom("line_users").where("line_users.follow_state", "=", "following") as unknown as RecipientQuery;
  if (audience.kind === "all") return query;
  const segment = audience.segment;
  query = query.innerJoin("resident_profiles", "resident_profiles.user_id", "line_users.user_id") as unknown as RecipientQuery;
  for (const field of ["residence", "school_district", "town", "age_band"] as const) {
    const chosen = segment[field];
    if (chosen.length > 0) query = query.where(sql.ref(`resident_profiles.${field}`), "in", chosen);
  }
  if (segment.interests.length > 0) {
    query = query.where(sql<boolean>`resident_profiles.interests && array[${sql.join(segment.interests)}]::text[]`);
  }
  return query;
}

export async function countRecipients(db: Kysely<Database>, audience: Audience): Promise<number> {
  const row = await recipientsOf(db, audience)
    .select(sql<string>`count(*)`.as("count"))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

// The next `limit` recipients after `after` in user_id order: a keyset cursor, so a delivery holds
// one page in memory whatever the audience size, and resumes from the last id it wrote down.
export async function recipientPage(db: Kysely<Database>, audience: Audience, after: string | null, limit: number): Promise<string[]> {
  const rows = await recipientPageQuery(db, audience, after, limit).execute();
  return rows.map((row) => row.user_id);
}

function recipientPageQuery(db: Kysely<Database>, audience: Audience, after: string | null, limit: number) {
  let query = recipientsOf(db, audience).select("line_users.user_id as user_id");
  if (after !== null) query = query.where("line_users.user_id", ">", after);
  // The same bound on the profile side lets a merge join start both index scans at the cursor
  // instead of reading every profile before it (each page would cost more than the last).
  if (after !== null && audience.kind === "segment") query = query.where(sql.ref("resident_profiles.user_id"), ">", after);
  return query.orderBy("line_users.user_id").limit(limit) as unknown as SelectQueryBuilder<Database, "line_users", { user_id: string }>;
}

// Writes the next pages of recipients after `after` as multicast batches of `batchSize`, at most
// `batches` of them, numbered from `firstSeq`, each with a fresh retry key, in one statement.
// Returns the batches written (their recipients as JSON, which parses much faster than a text[]),
// the last recipient written (the cursor to go on from) and whether the audience is exhausted.
export async function planMulticastBatches(
  trx: Kysely<Database>,
  plan: { noticeId: string; audience: Audience; after: string | null; firstSeq: number; batchSize: number; batches: number },
): Promise<{ written: NoticeBatchRow[]; last: string | null; exhausted: boolean }> {
  const wanted = plan.batchSize * plan.batches;
  const page = recipientPageQuery(trx, plan.audience, plan.after, wanted);
  const { rows } = await sql<{ written: NoticeBatchRow[] | null; last: string | null; recipients: number }>`
    with page as (${page}),
    numbered as (select user_id, (row_number() over (order by user_id) - 1) / ${plan.batchSize} as n from page),
    written as (
      insert into notice_batches (notice_id, seq, method, retry_key, recipients, recipient_count)
      select ${plan.noticeId}, (${plan.firstSeq} + n)::int, 'multicast', gen_random_uuid(), array_agg(user_id order by user_id), count(*)::int
        from numbered
       group by n
      returning *)
    select (select json_agg(json_build_object(
              'id', id::text, 'notice_id', notice_id::text, 'seq', seq, 'method', method, 'retry_key', retry_key,
              'recipients', recipients, 'recipient_count', recipient_count, 'status', status, 'attempts', attempts,
              'last_status', last_status, 'last_error', last_error, 'created_at', created_at, 'sent_at', sent_at) order by seq)
              from written) as written, (select max(user_id) from page) as last, (select count(*) from page)::int as recipients`.execute(trx);
  const row = rows[0]!;
  const written = (row.written ?? []).map((batch) => ({ ...batch, created_at: new Date(batch.created_at), sent_at: null }));
  return { written, last: row.last, exhausted: row.recipients < wanted };
}
