import { sql, type Kysely } from "kysely";

// Erasure keeps aggregate counts. The inquiries counted by month (monthly_counts, migration 0010:
// the live figure of 移住希望者からの相談件数 and the KPI dashboard) count inquiries received:
// erasing a resident's data (the privacy page) deletes their inquiries, which removes the person,
// not the fact that a consultation was made. So a deleted inquiry no longer lowers its month; a
// change of category or date still moves it, and TRUNCATE (tests, a reset) still clears the counts.
// The status tabs (case_status_counts) count the cases there are, and still drop.
//
// Friends stay as they were: that figure is how many friends the account has now, not an event.
// An erased resident who is still a friend is counted again as soon as they write or follow;
// counting them in between would mean keeping their LINE user ID.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function inquiries_keep_monthly_counts() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then perform monthly_counts_add('inquiries.' || old.category, jst_month(old.created_at), -1); end if;
      if tg_op in ('INSERT', 'UPDATE') then perform monthly_counts_add('inquiries.' || new.category, jst_month(new.created_at), 1); end if;
      return null;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function inquiries_keep_monthly_counts() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then perform monthly_counts_add('inquiries.' || old.category, jst_month(old.created_at), -1); end if;
      if tg_op in ('INSERT', 'UPDATE') then perform monthly_counts_add('inquiries.' || new.category, jst_month(new.created_at), 1); end if;
      return null;
    end $$`.execute(db);
}
