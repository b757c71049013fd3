import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/connect.js";
import { migrateToLatest } from "../../src/store/migrate.js";

const url = process.env.TEST_DATABASE_URL;

// Several apps (or test files) share one Postgres, each in a schema of its own. One of them
// starting must not fail because another drops its schema at the same moment.
describe.skipIf(!url)("migrations on a shared Postgres", () => {
  it("start while other schemas come and go", async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const ours = `t_${randomBytes(6).toString("hex")}`;
    await admin.query(`create schema ${ours}`);
    let churning = true;
    const churn = (async () => {
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        while (churning) {
          const name = `t_${randomBytes(6).toString("hex")}`;
          await other.query(`create schema ${name}; create table ${name}.a (id serial primary key); create table ${name}.b (id serial primary key)`);
          await other.query(`drop schema ${name} cascade`);
        }
      } finally {
        await other.end();
      }
    })();
    try {
      for (let round = 0; round < 15; round += 1) {
        await admin.query(`drop schema ${ours} cascade; create schema ${ours}`);
        const store = await openStore({ kind: "postgres", url: url!, schema: ours, poolSize: 2 });
        try {
          expect((await migrateToLatest(store.db)).length).toBeGreaterThan(0);
          expect(await migrateToLatest(store.db)).toEqual([]);
        } finally {
          await store.close();
        }
      }
    } finally {
      churning = false;
      await churn;
      await admin.query(`drop schema if exists ${ours} cascade`);
      await admin.end();
    }
  }, 120_000);
});
