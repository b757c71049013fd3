import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./database.js";
import { PGliteDialect } from "./pglite-dialect.js";
import { deferringDialect } from "./deferred-begin.js";
import { prepareMarkedStatements } from "./prepared-statements.js";
import { lockDataDir } from "./data-dir-lock.js";
import { PGliteListeningSession, PostgresListeningSession, StoreNotifications, type Notifications } from "./notifications.js";

export interface Store {
  db: Kysely<Database>;
  kind: "postgres" | "pglite";
  // LISTEN/NOTIFY between the processes on this database (notifications.ts).
  notifications: Notifications;
  close(): Promise<void>;
}

export type StoreTarget =
  // settings: server settings for every connection (SET name = value), e.g. statement_timeout.
  // onConnectionError: told of a connection that broke (Postgres restarted, a backend was
  // terminated, the network reset it); the pool drops it and opens a new one when next needed.
  | {
      kind: "postgres";
      url: string;
      schema?: string;
      poolSize?: number;
      settings?: Record<string, string>;
      onConnectionError?: (error: Error) => void;
    }
  | { kind: "pglite"; dataDir?: string };

// Bounds on every wait for Postgres, so that a lost or hung database shows up as an error the
// caller can answer (503 to LINE, a retry later) instead of a request that never ends.
export const postgresTimeouts = {
  // Opening a connection, and waiting for a free one from the pool.
  connectMs: 5_000,
  // One statement, on the server; the longest the bot runs (the console's searches, a migration
  // on a large table) take a few seconds at most.
  statementMs: 60_000,
  // The same, on our side: a connection whose server vanished without a reset (a half-open TCP
  // connection) ends here rather than hanging forever.
  queryMs: 65_000,
  // A transaction left open by a hung process releases its locks after this long.
  idleInTransactionMs: 60_000,
};

// int8 and numeric come back as strings on both drivers, so no value is silently rounded and
// code never sees a number on one database and a string on the other.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export async function openStore(target: StoreTarget): Promise<Store> {
  if (target.kind === "postgres") {
    const sessionOptions = Object.entries({
      jit: "off",
      statement_timeout: String(postgresTimeouts.statementMs),
      idle_in_transaction_session_timeout: String(postgresTimeouts.idleInTransactionMs),
      ...(target.schema ? { search_path: target.schema } : {}),
      ...target.settings,
    })
      .map(([name, value]) => `-c ${name}=${value}`)
      .join(" ");
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      connectionTimeoutMillis: postgresTimeouts.connectMs,
      query_timeout: postgresTimeouts.queryMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // No JIT: the console's searches are short OLTP queries whose cost estimates (a walk of the
      // newest cases that stops early) pass JIT's threshold, and compiling costs 100+ ms each time.
      options: sessionOptions,
    });
    // A connection that breaks emits 'error': on the pool while it is idle, on the client itself
    // while it is checked out between two statements. Unheard, either ends the process (Node's
    // rule for an 'error' event without a listener); heard, the pool drops the broken client.
    const onConnectionError = target.onConnectionError ?? (() => {});
    pool.on("error", onConnectionError);
    pool.on("connect", (client) => client.on("error", onConnectionError));
    prepareMarkedStatements(pool);
    const db = new Kysely<Database>({ dialect: deferringDialect(new PostgresDialect({ pool })) });
    const listening = new PostgresListeningSession(
      {
        connectionString: target.url,
        connectionTimeoutMillis: postgresTimeouts.connectMs,
        query_timeout: postgresTimeouts.queryMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        options: sessionOptions,
      },
      onConnectionError,
    );
    const notifications = new StoreNotifications(db, listening);
    return {
      db,
      kind: "postgres",
      notifications,
      close: async () => {
        await notifications.close();
        await db.destroy();
      },
    };
  }
  // Loaded only here: the embedded Postgres adds about 40 MB to a process that never uses it.
  const { PGlite, types } = await import("@electric-sql/pglite");
  // Taken before the directory is read: a second process throws DataDirInUseError having touched
  // nothing. An in-memory database (tests) is nobody else's and takes no lock.
  const lock = target.dataDir ? await lockDataDir(target.dataDir) : null;
  let pglite;
  try {
    pglite = await PGlite.create({
      ...(target.dataDir ? { dataDir: target.dataDir } : {}),
      parsers: { [types.INT8]: (value: string) => value },
    });
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: deferringDialect(new PGliteDialect(pglite)) });
  const notifications = new StoreNotifications(db, new PGliteListeningSession(db, (callback) => pglite.onNotification(callback)));
  return {
    db,
    kind: "pglite",
    notifications,
    close: async () => {
      try {
        await notifications.close();
        await db.destroy();
        await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}
