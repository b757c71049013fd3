import { sql, type Kysely } from "kysely";

// Notices (お知らせ配信, issue 7): composed and approved in the staff console, delivered by
// broadcast or in multicast batches. Each batch (its retry key and recipients) is written before it
// is sent, so a delivery resumes after a crash with the same keys; link clicks are counted per notice
// through /r/<token>; one row per rate-limited LINE endpoint is the limiter every process shares.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("notices")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('text', 'image', 'flex')`))
    // What staff wrote (text, image URLs, or a template id with its filled-in values), for editing and review.
    .addColumn("content", "jsonb", (c) => c.notNull())
    // The Messaging API message objects sent, links already pointing at /r/<token>.
    .addColumn("messages", "jsonb", (c) => c.notNull())
    .addColumn("audience", "text", (c) => c.notNull().check(sql`audience in ('all', 'segment')`))
    .addColumn("segment", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("draft").check(sql`status in ('draft', 'pending', 'approved', 'sending', 'sent', 'failed', 'cancelled')`),
    )
    // Null: as soon as it is approved.
    .addColumn("scheduled_at", "timestamptz")
    .addColumn("created_by", "bigint", (c) => c.notNull().references("staff_users.id"))
    .addColumn("approved_by", "bigint", (c) => c.references("staff_users.id"))
    .addColumn("approved_at", "timestamptz")
    .addColumn("cancelled_by", "bigint", (c) => c.references("staff_users.id"))
    .addColumn("cancelled_at", "timestamptz")
    // When an approved notice is due: scheduled_at, or the approval time.
    .addColumn("send_at", "timestamptz")
    .addColumn("claimed_by", "text")
    .addColumn("lease_expires_at", "timestamptz")
    // The last recipient (user_id order) already written into a batch: where planning resumes.
    .addColumn("planned_through", "text")
    .addColumn("planning_done", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("recipient_count", "integer")
    .addColumn("started_at", "timestamptz")
    .addColumn("finished_at", "timestamptz")
    .addColumn("last_error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    // Two people for every notice: the approver is never the author.
    .addCheckConstraint("notices_four_eyes", sql`approved_by is null or approved_by <> created_by`)
    .execute();
  await sql`create index notices_due_idx on notices (send_at) where status in ('approved', 'sending')`.execute(db);
  await db.schema.createIndex("notices_created_idx").on("notices").column("created_at").execute();

  await db.schema
    .createTable("notice_batches")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("notice_id", "bigint", (c) => c.notNull().references("notices.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("method", "text", (c) => c.notNull().check(sql`method in ('broadcast', 'multicast')`))
    .addColumn("retry_key", "uuid", (c) => c.notNull().unique())
    // Null for a broadcast (LINE chooses the recipients: every friend).
    .addColumn("recipients", sql`text[]`)
    .addColumn("recipient_count", "integer", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("pending").check(sql`status in ('pending', 'sent', 'failed')`))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_status", "integer")
    .addColumn("last_error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("sent_at", "timestamptz")
    .addUniqueConstraint("notice_batches_seq_unique", ["notice_id", "seq"])
    .execute();
  await sql`create index notice_batches_open_idx on notice_batches (notice_id, seq) where status = 'pending'`.execute(db);

  await db.schema
    .createTable("notice_links")
    // Random; says which notice and link, nothing about who tapped it.
    .addColumn("token", "text", (c) => c.primaryKey())
    .addColumn("notice_id", "bigint", (c) => c.notNull().references("notices.id").onDelete("cascade"))
    .addColumn("url", "text", (c) => c.notNull())
    .addColumn("clicks", "integer", (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint("notice_links_url_unique", ["notice_id", "url"])
    .execute();

  await db.schema
    .createTable("rate_limits")
    .addColumn("name", "text", (c) => c.primaryKey())
    // The earliest moment the next request may start (a virtual schedule, see src/notices/rate-limiter.ts).
    .addColumn("next_slot_at", "timestamptz", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("rate_limits").ifExists().execute();
  await db.schema.dropTable("notice_links").ifExists().execute();
  await db.schema.dropTable("notice_batches").ifExists().execute();
  await db.schema.dropTable("notices").ifExists().execute();
}
