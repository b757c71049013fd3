import { CompiledQuery, type Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.js";
import type { InboxEventRow } from "../../src/store/tables/inbox.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { claimNextEvents, markEventDone, markEventFailedAttempt } from "../../src/inbox/inbox-queries.js";
import { storePerTest, testDatabases } from "../support/test-store.js";

// The inbox claim (src/inbox/inbox-queries.ts, migration 0016): a resident's event is claimed only
// once their earlier one is finished, however it ends; and the claim's cost does not grow with the
// number of events waiting behind earlier ones (issue 12: 21.5 ms per claim at 4,950 waiting).
describe.each(testDatabases)("inbox claim on $name", { timeout: 120_000 }, (database) => {
  const open = storePerTest(database, async (db) => {
    await migrateToLatest(db);
  });

  // A user's events, a second apart; the first one held by another worker when `firstHeld`.
  let clock = Date.parse("2026-04-01T00:00:00Z");
  const insertEvents = async (db: Kysely<Database>, userId: string, count: number, firstHeld: boolean) => {
    const rows = Array.from({ length: count }, (_, index) => {
      clock += 1_000;
      const held = firstHeld && index === 0;
      return {
        webhook_event_id: `${userId}-${index}`,
        event_type: "message",
        user_id: userId,
        payload: JSON.stringify({ type: "message" }),
        event_time: new Date(clock),
        received_at: new Date(),
        next_attempt_at: new Date(Date.now() - 60_000 + index),
        status: held ? ("processing" as const) : ("pending" as const),
        attempts: held ? 1 : 0,
        claimed_by: held ? "another-worker" : null,
        lease_expires_at: held ? new Date(Date.now() + 60_000) : null,
      };
    });
    for (let start = 0; start < rows.length; start += 1_000) await db.insertInto("inbox_events").values(rows.slice(start, start + 1_000)).execute();
  };
  const event = (db: Kysely<Database>, id: string): Promise<InboxEventRow> => db.selectFrom("inbox_events").selectAll().where("webhook_event_id", "=", id).executeTakeFirstOrThrow();
  const claim = async (db: Kysely<Database>) => (await claimNextEvents(db, "this-worker", 10, 60_000)).map((row) => row.webhook_event_id).sort();

  it("claims a resident's next event once the earlier one is done, failed or deleted, and not while it is retried", async () => {
    const db = await open();
    await insertEvents(db, "Udone", 3, true);
    await insertEvents(db, "Ufree", 1, false);
    await insertEvents(db, "Udeleted", 2, true);
    await insertEvents(db, "Uretried", 2, true);

    expect(await claim(db)).toEqual(["Ufree-0"]);
    // Set aside until their turn: later claims do not read them again.
    const heldBack = await db.selectFrom("inbox_events").select("webhook_event_id").where("held_back", "=", true).orderBy("webhook_event_id").execute();
    expect(heldBack.map((row) => row.webhook_event_id)).toEqual(["Udeleted-1", "Udone-1", "Udone-2", "Uretried-1"]);
    expect(await claim(db)).toEqual([]);

    expect(await markEventDone(db, await event(db, "Udone-0"))).toBe(true);
    await db.deleteFrom("inbox_events").where("webhook_event_id", "=", "Udeleted-0").execute();
    // Retried later: still unfinished, so the resident's next event keeps waiting.
    await markEventFailedAttempt(db, await event(db, "Uretried-0"), "LINE timed out", 0);
    expect(await claim(db)).toEqual(["Udeleted-1", "Udone-1", "Uretried-0"]);

    await markEventFailedAttempt(db, await event(db, "Udone-1"), "the handler failed for good", null);
    expect(await claim(db)).toEqual(["Udone-2"]);
  });

  it("reads about as much for a claim with 3,000 events waiting as the events it can take", async () => {
    const db = await open();
    // 300 residents with ten events each, the first of each being handled by another worker.
    for (let user = 0; user < 300; user += 1) await insertEvents(db, `U${String(user).padStart(4, "0")}`, 10, true);
    await insertEvents(db, "Uready", 1, false);
    // The first claims set aside the waiting events they read (each is read once).
    let claimed: string[] = [];
    for (let call = 0; call < 20 && claimed.length === 0; call += 1) claimed = await claim(db);
    expect(claimed).toEqual(["Uready-0"]);
    expect(await claim(db)).toEqual([]);

    const pages = await pagesReadBy(db, (capturing) => claimNextEvents(capturing, "this-worker", 10, 60_000));
    // Before migration 0016 this claim read every waiting event and its user's earlier one:
    // about 9,000 pages here.
    expect(pages).toBeLessThan(200);
  });
});

// Buffer pages (shared hit + read) the statement `run` sends reads, measured by EXPLAIN ANALYZE in
// a transaction rolled back.
async function pagesReadBy(db: Kysely<Database>, run: (db: Kysely<Database>) => Promise<unknown>): Promise<number> {
  let statement: CompiledQuery | null = null;
  const capturing = new Proxy(db, {
    get(target, property) {
      if (property === "executeQuery") {
        return async (query: CompiledQuery) => {
          statement ??= query;
          return { rows: [] };
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  await run(capturing);
  const explained = statement as CompiledQuery | null;
  if (!explained) throw new Error("the function ran no statement");
  let pages = Number.NaN;
  const rollback = new Error("rollback");
  await db
    .transaction()
    .execute(async (trx) => {
      const { rows } = await trx.executeQuery(CompiledQuery.raw(`explain (analyze, buffers, format json) ${explained.sql}`, [...explained.parameters]));
      const cell = Object.values(rows[0] as Record<string, unknown>)[0];
      const plan = (typeof cell === "string" ? JSON.parse(cell) : cell) as { Plan: Record<string, number> }[];
      pages = (plan[0]!.Plan["Shared Hit Blocks"] ?? 0) + (plan[0]!.Plan["Shared Read Blocks"] ?? 0);
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  return pages;
}
