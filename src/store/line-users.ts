import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";

type Db = Kysely<Database> | Transaction<Database>;

// Any event from a user: remember them and when we last heard from them. Someone who writes to
// the account without a follow event on record (a friend from before the bot) is following.
export async function recordUserSeen(db: Db, userId: string, at: Date): Promise<void> {
  await userSeenQuery(db, userId, at).execute();
}

// The statement of recordUserSeen, to be run alone or as part of a larger one (resident-turn.ts).
export function userSeenQuery(db: Db, userId: string, at: Date) {
  return db
    .insertInto("line_users")
    .values({ user_id: userId, follow_state: "following", first_seen_at: at, last_seen_at: at })
    .onConflict((conflict) =>
      conflict.column("user_id").doUpdateSet({
        last_seen_at: sql`greatest(line_users.last_seen_at, excluded.last_seen_at)`,
        first_seen_at: sql`least(line_users.first_seen_at, excluded.first_seen_at)`,
        follow_state: sql`case when line_users.follow_state = 'unknown' then 'following' else line_users.follow_state end`,
      }),
    );
}

// How long what a resident writes back outside any flow belongs to the case whose page last wrote
// to them (a staff reply, a report's status notice), unless the case is closed before.
export const REPLY_ON_CASE_DAYS = 14;

// A case's page wrote to the resident: their answers in free chat go to that case for a while.
export async function awaitReplyOnCase(db: Db, userId: string, thread: string, at: Date): Promise<void> {
  await db
    .updateTable("line_users")
    .set({ reply_thread_id: thread, reply_thread_until: new Date(at.getTime() + REPLY_ON_CASE_DAYS * 86_400_000) })
    .where("user_id", "=", userId)
    .execute();
}

// The case was closed: what the resident writes next belongs to no case.
export async function endReplyOnCase(db: Db, userId: string, thread: string): Promise<void> {
  await db.updateTable("line_users").set({ reply_thread_id: null, reply_thread_until: null }).where("user_id", "=", userId).where("reply_thread_id", "=", thread).execute();
}

// Follow (friend added or unblocked) and unfollow (blocked: from then on nothing may be pushed to
// them, as LINE sends unfollow when a user blocks the account).
export function recordFollow(db: Db, userId: string, at: Date): Promise<void> {
  return recordFollowState(db, userId, at, "following");
}

export function recordBlock(db: Db, userId: string, at: Date): Promise<void> {
  return recordFollowState(db, userId, at, "blocked");
}

async function recordFollowState(db: Db, userId: string, at: Date, state: "following" | "blocked"): Promise<void> {
  const change = state === "following" ? { followed_at: at, blocked_at: null } : { blocked_at: at };
  await db
    .insertInto("line_users")
    .values({ user_id: userId, follow_state: state, first_seen_at: at, last_seen_at: at, ...change })
    .onConflict((conflict) =>
      conflict.column("user_id").doUpdateSet({
        follow_state: state,
        ...change,
        last_seen_at: sql`greatest(line_users.last_seen_at, excluded.last_seen_at)`,
      }),
    )
    .execute();
}

// One row per follow or unfollow event, keyed by the event: a redelivered or retried event is
// counted once. Friends added and lost per day are counted from these.
export async function recordFollowEvent(db: Db, event: { webhookEventId: string; userId: string; kind: "follow" | "unfollow"; at: Date }): Promise<void> {
  await db
    .insertInto("line_follow_events")
    .values({ webhook_event_id: event.webhookEventId, user_id: event.userId, kind: event.kind, occurred_at: event.at })
    .onConflict((conflict) => conflict.column("webhook_event_id").doNothing())
    .execute();
}
