import { Writable } from "node:stream";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { storePerTest, testDatabases } from "../support/test-store.js";

// Errors from the database reach the logs without what the resident wrote or their LINE user id:
// a real unique violation (whose detail repeats the row's key) and a real data error (whose message
// quotes the value), logged through the app's logger as the request handler and the worker log them.
const RESIDENT_TEXT = "下林町9-9 山田花子 090-1234-5678";
const USER_ID = `U${"7".repeat(32)}`;

function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger("info", stream), lines, text: () => JSON.stringify(lines) };
}

async function caught(run: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await run();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error("expected the statement to fail");
}

describe.each(testDatabases)("error logs without residents' data on $name", (database) => {
  const open = storePerTest(database, async (db) => {
    await sql`create table resident_notes (user_id text not null, note text not null, unique (user_id, note))`.execute(db);
  });

  it("drops a unique violation's detail and keeps its code, constraint and table", async () => {
    const db = await open();
    await db.insertInto("resident_notes" as never).values({ user_id: USER_ID, note: RESIDENT_TEXT } as never).execute();
    const error = await caught(() => db.insertInto("resident_notes" as never).values({ user_id: USER_ID, note: RESIDENT_TEXT } as never).execute());
    // The database did put the resident's text and id into the error.
    expect(String(error.detail)).toContain(RESIDENT_TEXT);
    expect(String(error.detail)).toContain(USER_ID);

    const { log, lines, text } = collectingLogger();
    log.error({ err: error }, "unhandled error in a request");
    log.warn({ err: new Error("could not record the note", { cause: error }), userId: USER_ID }, "will retry");
    expect(text()).not.toContain(RESIDENT_TEXT);
    expect(text()).not.toContain(USER_ID);
    expect(text()).not.toContain("山田");
    const [first, second] = lines as [{ err: Record<string, unknown> }, { err: { cause: Record<string, unknown> }; userId: string }];
    expect(first.err).toMatchObject({ code: "23505", constraint: "resident_notes_user_id_note_key", message: 'duplicate key value violates unique constraint "resident_notes_user_id_note_key"' });
    expect(first.err).not.toHaveProperty("detail");
    expect(String(first.err.stack)).toMatch(/^error: duplicate key value[^\n]*\n\s+at /);
    expect(second.err.cause).toMatchObject({ code: "23505", constraint: "resident_notes_user_id_note_key" });
    // The same resident's lines can still be followed together.
    expect(second.userId).toMatch(/^user:[0-9a-f]{12}$/);
  });

  it("removes the value a data error quotes and the statement's parameters", async () => {
    const db = await open();
    const error = await caught(() => sql`select ${RESIDENT_TEXT}::integer`.execute(db));
    expect(String(error.message)).toContain(RESIDENT_TEXT);
    const { log, lines, text } = collectingLogger();
    log.error({ err: error }, "unhandled error in a request");
    expect(text()).not.toContain(RESIDENT_TEXT);
    expect((lines[0] as { err: Record<string, unknown> }).err).toMatchObject({ code: "22P02", message: 'invalid input syntax for type integer: "[redacted]"' });
    // Errors that are not the database's keep what they say.
    log.error({ err: new TypeError("listing id must be a number") }, "bad call");
    expect((lines[1] as { err: Record<string, unknown> }).err).toMatchObject({ type: "TypeError", message: "listing id must be a number" });
  });
});
