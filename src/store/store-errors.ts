// What a failed database call says about the database, in words an operator can act on
// (/readyz, logs). Codes: Node's socket errors, pg's own messages, and Postgres SQLSTATEs
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).

const socketCodes: Record<string, string> = {
  ECONNREFUSED: "connection refused: is Postgres running and DATABASE_URL right?",
  ECONNRESET: "connection reset by the database server or the network",
  ETIMEDOUT: "connection timed out: the database host does not answer",
  EHOSTUNREACH: "database host unreachable",
  ENOTFOUND: "database host name not found: check DATABASE_URL",
  EPIPE: "connection closed by the database server",
};

const sqlStates: Record<string, string> = {
  "57P01": "the database server is shutting down (administrator command)",
  "57P02": "the database server crashed and is restarting",
  "57P03": "the database server is starting up or cannot accept connections now",
  "53300": "too many connections to the database",
  "57014": "a statement took too long and was cancelled (statement_timeout)",
  "28P01": "the database refused the password: check DATABASE_URL",
  "3D000": "the database does not exist: check DATABASE_URL",
};

export function storeErrorSummary(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (socketCodes[code]) return socketCodes[code];
    if (sqlStates[code]) return sqlStates[code];
    if (code.startsWith("08")) return `connection to the database failed (SQLSTATE ${code})`;
  }
  const text = typeof message === "string" ? message : String(error);
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(text)) {
    return "no database connection within the time limit: the database is down or overloaded";
  }
  if (/Query read timeout/i.test(text)) return "the database stopped answering mid-statement";
  if (/Connection terminated|Client has encountered a connection error/i.test(text)) return "the connection to the database was lost";
  if (/timed out after/i.test(text)) return "the database did not answer in time";
  return `database error${typeof code === "string" ? ` (SQLSTATE ${code})` : ""}`;
}

// The database could not be reached or dropped the connection: a passing condition, worth
// retrying without counting it against the work that was being done.
export function isConnectionError(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (code in socketCodes || code.startsWith("08") || ["57P01", "57P02", "57P03", "53300", "57014"].includes(code)) return true;
  }
  const text = typeof message === "string" ? message : "";
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|Client has encountered a connection error|Connection ended unexpectedly/i.test(text);
}
