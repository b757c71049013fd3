import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/database.js";

type Db = Kysely<Database> | Transaction<Database>;

// Counts by month in Japan, kept by triggers in monthly_counts (migration 0010), so a live figure
// reads a dozen rows instead of counting a city's inquiries or friends. Inquiries are counted as
// received: erasing a resident's data does not lower them (migration 0015); friends are the
// friends there are now.
export type MonthlyCounter = `inquiries.${string}` | "friends";

// Each month's count (months given by their first day, 'YYYY-MM-DD', in order) and the count of
// everything before the first of them.
export async function keptMonthlyCounts(db: Db, counter: MonthlyCounter, firstDays: readonly string[], end: string): Promise<{ months: number[]; before: number }> {
  const rows = await db
    .selectFrom("monthly_counts")
    .select([sql<string>`to_char(month, 'YYYY-MM-DD')`.as("day"), sql<boolean>`month < ${firstDays[0]}::date`.as("before"), "n"])
    .where("counter", "=", counter)
    .where(sql<boolean>`month < ${end}::date`)
    .execute();
  const byDay = new Map(rows.filter((row) => !row.before).map((row) => [row.day, Number(row.n)]));
  return {
    months: firstDays.map((day) => byDay.get(day) ?? 0),
    before: rows.filter((row) => row.before).reduce((sum, row) => sum + Number(row.n), 0),
  };
}

// The sum over [from, to), months given by their first day.
export async function keptCountBetween(db: Db, counter: MonthlyCounter, from: string, to: string): Promise<number> {
  const row = await db
    .selectFrom("monthly_counts")
    .select((eb) => eb.fn.sum<string>("n").as("n"))
    .where("counter", "=", counter)
    .where(sql<boolean>`month >= ${from}::date and month < ${to}::date`)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
