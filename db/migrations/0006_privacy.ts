import { sql, type Kysely } from "kysely";

// Personal data kept no longer than needed: when a closed inquiry's personal answers were removed
// by the retention job (and the same for reports' free text).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inquiries add column anonymized_at timestamptz`.execute(db);
  await sql`alter table reports add column anonymized_at timestamptz`.execute(db);
  await sql`create index inquiries_retention_idx on inquiries (closed_at) where status = 'closed' and anonymized_at is null`.execute(db);
  await sql`create index reports_retention_idx on reports (closed_at) where status = 'closed' and anonymized_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists reports_retention_idx`.execute(db);
  await sql`drop index if exists inquiries_retention_idx`.execute(db);
  await sql`alter table reports drop column if exists anonymized_at`.execute(db);
  await sql`alter table inquiries drop column if exists anonymized_at`.execute(db);
}
