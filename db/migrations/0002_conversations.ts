import { sql, type Kysely } from "kysely";

// Multi-turn conversation state, one row per resident: which flow, which step, the draft so far.
// In the database (not in memory) so any app process can serve the next step and a restart loses
// nothing. A row idle past expires_at is a draft the resident abandoned.
// Hand-offs to staff (the `human` intent) are inquiries with category 'human' and status not closed;
// while one is open the bot stops answering that resident automatically.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("conversations")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    .addColumn("flow", "text", (c) => c.notNull())
    .addColumn("step", "text", (c) => c.notNull())
    .addColumn("data", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // Set when the resident asked something else mid-flow and was asked whether to go on.
    .addColumn("paused", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("conversations_expiry_idx").on("conversations").column("expires_at").execute();
  await sql`create index inquiries_open_handoff_idx on inquiries (user_id) where category = 'human' and status <> 'closed'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists inquiries_open_handoff_idx`.execute(db);
  await db.schema.dropTable("conversations").ifExists().execute();
}
