import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";

// The counters behind the login's limits, each changed by one statement, so that parallel
// guesses are counted one by one (no read-then-write).

export interface LockRule {
  // Failed logins in a row that lock the account, and for how long.
  after: number;
  ms: number;
}

export type AccountAttempt =
  // No usable account (unknown login id, or disabled).
  | { kind: "none" }
  // Locked: the password is not checked.
  | { kind: "locked"; staffId: string }
  // Counted as a failure in advance; `locks` when this attempt reached the limit (the lock stands
  // unless the password turns out right).
  | { kind: "counted"; staffId: string; passwordHash: string; failures: number; locks: boolean };

// Counts the attempt against the account before its password is checked: of any number of
// parallel guesses, at most `rule.after` are checked before the lock, and a guess arriving while
// the account is locked is refused. After a lock ends the count starts again from this attempt.
export async function countAccountAttempt(db: Kysely<Database>, loginId: string, now: Date, rule: LockRule): Promise<AccountAttempt> {
  const lockUntil = new Date(now.getTime() + rule.ms);
  const { rows } = await sql<{ id: string; password_hash: string | null; failed_logins: number | null; locks: boolean | null }>`
    with target as (
      select id from staff_users where login_id = ${loginId} and disabled_at is null
    ), counted as (
      update staff_users u
         set failed_logins = case when u.locked_until is null then u.failed_logins + 1 else 1 end,
             locked_until = case when (case when u.locked_until is null then u.failed_logins + 1 else 1 end) >= ${rule.after}
                                 then ${lockUntil}::timestamptz else null end
        from target
       where u.id = target.id and (u.locked_until is null or u.locked_until <= ${now}::timestamptz)
      returning u.id, u.password_hash, u.failed_logins, u.locked_until is not null as locks
    )
    select target.id, counted.password_hash, counted.failed_logins, counted.locks
      from target left join counted on counted.id = target.id`.execute(db);
  const row = rows[0];
  if (!row) return { kind: "none" };
  if (row.password_hash === null) return { kind: "locked", staffId: String(row.id) };
  return { kind: "counted", staffId: String(row.id), passwordHash: row.password_hash, failures: row.failed_logins ?? 0, locks: row.locks === true };
}

// The right password: the failures in a row end (and a lock this very attempt set), and a hash
// made with older parameters is replaced (only if nobody changed it meanwhile).
export async function recordLoginSuccess(db: Kysely<Database>, staffId: string, now: Date, rehash: { from: string; to: string } | null): Promise<void> {
  await db
    .updateTable("staff_users")
    .set((eb) => ({
      failed_logins: 0,
      locked_until: null,
      last_login_at: now,
      ...(rehash ? { password_hash: eb.case().when("password_hash", "=", rehash.from).then(rehash.to).else(eb.ref("password_hash")).end() } : {}),
    }))
    .where("id", "=", staffId)
    .execute();
}

// Counts a login attempt from `address` in its window (a new window when the last one is over)
// and answers how many the window holds and when it ends.
export async function countAddressAttempt(db: Kysely<Database>, address: string, now: Date, windowMs: number): Promise<{ failures: number; windowEndsAt: Date }> {
  const windowOver = new Date(now.getTime() - windowMs);
  const row = await db
    .insertInto("login_address_attempts")
    .values({ address, window_started_at: now, failures: 1 })
    .onConflict((oc) =>
      oc.column("address").doUpdateSet((eb) => ({
        failures: eb.case().when("login_address_attempts.window_started_at", "<=", windowOver).then(1).else(eb("login_address_attempts.failures", "+", 1)).end(),
        window_started_at: eb.case().when("login_address_attempts.window_started_at", "<=", windowOver).then(now).else(eb.ref("login_address_attempts.window_started_at")).end(),
      })),
    )
    .returning(["failures", "window_started_at"])
    .executeTakeFirstOrThrow();
  return { failures: row.failures, windowEndsAt: new Date(row.window_started_at.getTime() + windowMs) };
}

// Gives back an attempt that was not a failure (the right password, or a check never made).
export async function uncountAddressAttempt(db: Kysely<Database>, address: string): Promise<void> {
  await db
    .updateTable("login_address_attempts")
    .set((eb) => ({ failures: sql<number>`greatest(${eb.ref("failures")} - 1, 0)` }))
    .where("address", "=", address)
    .execute();
}

export async function deleteEndedAddressWindows(db: Kysely<Database>, now: Date, windowMs: number): Promise<void> {
  await db.deleteFrom("login_address_attempts").where("window_started_at", "<=", new Date(now.getTime() - windowMs)).execute();
}
