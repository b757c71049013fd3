import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import type { StaffRole } from "../store/tables/staff.js";

// Staff sessions live in the database (any app process can serve any request): the cookie holds a
// random token, the table its sha256. A session ends after SESSION_IDLE_MS without use, or
// SESSION_MAX_MS after login, whichever comes first.
export const SESSION_COOKIE = "hs_staff";
const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
const SESSION_MAX_MS = 12 * 60 * 60 * 1000;

export interface StaffPrincipal {
  id: string;
  loginId: string;
  displayName: string;
  department: string;
  role: StaffRole;
  csrfToken: string;
  sessionId: string;
}

const digest = (token: string) => createHash("sha256").update(token).digest("hex");
export const newToken = () => randomBytes(32).toString("base64url");

export async function createSession(db: Kysely<Database>, staffId: string, now = new Date()): Promise<string> {
  const token = newToken();
  await db
    .insertInto("staff_sessions")
    .values({ id: digest(token), staff_id: staffId, csrf_token: newToken(), created_at: now, last_seen_at: now, expires_at: new Date(now.getTime() + SESSION_MAX_MS) })
    .execute();
  return token;
}

export async function loadSession(db: Kysely<Database>, token: string, now = new Date()): Promise<StaffPrincipal | null> {
  const id = digest(token);
  const row = await db
    .selectFrom("staff_sessions as s")
    .innerJoin("staff_users as u", "u.id", "s.staff_id")
    .select(["s.id as sessionId", "s.csrf_token", "s.last_seen_at", "s.expires_at", "u.id", "u.login_id", "u.display_name", "u.department", "u.role", "u.disabled_at"])
    .where("s.id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  const idleFor = now.getTime() - row.last_seen_at.getTime();
  if (row.disabled_at || row.expires_at.getTime() <= now.getTime() || idleFor > SESSION_IDLE_MS) {
    await db.deleteFrom("staff_sessions").where("id", "=", id).execute();
    return null;
  }
  // Touch at most once a minute: a page with several requests writes once.
  if (idleFor > 60_000) await db.updateTable("staff_sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
  return {
    id: row.id,
    loginId: row.login_id,
    displayName: row.display_name,
    department: row.department,
    role: row.role,
    csrfToken: row.csrf_token,
    sessionId: row.sessionId,
  };
}

export async function endSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom("staff_sessions").where("id", "=", sessionId).execute();
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      // A cookie we cannot decode is not ours.
    }
  }
  return cookies;
}
