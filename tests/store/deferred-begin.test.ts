import { sql, type Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.js";
import { deferredTransaction, executeStandalone } from "../../src/store/deferred-begin.js";
import { storePerTest, testDatabases } from "../support/test-store.js";

// A deferred transaction sends BEGIN only before its first statement that is not standalone; a
// standalone statement run before that commits on its own, one run after it belongs to the
// transaction. Seen from what a failure leaves behind.
describe.each(testDatabases)("deferred transactions on $name", { timeout: 60_000 }, (database) => {
  const open = storePerTest(database, async (db) => {
    await sql`create table notes (id integer primary key)`.execute(db);
  });
  const insert = (db: Kysely<Database>, id: number) => sql`insert into notes (id) values (${id})`;
  const notes = async (db: Kysely<Database>) => (await sql<{ id: number }>`select id from notes order by id`.execute(db)).rows.map((row) => row.id);
  const fail = () => {
    throw new Error("the handler failed");
  };

  it("commits a standalone statement run before the transaction began, and rolls back the rest", async () => {
    const db = await open();
    await expect(
      deferredTransaction(db, async (trx) => {
        await executeStandalone(trx, insert(trx, 1).compile(trx));
        await insert(trx, 2).execute(trx);
        await executeStandalone(trx, insert(trx, 3).compile(trx));
        fail();
      }),
    ).rejects.toThrow("the handler failed");
    expect(await notes(db)).toEqual([1]);
  });

  it("commits a lone standalone statement without any transaction, and a begun one at its end", async () => {
    const db = await open();
    await deferredTransaction(db, async (trx) => {
      await executeStandalone(trx, insert(trx, 1).compile(trx));
    });
    await deferredTransaction(db, async (trx) => {
      await insert(trx, 2).execute(trx);
      await executeStandalone(trx, insert(trx, 3).compile(trx));
    });
    expect(await notes(db)).toEqual([1, 2, 3]);
    // The connection is left clean: an ordinary transaction after them rolls back as usual.
    await expect(
      db.transaction().execute(async (trx) => {
        await executeStandalone(trx, insert(trx, 4).compile(trx));
        fail();
      }),
    ).rejects.toThrow("the handler failed");
    expect(await notes(db)).toEqual([1, 2, 3]);
  });

  it("rolls back everything of an ordinary transaction, standalone statements included", async () => {
    const db = await open();
    await expect(
      db.transaction().execute(async (trx) => {
        await executeStandalone(trx, insert(trx, 1).compile(trx));
        await insert(trx, 2).execute(trx);
        fail();
      }),
    ).rejects.toThrow("the handler failed");
    expect(await notes(db)).toEqual([]);
  });
});
