import { sql, type CreateTableBuilder, type Kysely } from "kysely";

// What an inquiry (問い合わせ) and a citizen report (通報) share: a reference number the resident
// is given, the resident, a category, a status staff move along, and the department in charge (担当課).
function caseColumns<T extends string>(table: CreateTableBuilder<T>): CreateTableBuilder<T> {
  return table
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("reference_no", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("category", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("new").check(sql`status in ('new', 'in_progress', 'closed')`))
    .addColumn("department", "text", (c) => c.notNull());
}

// The same migration runs on real Postgres and on PGlite: plain Postgres types only, no extensions.
// Timestamps are timestamptz; JSON is jsonb; money and counts are integers or numeric.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("line_users")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    .addColumn("follow_state", "text", (c) =>
      c.notNull().defaultTo("unknown").check(sql`follow_state in ('following', 'blocked', 'unknown')`),
    )
    .addColumn("first_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_seen_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("followed_at", "timestamptz")
    .addColumn("blocked_at", "timestamptz")
    .execute();
  await db.schema.createIndex("line_users_follow_state_idx").on("line_users").columns(["follow_state", "last_seen_at"]).execute();

  // The durable inbox: one row per webhook event, keyed by LINE's webhookEventId so that a
  // duplicate or redelivered event is a no-op. Workers claim rows with FOR UPDATE SKIP LOCKED.
  await db.schema
    .createTable("inbox_events")
    .addColumn("webhook_event_id", "text", (c) => c.primaryKey())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("user_id", "text")
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("event_time", "timestamptz", (c) => c.notNull())
    .addColumn("is_redelivery", "boolean", (c) => c.notNull().defaultTo(false))
    // Order of arrival: breaks ties between a user's events with the same millisecond timestamp
    // (LINE sends them in order within one body).
    .addColumn("arrival_seq", "bigserial", (c) => c.notNull())
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("pending").check(sql`status in ('pending', 'processing', 'done', 'failed')`),
    )
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("claimed_by", "text")
    .addColumn("lease_expires_at", "timestamptz")
    .addColumn("last_error", "text")
    .addColumn("handled_at", "timestamptz")
    .execute();
  // Partial index: the worker only ever scans rows that still need work.
  await sql`create index inbox_events_due_idx on inbox_events (next_attempt_at) where status in ('pending', 'processing')`.execute(db);
  await db.schema.createIndex("inbox_events_status_idx").on("inbox_events").columns(["status", "received_at"]).execute();
  // Serves the per-user ordering check of the claim query (an earlier unfinished event of the user).
  await sql`create index inbox_events_user_open_idx on inbox_events (user_id, event_time, arrival_seq) where status in ('pending', 'processing')`.execute(db);

  // Outgoing messages waiting to be delivered (the outbox). A handler writes these in the same
  // transaction as its other rows; a dispatcher sends them as a reply or, when the reply token has
  // gone stale, as a push carrying retry_key as X-Line-Retry-Key.
  await db.schema
    .createTable("outbound_messages")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("inbox_event_id", "text", (c) => c.references("inbox_events.webhook_event_id"))
    .addColumn("reply_token", "text")
    .addColumn("reply_deadline", "timestamptz")
    .addColumn("messages", "jsonb", (c) => c.notNull())
    .addColumn("retry_key", "uuid", (c) => c.notNull().unique())
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("pending").check(sql`status in ('pending', 'sending', 'sent', 'failed', 'skipped')`),
    )
    .addColumn("method", "text", (c) => c.check(sql`method in ('reply', 'push')`))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("next_attempt_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("claimed_by", "text")
    .addColumn("lease_expires_at", "timestamptz")
    .addColumn("last_status", "integer")
    .addColumn("last_error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("sent_at", "timestamptz")
    .execute();
  await sql`create index outbound_messages_due_idx on outbound_messages (next_attempt_at) where status in ('pending', 'sending')`.execute(db);
  await db.schema.createIndex("outbound_messages_user_idx").on("outbound_messages").columns(["user_id", "created_at"]).execute();

  // Every message in and out, as staff will read it in the console.
  await db.schema
    .createTable("messages")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("direction", "text", (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn("message_type", "text", (c) => c.notNull())
    .addColumn("text", "text")
    .addColumn("payload", "jsonb")
    .addColumn("intent", "text")
    .addColumn("confidence", "real")
    .addColumn("inbox_event_id", "text")
    .addColumn("outbound_id", "bigint", (c) => c.references("outbound_messages.id"))
    .addColumn("line_message_id", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("messages_user_time_idx").on("messages").columns(["user_id", "created_at"]).execute();
  await db.schema.createIndex("messages_intent_time_idx").on("messages").columns(["intent", "created_at"]).execute();
  await db.schema.createIndex("messages_time_idx").on("messages").column("created_at").execute();
  // One incoming row per LINE message even if a handler is retried after a partial failure.
  await sql`create unique index messages_inbound_event_uq on messages (inbox_event_id) where direction = 'in'`.execute(db);

  await db.schema
    .createTable("inquiries")
    .$call(caseColumns)
    .addColumn("subject", "text")
    .addColumn("details", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("listing_id", "bigint")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("closed_at", "timestamptz")
    .execute();
  await db.schema.createIndex("inquiries_dept_status_time_idx").on("inquiries").columns(["department", "status", "created_at"]).execute();
  await db.schema.createIndex("inquiries_category_time_idx").on("inquiries").columns(["category", "created_at"]).execute();
  await db.schema.createIndex("inquiries_status_time_idx").on("inquiries").columns(["status", "created_at"]).execute();
  await db.schema.createIndex("inquiries_time_idx").on("inquiries").column("created_at").execute();
  await db.schema.createIndex("inquiries_user_idx").on("inquiries").columns(["user_id", "created_at"]).execute();

  await db.schema
    .createTable("reports")
    .$call(caseColumns)
    .addColumn("description", "text")
    .addColumn("address", "text")
    .addColumn("latitude", "double precision")
    .addColumn("longitude", "double precision")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("closed_at", "timestamptz")
    .execute();
  await db.schema.createIndex("reports_dept_status_time_idx").on("reports").columns(["department", "status", "created_at"]).execute();
  await db.schema.createIndex("reports_category_time_idx").on("reports").columns(["category", "created_at"]).execute();
  await db.schema.createIndex("reports_user_idx").on("reports").columns(["user_id", "created_at"]).execute();

  await db.schema
    .createTable("report_photos")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("report_id", "bigint", (c) => c.notNull().references("reports.id").onDelete("cascade"))
    .addColumn("line_message_id", "text")
    .addColumn("content_type", "text", (c) => c.notNull())
    .addColumn("byte_size", "integer", (c) => c.notNull())
    .addColumn("content", "bytea", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("report_photos_report_idx").on("report_photos").column("report_id").execute();

  await db.schema
    .createTable("surveys")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("slug", "text", (c) => c.notNull().unique())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("description", "text")
    .addColumn("department", "text")
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("draft").check(sql`status in ('draft', 'open', 'closed')`),
    )
    .addColumn("audience", "text", (c) => c.notNull().defaultTo("all").check(sql`audience in ('all', 'link')`))
    .addColumn("opens_at", "timestamptz")
    .addColumn("closes_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("surveys_status_idx").on("surveys").columns(["status", "opens_at"]).execute();

  await db.schema
    .createTable("survey_questions")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("survey_id", "bigint", (c) => c.notNull().references("surveys.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('single', 'multiple', 'scale', 'text')`))
    .addColumn("prompt", "text", (c) => c.notNull())
    .addColumn("options", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("required", "boolean", (c) => c.notNull().defaultTo(true))
    .addUniqueConstraint("survey_questions_position_uq", ["survey_id", "position"])
    .execute();

  await db.schema
    .createTable("survey_responses")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("survey_id", "bigint", (c) => c.notNull().references("surveys.id").onDelete("cascade"))
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("submitted_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("survey_responses_one_per_user_uq", ["survey_id", "user_id"])
    .execute();
  await db.schema.createIndex("survey_responses_time_idx").on("survey_responses").columns(["survey_id", "submitted_at"]).execute();

  await db.schema
    .createTable("survey_answers")
    .addColumn("response_id", "bigint", (c) => c.notNull().references("survey_responses.id").onDelete("cascade"))
    .addColumn("question_id", "bigint", (c) => c.notNull().references("survey_questions.id").onDelete("cascade"))
    .addColumn("value", "jsonb", (c) => c.notNull())
    .addPrimaryKeyConstraint("survey_answers_pk", ["response_id", "question_id"])
    .execute();

  await db.schema
    .createTable("vacant_house_listings")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("code", "text", (c) => c.notNull().unique())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("area", "text", (c) => c.notNull())
    .addColumn("address", "text")
    .addColumn("deal_type", "text", (c) => c.notNull().check(sql`deal_type in ('rent', 'sale')`))
    .addColumn("price_yen", "integer", (c) => c.notNull())
    .addColumn("layout", "text")
    .addColumn("floor_area_sqm", "numeric")
    .addColumn("land_area_sqm", "numeric")
    .addColumn("built_year", "integer")
    .addColumn("description", "text")
    .addColumn("photo_url", "text")
    .addColumn("status", "text", (c) =>
      c.notNull().defaultTo("published").check(sql`status in ('draft', 'published', 'unpublished', 'contracted')`),
    )
    .addColumn("contracted_at", "date")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("vacant_house_listings_search_idx")
    .on("vacant_house_listings")
    .columns(["status", "deal_type", "area", "price_yen"])
    .execute();
  await db.schema.createIndex("vacant_house_listings_contracted_idx").on("vacant_house_listings").column("contracted_at").execute();

  // KPI indicators of the plan. One row per indicator; every yearly figure (actual or target) goes
  // to kpi_values with the place in the plan it came from, because the plan sometimes gives two
  // different figures for one year (the KPI table and a project sheet): both are kept.
  await db.schema
    .createTable("kpi_indicators")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("aliases", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("unit", "text", (c) => c.notNull())
    .addColumn("policy_no", "integer", (c) => c.notNull())
    .addColumn("policy_name", "text", (c) => c.notNull())
    .addColumn("level", "text", (c) => c.notNull().check(sql`level in ('policy', 'project')`))
    .addColumn("baseline_value", "numeric")
    .addColumn("achievement_mark", "text")
    .addColumn("target_value", "numeric")
    .addColumn("departments", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("live_source", "text")
    .addColumn("note", "text")
    .addColumn("position", "integer", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("kpi_values")
    .addColumn("indicator_id", "text", (c) => c.notNull().references("kpi_indicators.id").onDelete("cascade"))
    .addColumn("fiscal_year", "integer", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('actual', 'target')`))
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("value", "numeric", (c) => c.notNull())
    .addPrimaryKeyConstraint("kpi_values_pk", ["indicator_id", "fiscal_year", "kind", "source"])
    .execute();

  // Reference numbers (問い合わせ番号) come from one sequence per kind so they never repeat,
  // whichever process writes them.
  await sql`create sequence inquiry_reference_seq`.execute(db);
  await sql`create sequence report_reference_seq`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "kpi_values",
    "kpi_indicators",
    "vacant_house_listings",
    "survey_answers",
    "survey_responses",
    "survey_questions",
    "surveys",
    "report_photos",
    "reports",
    "inquiries",
    "messages",
    "outbound_messages",
    "inbox_events",
    "line_users",
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`drop sequence if exists inquiry_reference_seq`.execute(db);
  await sql`drop sequence if exists report_reference_seq`.execute(db);
}
