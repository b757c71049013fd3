import { sql, type Kysely } from "kysely";

// What the conversation flows of issue 5 keep beyond the foundation's tables:
// - report photos arrive before the report exists (the resident sends them mid-form), so a photo
//   belongs to a resident first and to a report once it is sent;
// - ひとよし未来カフェ sessions (from seeds, then owned by staff) and residents' sign-ups, with the
//   day-before reminder's state on the sign-up row so that any process can send it, once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table report_photos alter column report_id drop not null`.execute(db);
  await sql`alter table report_photos add column user_id text`.execute(db);
  await sql`create index report_photos_draft_idx on report_photos (user_id, created_at) where report_id is null`.execute(db);

  await db.schema
    .createTable("future_cafe_sessions")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("code", "text", (c) => c.notNull().unique())
    .addColumn("town", "text", (c) => c.notNull())
    .addColumn("starts_at", "timestamptz", (c) => c.notNull())
    .addColumn("place", "text", (c) => c.notNull())
    .addColumn("capacity", "integer")
    .addColumn("status", "text", (c) => c.notNull().defaultTo("scheduled").check(sql`status in ('scheduled', 'cancelled')`))
    .addColumn("note", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("future_cafe_sessions_time_idx").on("future_cafe_sessions").columns(["status", "starts_at"]).execute();

  await db.schema
    .createTable("future_cafe_signups")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("session_id", "bigint", (c) => c.notNull().references("future_cafe_sessions.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("party_size", "integer", (c) => c.notNull().check(sql`party_size between 1 and 20`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("cancelled_at", "timestamptz")
    // scheduled → sent (pushed through the outbox) or skipped (signed up too late, session
    // cancelled or over, resident signed up again); none: no reminder was due.
    .addColumn("reminder_state", "text", (c) =>
      c.notNull().defaultTo("none").check(sql`reminder_state in ('none', 'scheduled', 'sent', 'skipped')`),
    )
    .addColumn("reminder_due_at", "timestamptz")
    .addColumn("reminder_outbound_id", "bigint")
    .addUniqueConstraint("future_cafe_signups_one_per_user_uq", ["session_id", "user_id"])
    .execute();
  await sql`create index future_cafe_reminders_due_idx on future_cafe_signups (reminder_due_at) where reminder_state = 'scheduled'`.execute(db);
  await db.schema.createIndex("future_cafe_signups_user_idx").on("future_cafe_signups").column("user_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("future_cafe_signups").ifExists().execute();
  await db.schema.dropTable("future_cafe_sessions").ifExists().execute();
  await sql`drop index if exists report_photos_draft_idx`.execute(db);
  await sql`delete from report_photos where report_id is null`.execute(db);
  await sql`alter table report_photos drop column if exists user_id`.execute(db);
  await sql`alter table report_photos alter column report_id set not null`.execute(db);
}
