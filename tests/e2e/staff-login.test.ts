import { randomBytes, scryptSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OWASP_SCRYPT_COST } from "../../src/staff/password.js";
import { createStaffAccount } from "../../src/staff/staff-accounts.js";
import { openStore } from "../../src/store/connect.js";
import type { Database } from "../../src/store/database.js";
import type { Kysely } from "kysely";
import { botFixture } from "../support/bot-fixture.js";
import { cookieShape, LoginForm, withoutTokens, type LoginAnswer } from "../support/login-form.js";
import { percentile } from "../support/numbers.js";
import { runCli } from "../support/spawned-processes.js";
import { addStaff, STAFF_PASSWORD } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";

// POST /staff/login through the real app (README, "Staff console"): a lockout that parallel
// guesses cannot get around, one answer for unknown, wrong and locked, a limit per client address,
// hashes upgraded at login, a cap on concurrent hashes, and malformed requests answered 400.
const MINUTE = 60_000;

function testClock() {
  let time = Date.now();
  return {
    now: () => new Date(time),
    get time() {
      return time;
    },
    advance(ms: number) {
      time += ms;
    },
  };
}

const staffRow = (db: Kysely<Database>, loginId: string) =>
  db.selectFrom("staff_users").select(["id", "failed_logins", "locked_until", "password_hash"]).where("login_id", "=", loginId).executeTakeFirstOrThrow();

async function auditCounts(db: Kysely<Database>, staffId: string) {
  const rows = await db.selectFrom("audit_log").select("action").where("target_type", "=", "staff_user").where("target_id", "=", staffId).where("action", "like", "login%").execute();
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.action] = (counts[row.action] ?? 0) + 1;
  return counts;
}

// The first stored format (scrypt$N$r$p$salt$hash), as accounts made before issue 13 have it.
function firstFormatHash(password: string, N: number): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize("NFKC"), salt, 64, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
  return ["scrypt", N, 8, 1, salt.toString("base64"), key.toString("base64")].join("$");
}

function headerList(headers: Headers): [string, string][] {
  const list: [string, string][] = [];
  headers.forEach((value, name) => list.push([name, value]));
  return list;
}

const isSessionCookie = (answer: LoginAnswer) => answer.headers.getSetCookie().some((cookie) => cookie.startsWith("hs_staff=") && !cookie.includes("Max-Age=0"));

describe.each(testDatabases)("staff login on $name", (database) => {
  const fixture = botFixture(database);

  it("counts parallel guesses one by one: 4 rounds of 20 lock the account after 10, and the right password waits for the lock to end", async () => {
    const clock = testClock();
    const bot = await fixture.start({ overrides: { login: { now: clock.now, hashLimits: { concurrency: 4, maxWaiting: 100 }, addressLimit: { failures: 1_000, windowMs: 15 * MINUTE } } } });
    await addStaff(bot.store.db, { loginId: "guessed" });
    const form = await LoginForm.open(bot.url);
    const answers: LoginAnswer[] = [];
    for (let round = 0; round < 4; round += 1) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, (_, index) => form.attempt("guessed", `wrong-guess-${round}-${index}`)))));
    }
    expect(answers.map((answer) => answer.status)).toEqual(Array(80).fill(401));
    const locked = await staffRow(bot.store.db, "guessed");
    expect(locked.failed_logins).toBe(10);
    expect(locked.locked_until!.getTime()).toBe(clock.time + 15 * MINUTE);
    // Ten passwords were checked; the other seventy were refused unchecked.
    expect(await auditCounts(bot.store.db, locked.id)).toEqual({ "login.failed": 9, "login.lock": 1, "login.locked": 70 });

    expect((await form.attempt("guessed", STAFF_PASSWORD)).status).toBe(401);
    clock.advance(15 * MINUTE - 1_000);
    expect((await form.attempt("guessed", STAFF_PASSWORD)).status).toBe(401);
    clock.advance(2_000);
    const right = await form.attempt("guessed", STAFF_PASSWORD);
    expect(right.status).toBe(303);
    expect(isSessionCookie(right)).toBe(true);
    const after = await staffRow(bot.store.db, "guessed");
    expect([after.failed_logins, after.locked_until]).toEqual([0, null]);
    expect(await auditCounts(bot.store.db, locked.id)).toMatchObject({ "login.locked": 72, login: 1 });
  }, 60_000);

  it("answers an unknown login id, a wrong password and a locked account alike", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "real1" });
    await addStaff(bot.store.db, { loginId: "locked1" });
    const form = await LoginForm.open(bot.url);
    for (let attempt = 0; attempt < 10; attempt += 1) await form.attempt("locked1", `wrong-${attempt}-password`);
    expect((await staffRow(bot.store.db, "locked1")).locked_until).not.toBeNull();

    const unknown = await form.attempt("nobody-here", "wrong-password-1");
    const wrong = await form.attempt("real1", "wrong-password-1");
    const locked = await form.attempt("locked1", STAFF_PASSWORD);
    const comparable = (answer: LoginAnswer) => ({
      status: answer.status,
      body: withoutTokens(answer.text),
      cookies: cookieShape(answer.headers),
      headers: headerList(answer.headers).filter(([name]) => !["date", "etag", "set-cookie"].includes(name)),
    });
    expect(comparable(unknown).status).toBe(401);
    expect(comparable(unknown).body).toContain("職員IDまたはパスワードが違うか");
    expect(comparable(wrong)).toEqual(comparable(unknown));
    expect(comparable(locked)).toEqual(comparable(unknown));
  }, 60_000);

  it("takes as long for an unknown login id or a locked account as for a wrong password", async () => {
    const cost = { N: 2 ** 15, r: 8, p: 1 };
    const bot = await fixture.start({ overrides: { login: { hashCost: cost } } });
    await createStaffAccount(bot.store.db, { loginId: "timed1", displayName: "timed1", department: "秘書課", role: "staff" }, STAFF_PASSWORD, { hashCost: cost });
    await createStaffAccount(bot.store.db, { loginId: "timed2", displayName: "timed2", department: "秘書課", role: "staff" }, STAFF_PASSWORD, { hashCost: cost });
    const form = await LoginForm.open(bot.url);
    for (let attempt = 0; attempt < 10; attempt += 1) await form.attempt("timed2", `wrong-${attempt}-password`);
    const timings: Record<"unknown" | "wrong" | "locked", number[]> = { unknown: [], wrong: [], locked: [] };
    const timed = async (kind: keyof typeof timings, loginId: string, password: string) => {
      const started = performance.now();
      expect((await form.attempt(loginId, password)).status).toBe(401);
      timings[kind].push(performance.now() - started);
    };
    for (let round = 0; round < 7; round += 1) {
      await timed("unknown", `nobody-${round}`, "wrong-password-1");
      await timed("wrong", "timed1", "wrong-password-1");
      await timed("locked", "timed2", STAFF_PASSWORD);
    }
    const wrong = percentile(timings.wrong, 50);
    // Each does one scrypt at `cost` (tens of ms): without the dummy check, unknown ids answer in ~5 ms.
    expect(percentile(timings.unknown, 50)).toBeGreaterThan(wrong * 0.6);
    expect(percentile(timings.locked, 50)).toBeGreaterThan(wrong * 0.6);
    expect(percentile(timings.unknown, 50)).toBeLessThan(wrong * 1.6);
    expect(percentile(timings.locked, 50)).toBeLessThan(wrong * 1.6);
  }, 60_000);

  it("limits failed logins per client address across accounts, kept in the database, and cleans up ended windows", async () => {
    const clock = testClock();
    const bot = await fixture.start({ overrides: { login: { now: clock.now, addressLimit: { failures: 5, windowMs: 15 * MINUTE } } } });
    const db = bot.store.db;
    await addStaff(db, { loginId: "addr1" });
    await addStaff(db, { loginId: "addr2" });
    const form = await LoginForm.open(bot.url);
    expect((await form.attempt("addr1", STAFF_PASSWORD)).status).toBe(303);
    for (const loginId of ["addr1", "addr2", "nobody1", "nobody2", "addr1"]) expect((await form.attempt(loginId, "wrong-password-9")).status).toBe(401);
    const limited = await form.attempt("addr2", STAFF_PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(14 * 60);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(15 * 60);
    expect(limited.text).toContain("このネットワークからのログインの失敗が続いたため");
    // Refused without looking at the account: addr2's one failure stays one.
    expect((await staffRow(db, "addr2")).failed_logins).toBe(1);
    expect(await db.selectFrom("login_address_attempts").select(["address", "failures"]).execute()).toEqual([{ address: "127.0.0.1", failures: 6 }]);

    await db.insertInto("login_address_attempts").values({ address: "192.0.2.1", window_started_at: new Date(clock.time - 20 * MINUTE), failures: 3 }).execute();
    clock.advance(15 * MINUTE + 1_000);
    expect((await form.attempt("addr2", STAFF_PASSWORD)).status).toBe(303);
    // The ended window of another address is gone; this address's new window holds no failure.
    expect(await db.selectFrom("login_address_attempts").select(["address", "failures"]).execute()).toEqual([{ address: "127.0.0.1", failures: 0 }]);
  }, 60_000);

  it("re-hashes at login a password stored in the first format or with weaker parameters, up to OWASP's scrypt parameters", async () => {
    const first = await fixture.start();
    const id = await addStaff(first.store.db, { loginId: "oldhash" });
    await first.store.db.updateTable("staff_users").set({ password_hash: firstFormatHash(STAFF_PASSWORD, 2 ** 15) }).where("id", "=", id).execute();
    const form = await LoginForm.open(first.url);
    expect((await form.attempt("oldhash", STAFF_PASSWORD)).status).toBe(303);
    const upgraded = (await staffRow(first.store.db, "oldhash")).password_hash;
    expect(upgraded).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/);
    expect((await form.attempt("oldhash", STAFF_PASSWORD)).status).toBe(303);
    expect((await staffRow(first.store.db, "oldhash")).password_hash).toBe(upgraded);
    await fixture.stop(first);

    const real = await fixture.start({ overrides: { login: { hashCost: OWASP_SCRYPT_COST } } });
    const realForm = await LoginForm.open(real.url);
    expect((await realForm.attempt("oldhash", "wrong-password-1")).status).toBe(401);
    expect((await staffRow(real.store.db, "oldhash")).password_hash).toBe(upgraded);
    expect((await realForm.attempt("oldhash", STAFF_PASSWORD)).status).toBe(303);
    const owasp = (await staffRow(real.store.db, "oldhash")).password_hash;
    expect(owasp).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    expect((await realForm.attempt("oldhash", STAFF_PASSWORD)).status).toBe(303);
    const logins = await real.store.db.selectFrom("audit_log").select("detail").where("action", "=", "login").where("target_id", "=", id).orderBy("id").execute();
    expect(logins.map((row) => row.detail)).toEqual([{ rehashed: true }, {}, { rehashed: true }, {}]);
  }, 60_000);

  it("checks at most the allowed number of passwords at once and answers the rest 503 with Retry-After, uncounted", async () => {
    const cost = { N: 2 ** 16, r: 8, p: 1 };
    const bot = await fixture.start({ overrides: { login: { hashCost: cost, hashLimits: { concurrency: 1, maxWaiting: 1 } } } });
    await createStaffAccount(bot.store.db, { loginId: "busy1", displayName: "busy1", department: "秘書課", role: "staff" }, STAFF_PASSWORD, { hashCost: cost });
    const form = await LoginForm.open(bot.url);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => form.attempt("busy1", `wrong-password-${index}`)));
    const refused = answers.filter((answer) => answer.status === 401);
    const busy = answers.filter((answer) => answer.status === 503);
    expect(refused.length + busy.length).toBe(8);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const answer of busy) {
      expect(answer.headers.get("retry-after")).toBe("5");
      expect(answer.text).toContain("ただいまログインが混み合っています");
    }
    expect((await staffRow(bot.store.db, "busy1")).failed_logins).toBe(refused.length);
    expect(await bot.store.db.selectFrom("login_address_attempts").select("failures").execute()).toEqual([{ failures: refused.length }]);
  }, 60_000);

  it("answers malformed login requests 400 in Japanese, never 500, and counts none of them", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "form1" });
    const form = await LoginForm.open(bot.url);
    const urlencoded = { "content-type": "application/x-www-form-urlencoded" };
    const fields = (values: Record<string, string>) => new URLSearchParams({ _csrf: form.token, ...values }).toString();
    const cases: [string, string | undefined, Record<string, string>, string][] = [
      ["no body", undefined, {}, "フォームから送信してください"],
      ["JSON", JSON.stringify({ _csrf: form.token, login_id: "form1", password: STAFF_PASSWORD }), { "content-type": "application/json" }, "フォームから送信してください"],
      ["text/plain", `login_id=form1&password=${STAFF_PASSWORD}`, { "content-type": "text/plain" }, "フォームから送信してください"],
      ["no password", fields({ login_id: "form1" }), urlencoded, "職員IDとパスワードを入力してください"],
      ["empty login id", fields({ login_id: "  ", password: STAFF_PASSWORD }), urlencoded, "職員IDとパスワードを入力してください"],
      ["login id sent twice", `${fields({ login_id: "form1", password: STAFF_PASSWORD })}&login_id=form2`, urlencoded, "フォームから送信してください"],
      ["long login id", fields({ login_id: "a".repeat(5_000), password: STAFF_PASSWORD }), urlencoded, "100文字まで"],
      ["body over 16 kB", fields({ login_id: "form1", password: "p".repeat(20_000) }), urlencoded, "読み取れませんでした"],
      ["NUL in the login id", fields({ login_id: "form\u00001", password: STAFF_PASSWORD }), urlencoded, "使えない文字"],
      ["NUL in the password", fields({ login_id: "form1", password: "pass\u0000word-12345" }), urlencoded, "使えない文字"],
      ["unknown charset", fields({ login_id: "form1", password: STAFF_PASSWORD }), { "content-type": "application/x-www-form-urlencoded; charset=koi8-r" }, "読み取れませんでした"],
      ["broken gzip", "not gzip at all", { ...urlencoded, "content-encoding": "gzip" }, "読み取れませんでした"],
      ["too many fields", Array.from({ length: 40 }, (_, index) => `f${index}=x`).join("&"), urlencoded, "読み取れませんでした"],
    ];
    for (const [name, body, headers, message] of cases) {
      const answer = await form.post(body, headers);
      expect(answer.status, name).toBe(400);
      expect(answer.headers.get("content-type"), name).toMatch(/^text\/html/);
      expect(answer.text, name).toContain(message);
    }
    expect(await bot.store.db.selectFrom("login_address_attempts").selectAll().execute()).toEqual([]);
    expect((await staffRow(bot.store.db, "form1")).failed_logins).toBe(0);
    expect((await form.attempt("form1", STAFF_PASSWORD)).status).toBe(303);
  }, 60_000);
});

// staff:create writes the current format at OWASP's parameters (the embedded database: the tool
// opens the configured database, and a test's Postgres schema is not one it can be pointed at).
describe("staff:create", () => {
  it("stores the password as $scrypt$ln=17,r=8,p=1$…", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-staff-create-"));
    try {
      const result = await runCli("staff-create", ["--login", "clitest", "--name", "CLI 太郎", "--department", "秘書課"], { env: { DATA_DIR: dataDir }, input: `${STAFF_PASSWORD}\n` });
      expect(result.code, result.stderr).toBe(0);
      const store = await openStore({ kind: "pglite", dataDir });
      try {
        const row = await store.db.selectFrom("staff_users").select("password_hash").where("login_id", "=", "clitest").executeTakeFirstOrThrow();
        expect(row.password_hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/);
      } finally {
        await store.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
