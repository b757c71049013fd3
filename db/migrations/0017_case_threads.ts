import { sql, type Kysely } from "kysely";

// Case views by case (issue 13). A resident's LINE history mixes what they wrote to different
// departments (a 移住相談 for 商工観光課, a 通報 for 建設課, a survey's free text), so a case page
// and its search may show only the case's own messages.
//
// A thread is one flow run or one case: `messages.thread_id` is set when the message is written
// (the flow run it was a step of, the open hand-off, the case page a staff reply was sent from),
// and a case carries the thread of the run that created it, so no message is ever updated when a
// case is made. Messages of no thread (free chat, FAQ answers, and every message logged before this
// migration) belong to no case: only administrators see them, in the resident's whole history.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table messages add column thread_id uuid`.execute(db);
  // A case page reads its thread newest first; untagged messages are not indexed at all.
  await sql`create index messages_thread_idx on messages (thread_id, created_at, id) where thread_id is not null`.execute(db);
  // Existing cases get a thread of their own that no message has: nothing is attributed by guess.
  for (const table of ["inquiries", "reports"] as const) {
    await sql`alter table ${sql.table(table)} add column thread_id uuid not null default gen_random_uuid()`.execute(db);
    await sql`create unique index ${sql.raw(`${table}_thread_idx`)} on ${sql.table(table)} (thread_id)`.execute(db);
  }
  // The flow run in progress (null for a draft saved before this migration: it gets one at its next step).
  await sql`alter table conversations add column thread_id uuid`.execute(db);
  // The case whose page last wrote to the resident (a staff reply, a report's status notice), until
  // when: what they write back in free chat belongs to that case, so its department sees the answer.
  await sql`alter table line_users add column reply_thread_id uuid, add column reply_thread_until timestamptz`.execute(db);

  // An inquiry's search data covers what the resident wrote in its own thread only.
  await sql`
    create function inquiry_search_bigrams(reference_no text, subject text, details jsonb, thread uuid) returns tsvector
    language sql stable as $$
      select coalesce(text_bigrams(reference_no || ' ' || coalesce(subject, '') || ' ' || coalesce(details::text, '')), ''::tsvector)
        || coalesce((select text_bigrams(string_agg(m.text, E'\\n')) from messages m
                     where m.thread_id = thread and m.direction = 'in' and m.text is not null), ''::tsvector)
    $$`.execute(db);
  await sql`
    create function thread_wrote(thread uuid, pattern text) returns boolean
    language sql stable strict parallel safe as $$
      select exists (select 1 from messages m where m.thread_id = thread and m.direction = 'in' and m.text ilike pattern)
    $$`.execute(db);
  await sql`
    create or replace function inquiries_keep_search_bigrams() returns trigger language plpgsql as $$
    begin
      new.search_bigrams := inquiry_search_bigrams(new.reference_no, new.subject, new.details, new.thread_id);
      return new;
    end $$`.execute(db);
  // Any update of these columns recomputes the search data (the retention job relies on it).
  await sql`drop trigger inquiries_search_bigrams on inquiries`.execute(db);
  await sql`
    create trigger inquiries_search_bigrams before insert or update of reference_no, subject, details, user_id, thread_id on inquiries
    for each row execute function inquiries_keep_search_bigrams()`.execute(db);

  await sql`
    create or replace function messages_keep_search_bigrams() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        update inquiries set search_bigrams = search_bigrams || text_bigrams(new.text) where thread_id = new.thread_id;
      else
        update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, thread_id)
        where thread_id in (old.thread_id, new.thread_id);
      end if;
      return null;
    end $$`.execute(db);
  // Only a message of a thread touches an inquiry: free chat costs no update at all.
  await sql`drop trigger messages_search_bigrams_insert on messages`.execute(db);
  await sql`
    create trigger messages_search_bigrams_insert after insert on messages
    for each row when (new.direction = 'in' and new.text is not null and new.thread_id is not null)
    execute function messages_keep_search_bigrams()`.execute(db);
  await sql`drop trigger messages_search_bigrams_update on messages`.execute(db);
  await sql`
    create trigger messages_search_bigrams_update after update of text, direction, thread_id on messages
    for each row when ((old.thread_id is not null or new.thread_id is not null)
                       and (old.text is distinct from new.text or old.direction is distinct from new.direction or old.thread_id is distinct from new.thread_id))
    execute function messages_keep_search_bigrams()`.execute(db);
  await sql`
    create or replace function messages_forget_search_bigrams() returns trigger language plpgsql as $$
    begin
      update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, thread_id)
      where thread_id in (select distinct thread_id from gone where direction = 'in' and text is not null and thread_id is not null);
      return null;
    end $$`.execute(db);

  await sql`drop function resident_wrote(text, text)`.execute(db);
  await sql`drop function inquiry_search_bigrams(text, text, jsonb, text)`.execute(db);
  // What each inquiry found through its resident's other messages is dropped now.
  await sql`update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, thread_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function inquiry_search_bigrams(reference_no text, subject text, details jsonb, resident text) returns tsvector
    language sql stable as $$
      select coalesce(text_bigrams(reference_no || ' ' || coalesce(subject, '') || ' ' || coalesce(details::text, '')), ''::tsvector)
        || coalesce((select text_bigrams(string_agg(m.text, E'\\n')) from messages m
                     where m.user_id = resident and m.direction = 'in' and m.text is not null), ''::tsvector)
    $$`.execute(db);
  await sql`
    create function resident_wrote(resident text, pattern text) returns boolean
    language sql stable strict parallel safe as $$
      select exists (select 1 from messages m where m.user_id = resident and m.direction = 'in' and m.text ilike pattern)
    $$`.execute(db);
  await sql`
    create or replace function inquiries_keep_search_bigrams() returns trigger language plpgsql as $$
    begin
      new.search_bigrams := inquiry_search_bigrams(new.reference_no, new.subject, new.details, new.user_id);
      return new;
    end $$`.execute(db);
  await sql`drop trigger inquiries_search_bigrams on inquiries`.execute(db);
  await sql`
    create trigger inquiries_search_bigrams before insert or update of reference_no, subject, details, user_id on inquiries
    for each row execute function inquiries_keep_search_bigrams()`.execute(db);
  await sql`
    create or replace function messages_keep_search_bigrams() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        update inquiries set search_bigrams = search_bigrams || text_bigrams(new.text) where user_id = new.user_id;
      else
        update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, user_id)
        where user_id in (old.user_id, new.user_id);
      end if;
      return null;
    end $$`.execute(db);
  await sql`drop trigger messages_search_bigrams_insert on messages`.execute(db);
  await sql`
    create trigger messages_search_bigrams_insert after insert on messages
    for each row when (new.direction = 'in' and new.text is not null) execute function messages_keep_search_bigrams()`.execute(db);
  await sql`drop trigger messages_search_bigrams_update on messages`.execute(db);
  await sql`
    create trigger messages_search_bigrams_update after update of text, user_id, direction on messages
    for each row when (old.text is distinct from new.text or old.user_id is distinct from new.user_id or old.direction is distinct from new.direction)
    execute function messages_keep_search_bigrams()`.execute(db);
  await sql`
    create or replace function messages_forget_search_bigrams() returns trigger language plpgsql as $$
    begin
      update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, user_id)
      where user_id in (select distinct user_id from gone where direction = 'in' and text is not null);
      return null;
    end $$`.execute(db);
  await sql`drop function thread_wrote(uuid, text)`.execute(db);
  await sql`drop function inquiry_search_bigrams(text, text, jsonb, uuid)`.execute(db);
  await sql`update inquiries set search_bigrams = inquiry_search_bigrams(reference_no, subject, details, user_id)`.execute(db);
  await sql`alter table conversations drop column thread_id`.execute(db);
  await sql`alter table line_users drop column reply_thread_id, drop column reply_thread_until`.execute(db);
  for (const table of ["inquiries", "reports"] as const) await sql`alter table ${sql.table(table)} drop column thread_id`.execute(db);
  await sql`drop index messages_thread_idx`.execute(db);
  await sql`alter table messages drop column thread_id`.execute(db);
}
