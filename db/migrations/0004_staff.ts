import { sql, type Kysely } from "kysely";

// The staff console: accounts, database sessions, the audit log of every staff action, internal
// notes and assignees on inquiries and reports.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("staff_users")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("login_id", "text", (c) => c.notNull().unique())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("department", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull().check(sql`role in ('admin', 'staff')`))
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("failed_logins", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_until", "timestamptz")
    .addColumn("disabled_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_login_at", "timestamptz")
    .execute();

  await db.schema
    .createTable("staff_sessions")
    // sha256 of the cookie's token: a leaked table does not give working cookies.
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("staff_id", "bigint", (c) => c.notNull().references("staff_users.id").onDelete("cascade"))
    .addColumn("csrf_token", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("staff_sessions_staff_idx").on("staff_sessions").column("staff_id").execute();
  await db.schema.createIndex("staff_sessions_expiry_idx").on("staff_sessions").column("expires_at").execute();

  await db.schema
    .createTable("audit_log")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("staff_id", "bigint", (c) => c.references("staff_users.id").onDelete("set null"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target_type", "text")
    .addColumn("target_id", "text")
    .addColumn("detail", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("audit_log_target_idx").on("audit_log").columns(["target_type", "target_id", "at"]).execute();
  await db.schema.createIndex("audit_log_staff_idx").on("audit_log").columns(["staff_id", "at"]).execute();

  await db.schema
    .createTable("case_notes")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("case_type", "text", (c) => c.notNull().check(sql`case_type in ('inquiry', 'report')`))
    .addColumn("case_id", "bigint", (c) => c.notNull())
    .addColumn("staff_id", "bigint", (c) => c.references("staff_users.id").onDelete("set null"))
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("case_notes_case_idx").on("case_notes").columns(["case_type", "case_id", "created_at"]).execute();

  await sql`alter table inquiries add column assignee_id bigint references staff_users(id) on delete set null`.execute(db);
  await sql`alter table reports add column assignee_id bigint references staff_users(id) on delete set null`.execute(db);
  // The inbox lists newest first under any one filter; these keep each filter an index scan.
  await sql`create index inquiries_intent_status_time_idx on inquiries (category, status, created_at desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists inquiries_intent_status_time_idx`.execute(db);
  await sql`alter table reports drop column if exists assignee_id`.execute(db);
  await sql`alter table inquiries drop column if exists assignee_id`.execute(db);
  await db.schema.dropTable("case_notes").ifExists().execute();
  await db.schema.dropTable("audit_log").ifExists().execute();
  await db.schema.dropTable("staff_sessions").ifExists().execute();
  await db.schema.dropTable("staff_users").ifExists().execute();
}
