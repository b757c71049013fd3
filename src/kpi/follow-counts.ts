import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/database.js";

type Db = Kysely<Database> | Transaction<Database>;

// Friends added and lost per day (JST), from the follow and unfollow events the bot received.
// LINE sends unfollow when a friend blocks the account, so "lost" means blocked.
export interface FriendChangeDay {
  // YYYY-MM-DD in Japan Standard Time.
  day: string;
  added: number;
  lost: number;
}

export async function friendChangesPerDay(db: Db, from: Date, to: Date): Promise<FriendChangeDay[]> {
  // Japan has no daylight saving time: +9 hours from UTC gives the JST calendar day on pg and PGlite alike.
  const day = sql<string>`to_char((occurred_at at time zone 'UTC') + interval '9 hours', 'YYYY-MM-DD')`;
  const rows = await db
    .selectFrom("line_follow_events")
    .select([
      day.as("day"),
      sql<string>`count(*) filter (where kind = 'follow')`.as("added"),
      sql<string>`count(*) filter (where kind = 'unfollow')`.as("lost"),
    ])
    .where("occurred_at", ">=", from)
    .where("occurred_at", "<", to)
    .groupBy(day)
    .orderBy(day)
    .execute();
  return rows.map((row) => ({ day: row.day, added: Number(row.added), lost: Number(row.lost) }));
}
