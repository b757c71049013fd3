import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { mulberry32 } from "../support/numbers.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";

// Malformed input on every console page and API outside the case inboxes and the login (those have
// tests of their own): bad dates, bad numbers, NUL, broken %-escapes and UTF-8, overlong values,
// repeated and prototype-named keys, in the query, the path and the body, signed in as an admin
// and as staff. No answer may be a 5xx; a refusal is a 4xx in Japanese.
const PUBLIC = "https://line.example.jp";

// Values as they appear in a URL or a urlencoded body: already %-escaped where a browser would
// escape, raw where a hand-made request can send anything.
const BAD_VALUES = [
  "2024-99-99",
  "2024-02-30",
  "0000-00-00",
  "275760-09-14",
  "-1",
  "0",
  "1e309",
  "99999999999999999999999999",
  "NaN",
  "Infinity",
  "%00",
  "a%00b",
  "%ED%A0%80", // a lone surrogate, as CESU-8 bytes
  "%C0%80", // an overlong NUL
  "%FF%FE",
  "%",
  "%E3%81",
  "%EF%BF%BF",
  encodeURIComponent("<script>alert(1)</script>"),
  encodeURIComponent("' OR 1=1 --"),
  encodeURIComponent("\\x00\\u0000"),
  encodeURIComponent("２０２４－０４－０１"),
  "x".repeat(5_000),
  encodeURIComponent("あ".repeat(500)),
  "__proto__",
  "constructor",
  "toString",
  "",
];

const QUERY_NAMES = ["from", "to", "q", "user", "status", "category", "department", "done", "error", "page", "audience", "type", "template", "v", "next", "seg_residence", "seg_school_district", "seg_town", "seg_age_band", "seg_interests"];

const FORM_NAMES = [
  "title", "text", "description", "code", "area", "address", "deal_type", "price_yen", "layout", "floor_area_sqm", "land_area_sqm", "built_year",
  "contracted_at", "when", "scheduled_at", "audience", "type", "template", "image_url", "preview_url", "intent", "slug", "department", "questions",
  "back", "confirm", "status", "seg_residence", "seg_school_district", "seg_town", "seg_age_band", "seg_interests",
];

interface Ids {
  listing: string;
  survey: string;
  notice: string;
}

const getPaths = (ids: Ids) => [
  "/staff/kpi",
  "/staff/surveys",
  "/staff/surveys/new",
  `/staff/surveys/${ids.survey}/edit`,
  `/staff/surveys/${ids.survey}/results`,
  `/staff/api/exports/surveys/${ids.survey}/answers.csv`,
  "/staff/listings",
  "/staff/listings/new",
  `/staff/listings/${ids.listing}`,
  `/staff/listings/${ids.listing}/edit`,
  `/staff/listings/${ids.listing}/photo`,
  "/staff/notices",
  "/staff/notices/new",
  `/staff/notices/${ids.notice}`,
  `/staff/notices/${ids.notice}/results`,
  "/staff/api/notices/count",
  "/staff/privacy",
  "/staff/api/exports/inquiries.csv",
];

// Paths with a malformed id in place of a real one.
const idPaths = (value: string) => [
  `/staff/surveys/${value}/edit`,
  `/staff/surveys/${value}/results`,
  `/staff/api/exports/surveys/${value}/answers.csv`,
  `/staff/listings/${value}`,
  `/staff/listings/${value}/edit`,
  `/staff/listings/${value}/photo`,
  `/staff/notices/${value}`,
  `/staff/notices/${value}/results`,
  `/staff/api/privacy/${value}/export.json`,
  `/listing-photos/${value}`,
  `/r/${value}`,
];

const postPaths = (ids: Ids) => [
  "/staff/surveys/new",
  `/staff/surveys/${ids.survey}/edit`,
  `/staff/surveys/${ids.survey}/open`,
  `/staff/surveys/${ids.survey}/close`,
  "/staff/listings/new",
  `/staff/listings/${ids.listing}/edit`,
  `/staff/listings/${ids.listing}/contract`,
  `/staff/listings/${ids.listing}/publish`,
  `/staff/listings/${ids.listing}/unpublish`,
  `/staff/listings/${ids.listing}/uncontract`,
  "/staff/notices/new",
  `/staff/notices/${ids.notice}/submit`,
  `/staff/notices/${ids.notice}/approve`,
  `/staff/notices/${ids.notice}/cancel`,
];

async function signedIn(bot: RunningBot, loginId: string, role: "admin" | "staff", department = "地域コミュニティ課") {
  await addStaff(bot.store.db, { loginId, role, department });
  const client = new StaffClient(bot.url);
  expect((await client.login(loginId)).status).toBe(303);
  await client.request("/staff/notices/new");
  return client;
}

// A raw request: the query, path and body exactly as given (fetch would re-escape them).
async function raw(client: StaffClient, path: string, init: { method?: string; body?: string; type?: string; csrfHeader?: boolean } = {}) {
  const headers: Record<string, string> = { cookie: [...client.cookies].map(([name, value]) => `${name}=${value}`).join("; ") };
  if (init.body !== undefined) headers["content-type"] = init.type ?? "application/x-www-form-urlencoded";
  if (init.csrfHeader) headers["x-csrf-token"] = client.csrf;
  const response = await fetch(`${client.baseUrl}${path}`, { method: init.method ?? "GET", headers, body: init.body, redirect: "manual" });
  const text = response.headers.get("content-type")?.startsWith("image/") ? "" : await response.text();
  return { status: response.status, text, type: response.headers.get("content-type") ?? "" };
}

describe.each(testDatabases)("the console on malformed input on $name", { timeout: 300_000 }, (database) => {
  const fixture = botFixture(database);

  it("answers every malformed GET, path id and form with a 4xx or a page, never a 5xx", async () => {
    const bot = await fixture.start({ env: { PUBLIC_BASE_URL: PUBLIC } });
    const db = bot.store.db;
    const admin = await signedIn(bot, "admin-fuzz", "admin");
    const staff = await signedIn(bot, "staff-fuzz", "staff", "商工観光課");
    const survey = await db.selectFrom("surveys").select("id").orderBy("id").executeTakeFirstOrThrow();
    const listing = await db.selectFrom("vacant_house_listings").select("id").orderBy("id").executeTakeFirstOrThrow();
    const created = await admin.post("/staff/notices/new", { type: "text", title: "fuzz", text: "お知らせ https://www.city.hitoyoshi.lg.jp/", audience: "all", when: "now", intent: "draft" });
    expect(created.status).toBe(303);
    const ids: Ids = { listing: listing.id, survey: survey.id, notice: /\/staff\/notices\/(\d+)/.exec(created.location!)![1]! };

    const random = mulberry32(13);
    const at = (length: number) => Math.floor(random() * length);
    const failures: string[] = [];
    const check = (what: string, answer: { status: number; text: string; type: string }) => {
      if (answer.status >= 500) failures.push(`${answer.status} ${what.slice(0, 200)}`);
      // A refusal says what to do in Japanese, never a stack or an English one-liner.
      else if (answer.status >= 400 && answer.status !== 404 && !/[ぁ-んァ-ン一-龥]/.test(answer.text)) failures.push(`${answer.status} without Japanese: ${what.slice(0, 200)} → ${answer.text.slice(0, 120)}`);
    };

    for (const client of [admin, staff]) {
      for (const value of BAD_VALUES) {
        // An overlong value goes in one parameter at a time (Node refuses a URL over 16 KB with 431).
        const names = value.length > 100 ? [QUERY_NAMES[at(QUERY_NAMES.length)]!] : QUERY_NAMES;
        const every = names.map((name) => `${name}=${value}`).join("&");
        const repeated = names.map((name) => `${name}=${value}&${name}=${value}&${name}[]=1`).join("&");
        for (const path of getPaths(ids)) {
          check(`GET ${path}?${every}`, await raw(client, `${path}?${every}`));
          check(`GET ${path}?${repeated}`, await raw(client, `${path}?${repeated}`));
        }
        if (value !== "") for (const path of idPaths(value.slice(0, 4_000))) check(`GET ${path}`, await raw(client, path));
      }
    }

    // Forms: every field malformed at once (a fresh CSRF token in the body), and bodies that are not
    // forms at all. The notice is re-created as a draft when a run cancelled it.
    for (const value of BAD_VALUES) {
      const fields = FORM_NAMES.map((name) => `${name}=${value}`).join("&");
      for (const path of postPaths(ids)) {
        check(`POST ${path} ${fields}`, await raw(admin, path, { method: "POST", body: `_csrf=${admin.csrf}&${fields}` }));
        const oneField = FORM_NAMES[at(FORM_NAMES.length)]!;
        check(`POST ${path} (staff) ${oneField}=${value}`, await raw(staff, path, { method: "POST", body: `_csrf=${staff.csrf}&${oneField}=${value}` }));
      }
    }
    for (const path of postPaths(ids)) {
      for (const [body, type] of [
        ["", "application/x-www-form-urlencoded"],
        ['{"title": "json"}', "application/json"],
        ["{not json", "application/json"],
        ["_csrf=%ZZ&title=%", "application/x-www-form-urlencoded"],
        [`_csrf=${admin.csrf}&title=${"x".repeat(70 * 1024)}`, "application/x-www-form-urlencoded"],
        [`_csrf=${admin.csrf}&title=a`, "application/x-www-form-urlencoded; charset=utf-16"],
        [`_csrf=${admin.csrf}&title=a`, "text/plain"],
      ] as const) {
        check(`POST ${path} ${type} ${body.slice(0, 40)}`, await raw(admin, path, { method: "POST", body, type, csrfHeader: true }));
      }
    }
    for (const path of getPaths(ids)) {
      for (const method of ["PUT", "PATCH", "DELETE"]) check(`${method} ${path}`, await raw(admin, path, { method, body: "x=1", csrfHeader: true }));
    }

    expect(failures).toEqual([]);
    // The session survived all of it and the console still works.
    expect((await admin.request("/staff/kpi")).status).toBe(200);
  });
});
