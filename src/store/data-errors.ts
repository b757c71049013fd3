// Whether a failed statement failed because of the values it carried (the same statement would
// fail again, whatever the database's state), as opposed to a database that cannot be reached or
// a bug in the statement. SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html):
// - 22 data exception: a NUL byte in text (22021), "\u0000" or a lone surrogate in jsonb (22P05,
//   22P02), a date out of range (22007, 22008, 22009), a number out of range (22003), …;
// - 54 program limit exceeded: a value nested too deep to parse (54001), too many parameters (54023);
// - 23 integrity constraint violation (a NULL in a NOT NULL column, a failed CHECK), except 23505
//   unique_violation: that is the expected conflict of two writers of the same row (ON CONFLICT
//   makes it a no-op where it is expected), a race to retry, not a bad value.
// Errors without a SQLSTATE (a socket error, a timeout, an error of the driver) are not data errors.
// Both drivers (pg and PGlite) put the SQLSTATE in the error's `code`.
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return false;
  const sqlClass = code.slice(0, 2);
  return sqlClass === "22" || sqlClass === "54" || (sqlClass === "23" && code !== "23505");
}
