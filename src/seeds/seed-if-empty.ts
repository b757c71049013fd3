import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { loadSeeds } from "./load-seeds.js";
import { seedDatabase, type SeedSummary } from "./seed-database.js";

// The first start on an empty database loads the city's content by itself; later starts leave
// the data alone (`npm run db:seed` brings the plan's figures up to date on purpose).
export async function seedIfEmpty(db: Kysely<Database>): Promise<SeedSummary | null> {
  const existing = await db.selectFrom("kpi_indicators").select("id").limit(1).executeTakeFirst();
  if (existing) return null;
  return seedDatabase(db, await loadSeeds());
}
