import { migrateToLatest } from "../store/migrate.js";
import { openConfiguredStore } from "./open-configured-store.js";

// npm run db:migrate — applies pending migrations in db/migrations to DATABASE_URL (or the
// embedded database in DATA_DIR). The server also does this at every start.
const store = await openConfiguredStore();
try {
  const applied = await migrateToLatest(store.db);
  process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(", ")}\n` : "The database is up to date.\n");
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
