import { sql, type Kysely } from "kysely";

// Which rich menu each resident should see, and whether LINE has been told yet. A row of its own
// (not columns of resident_profiles) because deleting a profile must still unlink the menu it had
// linked: the row outlives the profile until LINE has been told.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("rich_menu_links")
    .addColumn("user_id", "text", (c) => c.primaryKey())
    // The alias of the menu the resident should see; null: the default menu (unlinked).
    .addColumn("wanted_alias", "text")
    // What LINE was last told successfully; null: unlinked (or never linked).
    .addColumn("linked_alias", "text")
    // When the sync job should next try; null: nothing to do.
    .addColumn("due_at", "timestamptz")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("synced_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index rich_menu_links_due_idx on rich_menu_links (due_at) where due_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("rich_menu_links").ifExists().execute();
}
