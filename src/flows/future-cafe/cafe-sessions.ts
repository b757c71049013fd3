import type { Transaction } from "kysely";
import type { Database } from "../../store/database.js";
import type { FutureCafeTexts } from "../flow-texts.js";
import { japanDate, japanTime } from "../../japan-time.js";

// The sessions of ひとよし未来カフェ and a resident's sign-ups, as the flow reads them, and the
// texts that name a session.
const SHOWN = 5;

export interface SessionRow {
  id: string;
  code: string;
  town: string;
  starts_at: Date;
  place: string;
  capacity: number | null;
}

// A template with {date}, {time}, {town} and {place} filled from the session.
export function fillSession(template: string, session: { town: string; starts_at: Date; place: string }): string {
  return template
    .replaceAll("{date}", japanDate(session.starts_at))
    .replaceAll("{time}", japanTime(session.starts_at))
    .replaceAll("{town}", session.town)
    .replaceAll("{place}", session.place);
}

export function reminderText(texts: FutureCafeTexts, session: { town: string; starts_at: Date; place: string }): string {
  return fillSession(texts.reminder, session);
}

export async function upcomingSessions(trx: Transaction<Database>, now: Date): Promise<SessionRow[]> {
  return trx
    .selectFrom("future_cafe_sessions")
    .select(["id", "code", "town", "starts_at", "place", "capacity"])
    .where("status", "=", "scheduled")
    .where("starts_at", ">", now)
    .orderBy("starts_at")
    .limit(SHOWN)
    .execute();
}

export async function openSession(trx: Transaction<Database>, code: string, now: Date): Promise<SessionRow | undefined> {
  return trx
    .selectFrom("future_cafe_sessions")
    .select(["id", "code", "town", "starts_at", "place", "capacity"])
    .where("code", "=", code)
    .where("status", "=", "scheduled")
    .where("starts_at", ">", now)
    .executeTakeFirst();
}

export async function sessionByCode(trx: Transaction<Database>, code: string): Promise<SessionRow | undefined> {
  return trx.selectFrom("future_cafe_sessions").select(["id", "code", "town", "starts_at", "place", "capacity"]).where("code", "=", code).executeTakeFirst();
}

// The resident's coming sign-ups, soonest first.
export async function signupsOf(trx: Transaction<Database>, userId: string, now: Date) {
  return trx
    .selectFrom("future_cafe_signups as s")
    .innerJoin("future_cafe_sessions as c", "c.id", "s.session_id")
    .select(["c.code", "c.town", "c.starts_at", "s.party_size"])
    .where("s.user_id", "=", userId)
    .where("s.cancelled_at", "is", null)
    .where("c.status", "=", "scheduled")
    .where("c.starts_at", ">", now)
    .orderBy("c.starts_at")
    .execute();
}

export async function activeSignup(trx: Transaction<Database>, sessionId: string, userId: string) {
  return trx
    .selectFrom("future_cafe_signups")
    .select(["id", "party_size", "reminder_state"])
    .where("session_id", "=", sessionId)
    .where("user_id", "=", userId)
    .where("cancelled_at", "is", null)
    .executeTakeFirst();
}
