import { sql, type Kysely } from "kysely";

// What a resident chose to tell us for notices (受信設定), every field optional, and the follow and
// block events that make the LINE part of the follower KPI.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("resident_profiles")
    .addColumn("user_id", "text", (c) => c.primaryKey().references("line_users.user_id").onDelete("cascade"))
    // Names from seeds/profile.yaml; a resident who lives elsewhere has residence 'outside'.
    .addColumn("residence", "text", (c) => c.check(sql`residence in ('city', 'outside')`))
    .addColumn("school_district", "text")
    .addColumn("town", "text")
    .addColumn("age_band", "text")
    .addColumn("interests", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Segment selection: one field's values are OR-ed, fields are AND-ed.
  await db.schema.createIndex("resident_profiles_district_idx").on("resident_profiles").column("school_district").execute();
  await db.schema.createIndex("resident_profiles_town_idx").on("resident_profiles").column("town").execute();
  await db.schema.createIndex("resident_profiles_age_idx").on("resident_profiles").column("age_band").execute();
  await sql`create index resident_profiles_interests_idx on resident_profiles using gin (interests)`.execute(db);

  // One row per follow or unfollow event (keyed by the inbox event, so a redelivery or a retried
  // handler counts once): friends added and lost per day.
  await db.schema
    .createTable("line_follow_events")
    .addColumn("webhook_event_id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('follow', 'unfollow')`))
    .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("line_follow_events_time_idx").on("line_follow_events").columns(["occurred_at", "kind"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("line_follow_events").ifExists().execute();
  await db.schema.dropTable("resident_profiles").ifExists().execute();
}
