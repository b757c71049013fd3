import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/database.js";
import { fiscalYearOf, fiscalYearRange } from "../japan-time.js";
import { keptCountBetween } from "./monthly-counts.js";

type Db = Kysely<Database> | Transaction<Database>;

export type LiveSource = "relocation_inquiries" | "vacant_house_contracts" | "line_friends" | "line_procedures";

export interface LiveCount {
  value: number;
  fiscalYear: number;
  countedAt: Date;
  // What exactly was counted, for the resident to read.
  basis: string;
}


// This fiscal year's figure from the bot's own rows, for the indicators it feeds.
export async function liveCount(db: Db, source: LiveSource, now: Date, procedures: readonly string[]): Promise<LiveCount> {
  const fiscalYear = fiscalYearOf(now);
  const { from, to } = fiscalYearRange(fiscalYear);
  const count = async (query: Promise<{ n: string | number | bigint } | undefined>) => Number((await query)?.n ?? 0);
  switch (source) {
    case "relocation_inquiries":
      return {
        value: await keptCountBetween(db, "inquiries.relocation", `${fiscalYear}-04-01`, `${fiscalYear + 1}-04-01`),
        fiscalYear,
        countedAt: now,
        basis: "このLINEで受け付けた移住相談",
      };
    case "vacant_house_contracts":
      return {
        value: await count(
          db
            .selectFrom("vacant_house_listings")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("status", "=", "contracted")
            .where(sql<boolean>`contracted_at >= ${from.toISOString().slice(0, 10)}::date and contracted_at < ${to.toISOString().slice(0, 10)}::date`)
            .executeTakeFirst(),
        ),
        fiscalYear,
        countedAt: now,
        basis: "空き家バンクで成約が記録された物件",
      };
    case "line_friends":
      return {
        value: await keptCountBetween(db, "friends", "-infinity", "infinity"),
        fiscalYear,
        countedAt: now,
        // Friends by their current state (line_users), not follows minus blocks from the events: a
        // friend who blocks and unblocks twice is one friend, and friends from before the bot who
        // have written to it count although no follow event of theirs was ever received.
        basis: "このLINEの友だち数（ブロック中の方を除く）。計画の数字はSNS全体のフォロワー数で、この数はそのうちLINEの分だけです",
      };
    case "line_procedures":
      return { value: procedures.length, fiscalYear, countedAt: now, basis: `このLINEでできる手続き（${procedures.join("、")}）` };
  }
}
