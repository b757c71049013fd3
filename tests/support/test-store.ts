import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Kysely } from "kysely";
import { afterEach } from "vitest";
import { openStore, type Store, type StoreTarget } from "../../src/store/connect.js";
import type { Database } from "../../src/store/database.js";

// Every suite runs on the embedded database, and on real Postgres too when TEST_DATABASE_URL is set
// (CI sets it). On Postgres each use gets a schema of its own, dropped afterwards, so test files
// can run in parallel on one database.
export interface TestDatabase {
  name: "pglite" | "postgres";
  // A fresh, empty database target; `dataDir` makes the PGlite one survive a restart.
  create(options?: { dataDir?: string }): Promise<{ target: StoreTarget; drop(): Promise<void> }>;
}

const postgresUrl = process.env.TEST_DATABASE_URL;

const pglite: TestDatabase = {
  name: "pglite",
  async create(options = {}) {
    return { target: { kind: "pglite", ...(options.dataDir ? { dataDir: options.dataDir } : {}) }, drop: async () => {} };
  },
};

const postgres = (url: string): TestDatabase => ({
  name: "postgres",
  async create() {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    await adminQuery(url, `create schema ${schema}`);
    return {
      // Generic plans from the first run of a prepared statement (src/store/prepared-statements.ts),
      // instead of after five: a statement that only works with its values known fails every time.
      target: { kind: "postgres", url, schema, poolSize: 5, settings: { plan_cache_mode: "force_generic_plan" } },
      drop: () => adminQuery(url, `drop schema if exists ${schema} cascade`),
    };
  },
});

// One statement on its own connection (creating or dropping a schema).
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export const testDatabases: TestDatabase[] = [pglite, ...(postgresUrl ? [postgres(postgresUrl)] : [])];

// A store on a fresh database for each test of a suite, closed and dropped after it: call in the
// suite's body; `open()` in a test makes the store, `prepare` readies it (migrations, tables).
export function storePerTest(database: TestDatabase, prepare: (db: Kysely<Database>) => Promise<void>): () => Promise<Kysely<Database>> {
  let store: Store | null = null;
  let drop: () => Promise<void> = async () => {};
  afterEach(async () => {
    await store?.close();
    store = null;
    await drop();
  });
  return async () => {
    const created = await database.create();
    drop = created.drop;
    store = await openStore(created.target);
    await prepare(store.db);
    return store.db;
  };
}
