import { sql, type Kysely } from "kysely";

// The photo of a vacant-house listing, uploaded by staff in the console. Residents' LINE app loads
// it from the public /listing-photos/<id> route while the listing is published. One cover photo
// per listing: uploading another replaces it (with a new id, so no cache serves the old one).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("listing_photos")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("listing_id", "bigint", (c) => c.notNull().unique().references("vacant_house_listings.id").onDelete("cascade"))
    .addColumn("content_type", "text", (c) => c.notNull().check(sql`content_type in ('image/jpeg', 'image/png', 'image/webp')`))
    .addColumn("byte_size", "integer", (c) => c.notNull().check(sql`byte_size > 0`))
    .addColumn("content", "bytea", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("listing_photos").ifExists().execute();
}
