import { sql } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../../src/store/connect.js";
import { testDatabases } from "../support/test-store.js";

// LISTEN/NOTIFY between processes on one database (src/store/notifications.ts), on both databases:
// what a subscriber hears, when a notification sent in a transaction arrives, and, on Postgres,
// that the listening connection comes back by itself after the server ended it.
describe.each(testDatabases)("notifications on $name", { timeout: 60_000 }, (database) => {
  const stores: Store[] = [];
  const drops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const drop of drops.splice(0)) await drop();
  });

  const open = async () => {
    const created = await database.create();
    drops.push(created.drop);
    const store = await openStore(created.target);
    stores.push(store);
    return { store, target: created.target };
  };

  // Payloads heard on a channel, and a wait for the next ones.
  const listener = () => {
    const heard: string[] = [];
    return {
      heard,
      handler: (payload: string) => heard.push(payload),
      until: (count: number, timeoutMs = 5_000) => waitUntil(() => heard.length >= count, timeoutMs),
    };
  };

  it("delivers a notification to every subscriber of its channel, and only of its channel", async () => {
    const { store } = await open();
    const inbox = listener();
    const otherInbox = listener();
    const content = listener();
    await store.notifications.subscribe("inbox", inbox.handler);
    await store.notifications.subscribe("inbox", otherInbox.handler);
    await store.notifications.subscribe("content_changed", content.handler);

    await store.notifications.notify("inbox", '{"users":["U1"]}');
    await inbox.until(1);
    await otherInbox.until(1);
    expect(inbox.heard).toEqual(['{"users":["U1"]}']);
    expect(otherInbox.heard).toEqual(['{"users":["U1"]}']);
    await sleep(100);
    expect(content.heard).toEqual([]);
  });

  it("sends a notification made in a transaction at its commit, and never one that rolled back", async () => {
    const { store } = await open();
    const inbox = listener();
    await store.notifications.subscribe("inbox", inbox.handler);

    await store.db
      .transaction()
      .execute(async (trx) => {
        await store.notifications.notify("inbox", "rolled back", trx);
        throw new Error("undo");
      })
      .catch(() => {});
    await store.db.transaction().execute(async (trx) => {
      await store.notifications.notify("inbox", "committed", trx);
      await sql`select 1`.execute(trx);
      await sleep(50);
      expect(inbox.heard).toEqual([]);
    });
    await inbox.until(1);
    await sleep(100);
    expect(inbox.heard).toEqual(["committed"]);
  });

  it("stops delivering to a subscriber that unsubscribed", async () => {
    const { store } = await open();
    const stays = listener();
    const leaves = listener();
    await store.notifications.subscribe("inbox", stays.handler);
    const unsubscribe = await store.notifications.subscribe("inbox", leaves.handler);
    await unsubscribe();
    await store.notifications.notify("inbox", "after");
    await stays.until(1);
    await sleep(100);
    expect(leaves.heard).toEqual([]);
  });

  it("refuses a channel name or a payload Postgres would not take, saying what to do", async () => {
    const { store } = await open();
    await expect(store.notifications.subscribe("Inbox Events", () => {})).rejects.toThrow(/lower-case letters/);
    await expect(store.notifications.notify("inbox", "x".repeat(8_000))).rejects.toThrow(/send an id/);
  });

  it.runIf(database.name === "postgres")("is heard by another process on the same schema, and not by one on another schema", async () => {
    const first = await open();
    const sameSchema = await openStore(first.target);
    stores.push(sameSchema);
    const otherSchema = await open();
    const here = listener();
    const elsewhere = listener();
    await first.store.notifications.subscribe("inbox", here.handler);
    await otherSchema.store.notifications.subscribe("inbox", elsewhere.handler);

    await sameSchema.notifications.notify("inbox", "from the second process");
    await here.until(1);
    await sleep(150);
    expect(here.heard).toEqual(["from the second process"]);
    expect(elsewhere.heard).toEqual([]);
  });

  it.runIf(database.name === "postgres")("listens again by itself after its connection was terminated, and says notifications may have been missed", async () => {
    const { store, target } = await open();
    const inbox = listener();
    let missed = 0;
    await store.notifications.subscribe("inbox", inbox.handler, { missed: () => (missed += 1) });
    await store.notifications.notify("inbox", "before");
    await inbox.until(1);

    // The listening connection is the one backend that last ran LISTEN on this schema's channels.
    if (target.kind !== "postgres" || !target.schema) throw new Error("a Postgres test database has a schema of its own");
    const terminated = await terminateListeners(target.url, target.schema);
    expect(terminated).toBe(1);
    await waitUntil(() => missed === 1, 10_000);
    await store.notifications.notify("inbox", "after");
    await inbox.until(2);
    expect(inbox.heard).toEqual(["before", "after"]);
  });
});

async function terminateListeners(url: string, schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like $1",
      [`listen "${schema}:%`],
    );
    for (const row of rows) await client.query("select pg_terminate_backend($1)", [row.pid]);
    return rows.length;
  } finally {
    await client.end();
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a notification");
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
