import { sql, type Kysely } from "kysely";
import { countRecipients } from "../../notices/segments.js";
import type { Database } from "../../store/database.js";

// Who the account's friends are, as LINE knows it. Locally, the chat page is the LINE app: its
// follow and unfollow events are the only record of friendship, and the bot keeps them in
// line_users, so the stand-in reads them there (for broadcast counts, consumption and profiles).
export interface FriendDirectory {
  count(): Promise<number>;
  countAmong(userIds: string[]): Promise<number>;
  isFriend(userId: string): Promise<boolean>;
}

export function friendsOfTheAccount(db: Kysely<Database>): FriendDirectory {
  const countAmong = async (userIds: string[]) => {
    if (userIds.length === 0) return 0;
    const row = await db
      .selectFrom("line_users")
      .select(sql<string>`count(*)`.as("count"))
      .where("follow_state", "=", "following")
      .where("user_id", "in", userIds)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  };
  return {
    count: () => countRecipients(db, { kind: "all" }),
    countAmong,
    isFriend: async (userId) => (await countAmong([userId])) === 1,
  };
}
