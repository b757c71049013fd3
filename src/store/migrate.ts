import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration, type MigrationProvider, type TableMetadata } from "kysely";
import type { Database } from "./database.js";

const migrationFolder = fileURLToPath(new URL("../../db/migrations", import.meta.url));

// Loads db/migrations/*.ts by name order. Our own provider rather than kysely's
// FileMigrationProvider: the import happens in this module, so it goes through whatever loads our
// TypeScript (tsx when running, vitest in tests).
class MigrationFolder implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(migrationFolder)).filter((file) => /^\d+_[\w-]+\.ts$/.test(file)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const module = (await import(pathToFileURL(path.join(migrationFolder, file)).href)) as Migration;
      migrations[file.replace(/\.ts$/, "")] = { up: module.up, ...(module.down ? { down: module.down } : {}) };
    }
    return migrations;
  }
}

// Runs every pending migration. Kysely's Migrator takes a lock, so several app processes starting
// together on one Postgres apply each migration once.
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in any schema unless told which: name the one this
  // connection works in, or a database holding several schemas (one per test) would confuse it.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]!.schema;
  const migrator = new Migrator({ db: withIntrospectionOf(db, schema), provider: new MigrationFolder(), migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === "Error");
  if (error || failed) {
    const name = failed ? ` (migration ${failed.migrationName})` : "";
    throw new Error(`Database migration failed${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).map((result) => result.migrationName);
}

// The migrator asks whether its bookkeeping tables exist by listing every table of the database,
// and Kysely's Postgres listing resolves each table's name as it goes: a schema dropped by someone
// else meanwhile (another test, another tenant) fails our start with "schema … does not exist".
// This gives the migrator a listing of our own schema's tables only, read from pg_tables.
function withIntrospectionOf(db: Kysely<Database>, schema: string): Kysely<Database> {
  const introspector: DatabaseIntrospector = {
    getSchemas: () => db.introspection.getSchemas(),
    getTables: () => tablesOf(db, schema),
    getMetadata: async () => ({ tables: await tablesOf(db, schema) }),
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === "introspection") return introspector;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function tablesOf(db: Kysely<Database>, schema: string): Promise<TableMetadata[]> {
  const { rows } = await sql<{ name: string }>`select tablename as name from pg_catalog.pg_tables where schemaname = ${schema}`.execute(db);
  return rows.map((row) => ({ name: row.name, schema, isView: false, columns: [] }));
}
