import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";

// LINE's rate limits are per channel, whichever process sends
// (https://developers.line.biz/en/reference/messaging-api/#rate-limits):
//   Send multicast message: 200 requests per second
//   Send broadcast message: 60 requests per hour
// so the limiter lives in Postgres, where every app process sees it.
export const LINE_RATE_LIMITS = {
  multicast: { name: "line:multicast", perSecond: 200 },
  broadcast: { name: "line:broadcast", perSecond: 60 / 3600 },
} as const;

export interface RateLimit {
  name: string;
  perSecond: number;
}

// A virtual schedule (GCRA without burst): each request reserves the next free slot, one interval
// after the previous reservation, in one atomic statement on the limit's row; the caller waits until
// its slot. Requests from every process are therefore spaced at least 1/rate apart as seen by the
// database clock, and nobody polls. The row is created on first use.
export async function reserveSlot(db: Kysely<Database>, limit: RateLimit): Promise<number> {
  const intervalMs = 1000 / limit.perSecond;
  const { rows } = await sql<{ wait_ms: number | string }>`
    insert into rate_limits as r (name, next_slot_at)
    values (${limit.name}, clock_timestamp() + ${intervalMs} * interval '1 millisecond')
    on conflict (name) do update
       set next_slot_at = greatest(r.next_slot_at, clock_timestamp()) + ${intervalMs} * interval '1 millisecond'
    returning extract(epoch from (r.next_slot_at - ${intervalMs} * interval '1 millisecond' - clock_timestamp())) * 1000 as wait_ms`.execute(db);
  return Math.max(0, Number(rows[0]!.wait_ms));
}

export async function waitForSlot(db: Kysely<Database>, limit: RateLimit): Promise<void> {
  const waitMs = await reserveSlot(db, limit);
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}
