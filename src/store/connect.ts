import { mkdir } from "node:fs/promises";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./database.js";
import { PGliteDialect } from "./pglite-dialect.js";
import { deferringDialect } from "./deferred-begin.js";
import { prepareMarkedStatements } from "./prepared-statements.js";

export interface Store {
  db: Kysely<Database>;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

export type StoreTarget =
  // settings: server settings for every connection (SET name = value), e.g. statement_timeout.
  | { kind: "postgres"; url: string; schema?: string; poolSize?: number; settings?: Record<string, string> }
  | { kind: "pglite"; dataDir?: string };

// int8 and numeric come back as strings on both drivers, so no value is silently rounded and
// code never sees a number on one database and a string on the other.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export async function openStore(target: StoreTarget): Promise<Store> {
  if (target.kind === "postgres") {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      // No JIT: the console's searches are short OLTP queries whose cost estimates (a walk of the
      // newest cases that stops early) pass JIT's threshold, and compiling costs 100+ ms each time.
      options: Object.entries({ jit: "off", ...(target.schema ? { search_path: target.schema } : {}), ...target.settings })
        .map(([name, value]) => `-c ${name}=${value}`)
        .join(" "),
    });
    prepareMarkedStatements(pool);
    const db = new Kysely<Database>({ dialect: deferringDialect(new PostgresDialect({ pool })) });
    return { db, kind: "postgres", close: () => db.destroy() };
  }
  // Loaded only here: the embedded Postgres adds about 40 MB to a process that never uses it.
  const { PGlite, types } = await import("@electric-sql/pglite");
  if (target.dataDir) await mkdir(target.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(target.dataDir ? { dataDir: target.dataDir } : {}),
    parsers: { [types.INT8]: (value: string) => value },
  });
  const db = new Kysely<Database>({ dialect: deferringDialect(new PGliteDialect(pglite)) });
  return {
    db,
    kind: "pglite",
    close: async () => {
      await db.destroy();
      await pglite.close();
    },
  };
}
