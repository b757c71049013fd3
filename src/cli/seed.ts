import { migrateToLatest } from "../store/migrate.js";
import { loadSeeds } from "../seeds/load-seeds.js";
import { seedDatabase } from "../seeds/seed-database.js";
import { openConfiguredStore } from "./open-configured-store.js";

// npm run db:seed — loads seeds/ into the database. Safe to run again: the plan's KPI figures are
// brought in line with seeds/kpi.yaml; listings and surveys are added only when missing.
const store = await openConfiguredStore();
try {
  await migrateToLatest(store.db);
  const summary = await seedDatabase(store.db, await loadSeeds());
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
