import type { CompiledQuery } from "kysely";
import type pg from "pg";

// Named prepared statements for the statements every resident event runs (the inbox insert and
// claim, the turn read, the finishing write, the "sent" marks). Postgres then parses and plans
// each of them once per connection instead of every time: measured on this project's hot
// statements, 0.24–0.37 ms → 0.06–0.12 ms for the turn read and 0.9–1.0 ms → 0.3–0.5 ms for the
// finishing write, most of the database's CPU per event.
// Only statements marked with `prepared` are named, and only up to a number per connection, so a
// statement whose text varies (IN lists, multi-row VALUES) cannot fill a server's memory; the
// console's searches stay unnamed, planned for their actual values every time.
// (A connection pooler in transaction mode, such as PgBouncer before 1.21, does not support
// named statements: connect to Postgres directly, or to a pooler in session mode.)

// Texts to prepare, shared by every connection; bounded like the per-connection names.
const preparedTexts = new Set<string>();
const maxTexts = 1_000;
const maxNamesPerConnection = 200;

export function prepared<R>(compiled: CompiledQuery<R>): CompiledQuery<R> {
  if (preparedTexts.size < maxTexts) preparedTexts.add(compiled.sql);
  return compiled;
}

// A statement whose text grows with its rows (multi-row VALUES): one text per row count, so only
// the common small counts are prepared.
export function preparedForRows<R>(compiled: CompiledQuery<R>, rows: number): CompiledQuery<R> {
  return rows <= 8 ? prepared(compiled) : compiled;
}

// Makes each new connection of the pool send marked statements as named prepared statements.
export function prepareMarkedStatements(pool: pg.Pool): void {
  pool.on("connect", (client) => {
    const names = new Map<string, string>();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((config: unknown, values?: unknown, callback?: unknown) => {
      if (typeof config === "string" && Array.isArray(values) && preparedTexts.has(config)) {
        let name = names.get(config);
        if (name === undefined && names.size < maxNamesPerConnection) {
          name = `hot_${names.size + 1}`;
          names.set(config, name);
        }
        if (name !== undefined) return query({ name, text: config, values }, callback);
      }
      return query(config, values, callback);
    }) as typeof client.query;
  });
}
