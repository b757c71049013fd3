import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";

// Every state-changing /staff request must come from the console's own origin (Origin, or Referer
// when a client sends no Origin), in addition to the session's CSRF token: a foreign or `null`
// Origin is refused with 403 and changes nothing. With neither header (curl, programs) the CSRF
// token alone decides. Behind a trusted proxy the origin is the one the browser used.
const DEPARTMENT = "地域コミュニティ課";

async function signedIn(bot: RunningBot, loginId: string) {
  await addStaff(bot.store.db, { loginId, department: DEPARTMENT });
  const client = new StaffClient(bot.url);
  expect((await client.login(loginId)).status).toBe(303);
  await client.request("/staff/listings");
  return client;
}

describe.each(testDatabases)("the console's Origin check on $name", { timeout: 180_000 }, (database) => {
  const fixture = botFixture(database);
  const listingStatus = async (bot: RunningBot, id: string) =>
    (await bot.store.db.selectFrom("vacant_house_listings").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;

  it("refuses a foreign or null Origin (and a foreign Referer) on POST and PUT, and takes the console's own", async () => {
    const bot = await fixture.start();
    const staff = await signedIn(bot, "chiiki-origin");
    const listing = await bot.store.db.selectFrom("vacant_house_listings").select(["id", "status"]).where("status", "=", "published").orderBy("id").executeTakeFirstOrThrow();
    const unpublish = `/staff/listings/${listing.id}/unpublish`;
    const post = (headers: Record<string, string>) => staff.request(unpublish, { form: { _csrf: staff.csrf }, headers });

    for (const headers of <Record<string, string>[]>[
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: bot.url.replace("127.0.0.1", "localhost") },
      { origin: bot.url.replace("http:", "https:") },
      { referer: "https://evil.example/staff/listings" },
      { referer: "not a url" },
      // Origin decides when both are there.
      { origin: "https://evil.example", referer: `${bot.url}/staff/listings` },
    ]) {
      const refused = await post(headers);
      expect(refused.status, JSON.stringify(headers)).toBe(403);
      expect(refused.text).toContain("別のサイトから送られた操作のため、受け付けませんでした。");
      expect(refused.response.headers.get("content-type")).toMatch(/^text\/html/);
    }
    expect(await listingStatus(bot, listing.id)).toBe("published");
    // The photo upload (fetch with PUT) answers in JSON for the page's script.
    const put = await fetch(`${bot.url}/staff/listings/${listing.id}/photo`, {
      method: "PUT",
      headers: { cookie: [...staff.cookies].map(([name, value]) => `${name}=${value}`).join("; "), "x-csrf-token": staff.csrf, origin: "https://evil.example" },
      body: new Uint8Array([0xff, 0xd8, 0xff]),
    });
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: string }).error).toContain("別のサイト");
    // Even the login form: a foreign page cannot sign a browser in to an account of its choosing.
    const login = await new StaffClient(bot.url).request("/staff/login", { form: { login_id: "x", password: "y" }, headers: { origin: "https://evil.example" } });
    expect(login.status).toBe(403);
    expect(await bot.store.db.selectFrom("audit_log").select("action").where("action", "=", "listing.unpublish").execute()).toEqual([]);

    // The console's own origin, by Origin or by Referer, passes on to the CSRF check.
    expect((await post({ origin: bot.url })).status).toBe(303);
    expect(await listingStatus(bot, listing.id)).toBe("unpublished");
    expect((await staff.request(`/staff/listings/${listing.id}/publish`, { form: { _csrf: staff.csrf }, headers: { referer: `${bot.url}/staff/listings/${listing.id}` } })).status).toBe(303);
    expect(await listingStatus(bot, listing.id)).toBe("published");
    // The right Origin does not stand in for the token.
    expect((await staff.request(unpublish, { form: { _csrf: "forged" }, headers: { origin: bot.url } })).status).toBe(403);
    // Neither header: the token decides.
    expect((await staff.request(unpublish, { form: {} })).status).toBe(403);
    expect((await staff.request(unpublish, { form: { _csrf: staff.csrf } })).status).toBe(303);
    // Reading is never refused for its Origin.
    expect((await staff.request("/staff/listings", { headers: { origin: "https://evil.example" } })).status).toBe(200);
  });

  it("compares with the address the browser used when a trusted proxy forwards https", async () => {
    const bot = await fixture.start({ env: { TRUST_PROXY: "loopback" } });
    const staff = await signedIn(bot, "chiiki-proxy");
    const listing = await bot.store.db.selectFrom("vacant_house_listings").select("id").where("status", "=", "published").orderBy("id").executeTakeFirstOrThrow();
    const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "line.example.jp" };
    const unpublish = `/staff/listings/${listing.id}/unpublish`;
    expect((await staff.request(unpublish, { form: { _csrf: staff.csrf }, headers: { ...forwarded, origin: bot.url } })).status).toBe(403);
    expect((await staff.request(unpublish, { form: { _csrf: staff.csrf }, headers: { ...forwarded, origin: "https://line.example.jp" } })).status).toBe(303);
    expect(await listingStatus(bot, listing.id)).toBe("unpublished");
  });

  it("believes no forwarded headers without TRUST_PROXY", async () => {
    const bot = await fixture.start();
    const staff = await signedIn(bot, "chiiki-direct");
    const listing = await bot.store.db.selectFrom("vacant_house_listings").select("id").where("status", "=", "published").orderBy("id").executeTakeFirstOrThrow();
    const forged = { "x-forwarded-proto": "https", "x-forwarded-host": "evil.example", origin: "https://evil.example" };
    expect((await staff.request(`/staff/listings/${listing.id}/unpublish`, { form: { _csrf: staff.csrf }, headers: forged })).status).toBe(403);
    expect(await listingStatus(bot, listing.id)).toBe("published");
  });
});
