import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { LoginForm } from "../support/login-form.js";
import { addStaff, STAFF_PASSWORD } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";

// TRUST_PROXY decides which X-Forwarded-For / X-Forwarded-Proto the server believes (README,
// "Behind the city's proxy"). Seen through what depends on them: the address failed logins are
// counted under (rows of login_address_attempts), the Secure flag of the console's cookies and HSTS.
// The tests' requests come from 127.0.0.1, so that is the peer every rule is checked against.
const limits = { addressLimit: { failures: 3, windowMs: 15 * 60_000 } };

const addresses = async (bot: RunningBot) =>
  (await bot.store.db.selectFrom("login_address_attempts").select(["address", "failures"]).orderBy("address").execute()).map((row) => `${row.address}=${row.failures}`);

async function headersOf(bot: RunningBot, path: string, headers: Record<string, string>) {
  const response = await fetch(`${bot.url}${path}`, { headers });
  await response.arrayBuffer();
  return { hsts: response.headers.get("strict-transport-security"), cookies: response.headers.getSetCookie() };
}

describe.each(testDatabases)("TRUST_PROXY on $name", (database) => {
  const fixture = botFixture(database);

  it("unset: a forged X-Forwarded-For neither moves the client address nor gets around the per-address limit; a forged X-Forwarded-Proto gets no Secure, no HSTS", async () => {
    const bot = await fixture.start({ overrides: { login: limits } });
    const form = await LoginForm.open(bot.url);
    const answers = [];
    for (const forged of ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]) answers.push((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": forged })).status);
    expect(answers).toEqual([401, 401, 401, 429]);
    expect(await addresses(bot)).toEqual(["127.0.0.1=4"]);

    const forgedHttps = await headersOf(bot, "/staff/login", { "x-forwarded-proto": "https" });
    expect(forgedHttps.hsts).toBeNull();
    expect(forgedHttps.cookies.join()).not.toContain("Secure");
  });

  it("a hop count: the client is the address the proxy saw, whatever the client wrote before it; https through the proxy gives Secure cookies and HSTS", async () => {
    const bot = await fixture.start({ env: { TRUST_PROXY: "1" }, overrides: { login: limits } });
    await addStaff(bot.store.db, { loginId: "hop1" });
    const form = await LoginForm.open(bot.url);
    const answers = [];
    for (const forged of ["198.51.100.1", "198.51.100.2", "10.0.0.1", "127.0.0.1"]) answers.push((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": `${forged}, 203.0.113.5` })).status);
    expect(answers).toEqual([401, 401, 401, 429]);
    // Another client behind the same proxy is not affected; an IPv6 client counts by its /64.
    expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": "203.0.113.6" })).status).toBe(401);
    expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": "2001:db8:1:2::5" })).status).toBe(401);
    expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": "2001:db8:1:2:ffff::9" })).status).toBe(401);
    expect(await addresses(bot)).toEqual(["2001:db8:1:2::/64=2", "203.0.113.5=4", "203.0.113.6=1"]);

    const https = { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" };
    const page = await headersOf(bot, "/staff/login", https);
    expect(page.hsts).toBe("max-age=31536000");
    expect(page.cookies.find((cookie) => cookie.startsWith("hs_login="))).toMatch(/; Secure/);
    expect((await headersOf(bot, "/healthz", https)).hsts).toBe("max-age=31536000");
    const secureForm = await LoginForm.open(bot.url, https);
    const login = await secureForm.attempt("hop1", STAFF_PASSWORD, https);
    expect(login.status).toBe(303);
    expect(login.headers.getSetCookie().find((cookie) => cookie.startsWith("hs_staff="))).toMatch(/HttpOnly; SameSite=Strict; Secure/);

    const plain = await headersOf(bot, "/staff/login", { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "http" });
    expect(plain.hsts).toBeNull();
    expect(plain.cookies.join()).not.toContain("Secure");
    const direct = await headersOf(bot, "/staff/login", {});
    expect(direct.hsts).toBeNull();
    expect(direct.cookies.join()).not.toContain("Secure");
  });

  it("a list of proxies: X-Forwarded-For is read back through listed proxies only", async () => {
    const bot = await fixture.start({ env: { TRUST_PROXY: "10.0.0.0/8, 127.0.0.1" }, overrides: { login: limits } });
    const form = await LoginForm.open(bot.url);
    // 127.0.0.1 and 10.1.2.3 are listed proxies: the client is the address before them.
    expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": "198.51.100.7, 10.1.2.3" })).status).toBe(401);
    // 203.0.113.5 is not a listed proxy: what it claims (198.51.100.8) is not believed.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": `198.51.100.${10 + attempt}, 203.0.113.5` })).status).toBe(401);
    }
    expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": "198.51.100.99, 203.0.113.5" })).status).toBe(429);
    expect(await addresses(bot)).toEqual(["198.51.100.7=1", "203.0.113.5=4"]);
    expect((await headersOf(bot, "/staff/login", { "x-forwarded-proto": "https" })).hsts).toBe("max-age=31536000");
  });

  it("a list without the peer: its X-Forwarded-For and X-Forwarded-Proto are ignored", async () => {
    const bot = await fixture.start({ env: { TRUST_PROXY: "10.0.0.0/8" }, overrides: { login: limits } });
    const form = await LoginForm.open(bot.url);
    expect((await form.attempt("nobody", "wrong-password-1", { "x-forwarded-for": "198.51.100.7" })).status).toBe(401);
    expect(await addresses(bot)).toEqual(["127.0.0.1=1"]);
    const forgedHttps = await headersOf(bot, "/staff/login", { "x-forwarded-proto": "https" });
    expect(forgedHttps.hsts).toBeNull();
    expect(forgedHttps.cookies.join()).not.toContain("Secure");
  });
});
