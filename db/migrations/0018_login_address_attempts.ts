import { sql, type Kysely } from "kysely";

// Failed staff logins per client address (issue 13): guesses spread over many accounts from one
// address are limited too, in Postgres so that every app process counts the same attempts. One row
// per address (an IPv6 client by its /64), a fixed window from the first failure; rows whose
// window is over are deleted by the login route (login-attempts.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("login_address_attempts")
    .addColumn("address", "text", (c) => c.primaryKey())
    .addColumn("window_started_at", "timestamptz", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("login_address_attempts_window_idx").on("login_address_attempts").column("window_started_at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists login_address_attempts`.execute(db);
}
