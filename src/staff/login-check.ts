import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { audit } from "./audit.js";
import { createHashLimiter, DEFAULT_HASH_LIMITS, HashQueueFull, type HashLimits } from "./hash-limiter.js";
import { countAccountAttempt, countAddressAttempt, deleteEndedAddressWindows, recordLoginSuccess, uncountAddressAttempt, type LockRule } from "./login-attempts.js";
import { dummyPasswordHash, hashPassword, needsRehash, OWASP_SCRYPT_COST, verifyPassword, type ScryptCost } from "./password.js";

// Deciding a login attempt (README, "Staff console"): ten wrong passwords in a row lock the account
// for 15 minutes; fifty failures from one address in 15 minutes refuse that address for the rest of
// the window; an unknown login id, a wrong password and a locked account get one answer after the
// same work (a password check against a dummy hash when there is no account to check).
export interface LoginSettings {
  // scrypt parameters for new hashes and the dummy check; OWASP's when absent (tests lower them).
  hashCost?: ScryptCost;
  hashLimits?: HashLimits;
  lock?: LockRule;
  addressLimit?: { failures: number; windowMs: number };
  // The clock of locks and address windows (tests move it); system time when absent.
  now?: () => Date;
}

export const DEFAULT_LOCK: LockRule = { after: 10, ms: 15 * 60 * 1000 };
export const DEFAULT_ADDRESS_LIMIT = { failures: 50, windowMs: 15 * 60 * 1000 };
const CLEANUP_EVERY_MS = 60_000;

export type LoginResult =
  | { kind: "accepted"; staffId: string }
  // Unknown login id, wrong password or locked account: deliberately one kind.
  | { kind: "refused" }
  | { kind: "address-limited"; retryAfterSeconds: number }
  | { kind: "busy" };

export function createLoginCheck(db: Kysely<Database>, settings: LoginSettings = {}) {
  const cost = settings.hashCost ?? OWASP_SCRYPT_COST;
  const lock = settings.lock ?? DEFAULT_LOCK;
  const addressLimit = settings.addressLimit ?? DEFAULT_ADDRESS_LIMIT;
  const clock = settings.now ?? (() => new Date());
  const limiter = createHashLimiter(settings.hashLimits ?? DEFAULT_HASH_LIMITS);
  let cleanedAt = Number.NEGATIVE_INFINITY;
  // Made now, so the first unknown login id does not take twice as long as a wrong password.
  dummyPasswordHash(cost).catch(() => {});

  return async function checkLogin(loginId: string, password: string, address: string): Promise<LoginResult> {
    const now = clock();
    if (now.getTime() - cleanedAt >= CLEANUP_EVERY_MS) {
      cleanedAt = now.getTime();
      await deleteEndedAddressWindows(db, now, addressLimit.windowMs);
    }
    const fromAddress = await countAddressAttempt(db, address, now, addressLimit.windowMs);
    if (fromAddress.failures > addressLimit.failures) {
      await audit(db, null, "login.address_limited", null);
      return { kind: "address-limited", retryAfterSeconds: Math.max(1, Math.ceil((fromAddress.windowEndsAt.getTime() - now.getTime()) / 1000)) };
    }
    let checked;
    try {
      checked = await limiter.run(async () => {
        const attempt = await countAccountAttempt(db, loginId, now, lock);
        const right = await verifyPassword(password, attempt.kind === "counted" ? attempt.passwordHash : await dummyPasswordHash(cost));
        if (attempt.kind !== "counted" || !right) return { attempt, right: false, rehash: null };
        const rehash = needsRehash(attempt.passwordHash, cost) ? { from: attempt.passwordHash, to: await hashPassword(password, cost) } : null;
        return { attempt, right: true, rehash };
      });
    } catch (error) {
      if (!(error instanceof HashQueueFull)) throw error;
      await uncountAddressAttempt(db, address);
      return { kind: "busy" };
    }
    const { attempt, right, rehash } = checked;
    if (attempt.kind === "counted" && right) {
      await recordLoginSuccess(db, attempt.staffId, now, rehash);
      await uncountAddressAttempt(db, address);
      await audit(db, { id: attempt.staffId }, "login", { type: "staff_user", id: attempt.staffId }, rehash ? { rehashed: true } : {});
      return { kind: "accepted", staffId: attempt.staffId };
    }
    if (attempt.kind === "none") await audit(db, null, "login.unknown", null);
    else if (attempt.kind === "locked") await audit(db, { id: attempt.staffId }, "login.locked", { type: "staff_user", id: attempt.staffId });
    else await audit(db, { id: attempt.staffId }, attempt.locks ? "login.lock" : "login.failed", { type: "staff_user", id: attempt.staffId }, { failures: attempt.failures });
    return { kind: "refused" };
  };
}
