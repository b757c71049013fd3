import { sql, type Kysely } from "kysely";

// The staff inboxes at city scale (1,000,000 inquiries, 5,000,000 messages; see bench:staff).
//
// Free text: Japanese words are often two characters (道路, 空家), which trigrams cannot serve, so
// each case keeps the set of its text's character bigrams as a tsvector with a GIN index. A search
// asks for every bigram of the query, then rechecks the real substring. ANALYZE keeps per-bigram
// frequencies for a tsvector column, so the planner walks the newest cases in order for a common
// word and goes through the index for a rare one. An inquiry's set also covers what its resident
// wrote to us (inbound messages), kept up to date by the triggers below.
//
// Status tabs: exact counts per department and status, kept by triggers in the same transaction as
// the change, so the unfiltered tabs never count a million rows. The KPI dashboard's live figures
// by month (inquiries per category, friends by the month they were added) are kept the same way.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Lower-cased like ILIKE, so the bigram test never rejects a row the recheck would accept.
  await sql`
    create function text_bigrams(doc text) returns tsvector
    language sql immutable strict parallel safe as $$
      select coalesce(array_to_tsvector(array_agg(substr(folded, i, 2))), ''::tsvector)
      from (select lower(doc) as folded) as source, generate_series(1, char_length(folded) - 1) as i
    $$`.execute(db);
  // Every bigram of the query, AND-ed; built from quoted lexemes so no character is an operator.
  await sql`
    create function text_bigram_query(query text) returns tsquery
    language sql immutable strict parallel safe as $$
      select string_agg('''' || replace(replace(bigram, '\\', '\\\\'), '''', '''''') || '''', ' & ')::tsquery
      from (select distinct substr(folded, i, 2) as bigram
            from (select lower(query) as folded) as source, generate_series(1, char_length(folded) - 1) as i) as bigrams
    $$`.execute(db);

  await sql`
    create function inquiry_search_bigrams(reference_no text, subject text, details jsonb, resident text) returns tsvector
    language sql stable as $$
      select coalesce(text_bigrams(reference_no || ' ' || coalesce(subject, '') || ' ' || coalesce(details::text, '')), ''::tsvector)
        || coalesce((select text_bigrams(string_agg(m.text, E'\\n')) from messages m
                     where m.user_id = resident and m.direction = 'in' and m.text is not null), ''::tsvector)
    $$`.execute(db);
  // The recheck of an inquiry's bigram match against what its resident wrote. A function, not an
  // EXISTS in the query: inside an OR the planner turns EXISTS into a hashed subplan that reads
  // every inbound message once per search; this probes the one resident's messages by index.
  await sql`
    create function resident_wrote(resident text, pattern text) returns boolean
    language sql stable strict parallel safe as $$
      select exists (select 1 from messages m where m.user_id = resident and m.direction = 'in' and m.text ilike pattern)
    $$`.execute(db);
  await sql`alter table inquiries add column search_bigrams tsvector not null default ''::tsvector`.execute(db);
  await sql`update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, user_id)`.execute(db);
  await sql`create index inquiries_search_bigrams_idx on inquiries using gin (search_bigrams)`.execute(db);
  await sql`
    create function inquiries_keep_search_bigrams() returns trigger language plpgsql as $$
    begin
      new.search_bigrams := inquiry_search_bigrams(new.reference_no, new.subject, new.details, new.user_id);
      return new;
    end $$`.execute(db);
  await sql`
    create trigger inquiries_search_bigrams before insert or update of reference_no, subject, details, user_id on inquiries
    for each row execute function inquiries_keep_search_bigrams()`.execute(db);
  // A new inbound message adds its bigrams to its resident's inquiries; an edited or deleted one
  // (unsend, privacy deletion) rebuilds them, so no erased word stays findable.
  await sql`
    create function messages_keep_search_bigrams() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        update inquiries set search_bigrams = search_bigrams || text_bigrams(new.text) where user_id = new.user_id;
      else
        update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, user_id)
        where user_id in (old.user_id, new.user_id);
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger messages_search_bigrams_insert after insert on messages
    for each row when (new.direction = 'in' and new.text is not null) execute function messages_keep_search_bigrams()`.execute(db);
  await sql`
    create trigger messages_search_bigrams_update after update of text, user_id, direction on messages
    for each row when (old.text is distinct from new.text or old.user_id is distinct from new.user_id or old.direction is distinct from new.direction)
    execute function messages_keep_search_bigrams()`.execute(db);
  await sql`
    create function messages_forget_search_bigrams() returns trigger language plpgsql as $$
    begin
      update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, user_id)
      where user_id in (select distinct user_id from gone where direction = 'in' and text is not null);
      return null;
    end $$`.execute(db);
  await sql`
    create trigger messages_search_bigrams_delete after delete on messages
    referencing old table as gone for each statement execute function messages_forget_search_bigrams()`.execute(db);

  await sql`
    alter table reports add column search_bigrams tsvector not null
    generated always as (text_bigrams(reference_no || ' ' || coalesce(description, '') || ' ' || coalesce(address, ''))) stored`.execute(db);
  await sql`create index reports_search_bigrams_idx on reports using gin (search_bigrams)`.execute(db);
  // Newest first over everything (no other filter): an index in the list's exact order; and the
  // capped counts per status, alone or with a category (as inquiries have).
  await sql`create index reports_time_idx on reports (created_at, id)`.execute(db);
  await sql`create index reports_category_status_time_idx on reports (category, status, created_at)`.execute(db);
  await sql`create index reports_status_time_idx on reports (status, created_at)`.execute(db);

  await db.schema
    .createTable("case_status_counts")
    .addColumn("case_type", "text", (c) => c.notNull().check(sql`case_type in ('inquiry', 'report')`))
    .addColumn("department", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("n", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("case_status_counts_pk", ["case_type", "department", "status"])
    .execute();
  await sql`
    insert into case_status_counts (case_type, department, status, n)
    select 'inquiry', department, status, count(*) from inquiries group by department, status
    union all
    select 'report', department, status, count(*) from reports group by department, status`.execute(db);
  await sql`
    create function case_status_counts_keep() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then
        update case_status_counts set n = n - 1 where case_type = tg_argv[0] and department = old.department and status = old.status;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        insert into case_status_counts as counted (case_type, department, status, n) values (tg_argv[0], new.department, new.status, 1)
        on conflict (case_type, department, status) do update set n = counted.n + 1;
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create function case_status_counts_clear() returns trigger language plpgsql as $$
    begin
      delete from case_status_counts where case_type = tg_argv[0];
      return null;
    end $$`.execute(db);
  for (const [table, caseType] of [
    ["inquiries", "inquiry"],
    ["reports", "report"],
  ] as const) {
    await sql`
      create trigger ${sql.raw(`${table}_status_counts`)} after insert or delete on ${sql.table(table)}
      for each row execute function case_status_counts_keep(${sql.lit(caseType)})`.execute(db);
    await sql`
      create trigger ${sql.raw(`${table}_status_counts_move`)} after update of status, department on ${sql.table(table)}
      for each row when (old.status is distinct from new.status or old.department is distinct from new.department)
      execute function case_status_counts_keep(${sql.lit(caseType)})`.execute(db);
    await sql`
      create trigger ${sql.raw(`${table}_status_counts_truncate`)} after truncate on ${sql.table(table)}
      for each statement execute function case_status_counts_clear(${sql.lit(caseType)})`.execute(db);
  }
  await keepMonthlyCounts(db);
}

// Exported on its own so bench:staff can add it to a database it generated before it existed.
export async function keepMonthlyCounts(db: Kysely<unknown>): Promise<void> {
  // counter: 'inquiries.<category>' or 'friends'; month: its first day in Japan, '-infinity' for
  // friends from before the bot recorded follows (followed_at null).
  await db.schema
    .createTable("monthly_counts")
    .addColumn("counter", "text", (c) => c.notNull())
    .addColumn("month", "date", (c) => c.notNull())
    .addColumn("n", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("monthly_counts_pk", ["counter", "month"])
    .execute();
  // Japan has no daylight saving time: a fixed +9 hours, without the time zone database.
  await sql`
    create function jst_month(at timestamptz) returns date language sql stable as $$
      select coalesce(date_trunc('month', (at at time zone 'UTC') + interval '9 hours')::date, '-infinity'::date)
    $$`.execute(db);
  await sql`
    create function monthly_counts_add(counted text, in_month date, delta integer) returns void language sql as $$
      insert into monthly_counts as kept (counter, month, n) values (counted, in_month, delta)
      on conflict (counter, month) do update set n = kept.n + delta
    $$`.execute(db);
  await sql`
    insert into monthly_counts (counter, month, n)
    select 'inquiries.' || category, jst_month(created_at), count(*) from inquiries group by 1, 2
    union all
    select 'friends', jst_month(followed_at), count(*) from line_users where follow_state = 'following' group by 1, 2`.execute(db);
  await sql`
    create function inquiries_keep_monthly_counts() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') then perform monthly_counts_add('inquiries.' || old.category, jst_month(old.created_at), -1); end if;
      if tg_op in ('INSERT', 'UPDATE') then perform monthly_counts_add('inquiries.' || new.category, jst_month(new.created_at), 1); end if;
      return null;
    end $$`.execute(db);
  await sql`
    create function line_users_keep_monthly_counts() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') and old.follow_state = 'following' then perform monthly_counts_add('friends', jst_month(old.followed_at), -1); end if;
      if tg_op in ('INSERT', 'UPDATE') and new.follow_state = 'following' then perform monthly_counts_add('friends', jst_month(new.followed_at), 1); end if;
      return null;
    end $$`.execute(db);
  await sql`
    create function monthly_counts_clear() returns trigger language plpgsql as $$
    begin
      delete from monthly_counts where counter like tg_argv[0];
      return null;
    end $$`.execute(db);
  for (const [table, columns, counters] of [
    ["inquiries", ["category", "created_at"], "inquiries.%"],
    ["line_users", ["follow_state", "followed_at"], "friends"],
  ] as const) {
    const changed = sql.join(columns.map((column) => sql`old.${sql.ref(column)} is distinct from new.${sql.ref(column)}`), sql` or `);
    await sql`
      create trigger ${sql.raw(`${table}_monthly_counts`)} after insert or delete on ${sql.table(table)}
      for each row execute function ${sql.raw(`${table}_keep_monthly_counts`)}()`.execute(db);
    await sql`
      create trigger ${sql.raw(`${table}_monthly_counts_move`)} after update of ${sql.join(columns.map((column) => sql.ref(column)))} on ${sql.table(table)}
      for each row when (${changed}) execute function ${sql.raw(`${table}_keep_monthly_counts`)}()`.execute(db);
    await sql`
      create trigger ${sql.raw(`${table}_monthly_counts_truncate`)} after truncate on ${sql.table(table)}
      for each statement execute function monthly_counts_clear(${sql.lit(counters)})`.execute(db);
  }
}
