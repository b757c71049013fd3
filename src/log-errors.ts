import { createHash } from "node:crypto";

// How errors and residents' ids appear in log lines. Logs go to the hosting provider and to vendors
// who help with incidents, and are kept longer than the data itself, so nothing a resident wrote and
// no LINE user id may reach them (README "Personal data").
//
// A Postgres error (pg, PGlite) describes the row it refused: `detail` ("Key (user_id)=(U…) already
// exists."), `where`, `internalQuery`, the statement's parameters, and in data errors the value
// itself in the message (`invalid input syntax for type integer: "…"`). Only the fields that name
// what failed are kept: the SQLSTATE code, the severity, the constraint, table, column, schema and
// data type, and the message with quoted values removed from data errors (class 22).
const DATABASE_FIELDS_KEPT = new Set(["code", "severity", "constraint", "table", "column", "schema", "dataType", "routine", "name", "length"]);
const MAX_CAUSE_DEPTH = 5;

export function serializeError(value: unknown, depth = 0): unknown {
  if (typeof value !== "object" || value === null) return value;
  const source = value as Record<string, unknown>;
  const database = isDatabaseError(source);
  const out: Record<string, unknown> = { type: (value as object).constructor?.name ?? "Object" };
  const message = typeof source.message === "string" ? (database ? messageWithoutValues(source.message, String(source.code)) : source.message) : undefined;
  if (message !== undefined) out.message = message;
  if (typeof source.stack === "string") out.stack = database ? stackWithMessage(source.stack, message ?? "") : source.stack;
  for (const key of Object.keys(source)) {
    if (key === "message" || key === "stack") continue;
    if (database && !DATABASE_FIELDS_KEPT.has(key)) continue;
    out[key] = source[key];
  }
  if (source.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeError(source.cause, depth + 1);
  if (Array.isArray(source.errors) && depth < MAX_CAUSE_DEPTH) out.errors = source.errors.map((inner) => serializeError(inner, depth + 1));
  return out;
}

// A SQLSTATE (five digits or capitals) from the server, as pg's DatabaseError and PGlite carry it.
function isDatabaseError(source: Record<string, unknown>): boolean {
  return typeof source.code === "string" && /^[0-9A-Z]{5}$/.test(source.code) && ("severity" in source || "routine" in source || "detail" in source);
}

// Data exceptions quote the value they could not take; names in other messages (constraints,
// relations, columns) stay, since they are what staff and vendors look for.
function messageWithoutValues(message: string, code: string): string {
  if (!code.startsWith("22")) return message;
  return message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"').replace(/: (?!")[^:]*$/, (tail) => (/^: 0x[0-9a-f ]+$/i.test(tail) ? tail : ": [redacted]"));
}

// The stack's frames under the cleaned message (the first line of a V8 stack repeats the message).
function stackWithMessage(stack: string, message: string): string {
  const frames = stack.split("\n").filter((line) => /^\s+at /.test(line));
  return [`error: ${message}`, ...frames].join("\n");
}

// A LINE user id in a log line becomes a short pseudonym: lines about one resident can still be
// followed together, but the id that reaches them through LINE is not in the log.
export function userPseudonym(value: unknown): string {
  return typeof value === "string" ? `user:${createHash("sha256").update(value).digest("hex").slice(0, 12)}` : "[redacted]";
}
