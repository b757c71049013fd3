import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/connect.js";
import { migrateToLatest } from "../../src/store/migrate.js";
import { reserveSlot } from "../../src/notices/rate-limiter.js";
import { testDatabases } from "../support/test-store.js";

// The limiter every app process shares: requests reserved at once, from two connections pools
// (two processes) on Postgres, are scheduled one interval apart and none shares a slot.
describe.each(testDatabases)("the shared rate limiter on $name", { timeout: 120_000 }, (database) => {
  const opened: Store[] = [];
  let drop: () => Promise<void> = async () => {};
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await drop();
  });

  it("spaces 40 requests made at once by two processes at least 1/rate apart", async () => {
    const created = await database.create();
    drop = created.drop;
    const first = await openStore(created.target);
    opened.push(first);
    await migrateToLatest(first.db);
    const second = database.name === "postgres" ? await openStore(created.target) : first;
    if (second !== first) opened.push(second);
    const limit = { name: "test:limit", perSecond: 50 };
    const started = Date.now();
    const waits = await Promise.all(Array.from({ length: 40 }, (_, index) => reserveSlot(index % 2 === 0 ? first.db : second.db, limit)));
    const elapsed = Date.now() - started;
    const slots = waits.map((wait, index) => ({ wait, index })).sort((a, b) => a.wait - b.wait);
    // The last reservation waits for 39 intervals of 20 ms, less the time the reservations took.
    expect(slots.at(-1)!.wait).toBeGreaterThanOrEqual(39 * 20 - elapsed - 5);
    const row = await first.db.selectFrom("rate_limits").select("next_slot_at").where("name", "=", limit.name).executeTakeFirstOrThrow();
    expect(row.next_slot_at.getTime() - started).toBeGreaterThanOrEqual(40 * 20 - 50);
    // Another limit is not slowed by this one.
    expect(await reserveSlot(first.db, { name: "test:other", perSecond: 50 })).toBe(0);
  });
});
