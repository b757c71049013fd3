import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import express from "express";
import type { Kysely } from "kysely";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { liveCount } from "../../src/kpi/live-counts.js";
import { publicListingPhotos, readCappedBody } from "../../src/staff/listings/listing-photos.js";
import { japanToday, parseContractDate, photoUrlAfterUpload } from "../../src/staff/listings/listing-rules.js";
import type { Database } from "../../src/store/database.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver, type SentMessage } from "../support/conversation-driver.js";
import { browserTestsEnabled, launchBrowser } from "../support/browser.js";
import { jpegWithMetadata, TINY_JPEG as JPEG } from "../support/image-metadata.js";
import { addStaff, STAFF_PASSWORD, StaffClient } from "../support/staff-client.js";
import { png, WEBP_LOSSY } from "../support/test-images.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId } from "../support/webhook-client.js";

// 空き家バンク listings in the staff console, end to end: staff register, publish, edit, unpublish
// and mark contracts over HTTP; residents search in LINE (the fake LINE API validates every body);
// the KPI's live count follows contracts; photos are checked by size and signature and served to
// LINE from a public route while the listing is published.

const WEBP = WEBP_LOSSY;
const PUBLIC_BASE_URL = "https://line.hitoyoshi.example";
const DEPARTMENT = "地域コミュニティ課";
const MiB = 1024 * 1024;
// Each bot test starts a bot (PGlite: seconds of WASM start-up, migrations and seeds), slower still when
// the whole suite runs on two workers.
const BOT_TEST_TIMEOUT_MS = 120_000;

const newListing = {
  code: "ak-１０１",
  title: "下林町の二階建て<script>alert(1)</script>",
  area: "下林町",
  address: "人吉市下林町9-9",
  deal_type: "rent",
  price_yen: "４２，０００円",
  layout: "3ldk",
  floor_area_sqm: "88.25",
  land_area_sqm: "",
  built_year: "1988",
  description: "川沿いの静かな家です。",
};

describe("photo addresses for LINE", () => {
  it("points at the new photo when PUBLIC_BASE_URL is set and LINE can show it (JPEG, PNG)", () => {
    const base = "https://line.hitoyoshi.example";
    expect(photoUrlAfterUpload(null, { photoId: "7", contentType: "image/png" }, base)).toBe(`${base}/listing-photos/7`);
    expect(photoUrlAfterUpload("https://cdn.example/a.jpg", { photoId: "7", contentType: "image/jpeg" }, base)).toBe(`${base}/listing-photos/7`);
    // WebP: kept for the console, never given to LINE; an address of a replaced photo of ours is dropped.
    expect(photoUrlAfterUpload(`${base}/listing-photos/6`, { photoId: "7", contentType: "image/webp" }, base)).toBeNull();
    expect(photoUrlAfterUpload("https://cdn.example/a.jpg", { photoId: "7", contentType: "image/webp" }, base)).toBe("https://cdn.example/a.jpg");
    expect(photoUrlAfterUpload(`${base}/listing-photos/6`, { photoId: "7", contentType: "image/jpeg" }, null)).toBeNull();
    expect(photoUrlAfterUpload("https://cdn.example/a.jpg", { photoId: "7", contentType: "image/jpeg" }, null)).toBe("https://cdn.example/a.jpg");
  });
});

describe("contract dates", () => {
  it("takes a real calendar day up to today in Japan", () => {
    const now = new Date("2026-03-31T15:30:00Z"); // 1 April 2026, 00:30 in Japan
    expect(japanToday(now)).toBe("2026-04-01");
    expect(parseContractDate("2026-04-01", now)).toEqual({ ok: true, date: "2026-04-01" });
    expect(parseContractDate("２０２６-０３-３１", now)).toEqual({ ok: true, date: "2026-03-31" });
    expect(parseContractDate("2026-04-02", now)).toMatchObject({ ok: false, error: expect.stringContaining("未来") });
    expect(parseContractDate("2026-02-30", now)).toMatchObject({ ok: false, error: expect.stringContaining("年-月-日") });
    expect(parseContractDate("2026/03/01", now)).toMatchObject({ ok: false });
    expect(parseContractDate("", now)).toMatchObject({ ok: false, error: "成約日を入力してください。" });
    expect(parseContractDate("1999-12-31", now)).toMatchObject({ ok: false, error: expect.stringContaining("2000年") });
  });
});

describe("upload bodies", () => {
  // A body sent without Content-Length (chunked) is cut off at the cap just the same.
  const body = (chunks: Buffer[], headers: Record<string, string> = {}) => {
    const stream = new PassThrough();
    Object.assign(stream, { headers });
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
    return stream as unknown as IncomingMessage;
  };
  it("reads up to the cap, and answers null past it", async () => {
    expect(await readCappedBody(body([Buffer.alloc(6), Buffer.alloc(4)]), 10)).toEqual(Buffer.alloc(10));
    expect(await readCappedBody(body([Buffer.alloc(6), Buffer.alloc(5)]), 10)).toBeNull();
    expect(await readCappedBody(body([Buffer.alloc(1)], { "content-length": "11" }), 10)).toBeNull();
    expect(await readCappedBody(body([]), 10)).toEqual(Buffer.alloc(0));
  });
});

describe("PUBLIC_BASE_URL", () => {
  it("is an optional https URL, kept without a trailing slash", () => {
    expect(loadConfig({}).publicBaseUrl).toBeNull();
    expect(loadConfig({ PUBLIC_BASE_URL: " " }).publicBaseUrl).toBeNull();
    expect(loadConfig({ PUBLIC_BASE_URL: "https://line.hitoyoshi.example/bot/" }).publicBaseUrl).toBe("https://line.hitoyoshi.example/bot");
    for (const value of ["http://line.hitoyoshi.example", "line.hitoyoshi.example", "https://"]) {
      const error = (() => {
        try {
          loadConfig({ PUBLIC_BASE_URL: value });
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).lines).toEqual([expect.stringMatching(/^PUBLIC_BASE_URL \(current value rejected\): must be an https URL/)]);
    }
  });
});

describe.each(testDatabases)("staff listings on $name", (database) => {
  const fixture = botFixture(database);
  const { say } = conversationDriver(() => fixture.lineApi);
  const start = () => fixture.start({ env: { PUBLIC_BASE_URL } });

  async function signedIn(bot: RunningBot, loginId: string, department = DEPARTMENT, role: "staff" | "admin" = "staff") {
    await addStaff(bot.store.db, { loginId, department, role });
    const client = new StaffClient(bot.url);
    expect((await client.login(loginId)).status).toBe(303);
    await client.request("/staff/listings"); // the session's CSRF token
    return client;
  }

  const listingId = async (db: Kysely<Database>, code: string) =>
    (await db.selectFrom("vacant_house_listings").select("id").where("code", "=", code).executeTakeFirstOrThrow()).id;
  const listingRow = (db: Kysely<Database>, code: string) => db.selectFrom("vacant_house_listings").selectAll().where("code", "=", code).executeTakeFirstOrThrow();
  const auditActions = async (db: Kysely<Database>, id: string) =>
    (await db.selectFrom("audit_log").select("action").where("target_type", "=", "listing").where("target_id", "=", id).orderBy("id").execute()).map((row) => row.action);

  // What a resident sees for a search: the carousel (if any) as JSON text.
  const search = async (bot: RunningBot, text = "下林町の賃貸") => JSON.stringify(await say(bot, events.text(newUserId(), text)));

  const putPhoto = (client: StaffClient, id: string, body: Buffer, headers: Record<string, string> = { "x-csrf-token": client.csrf }) =>
    fetch(`${client.baseUrl}/staff/listings/${id}/photo`, {
      method: "PUT",
      headers: { cookie: [...client.cookies].map(([name, value]) => `${name}=${value}`).join("; "), "content-type": "application/octet-stream", ...headers },
      body: new Uint8Array(body),
    });

  async function servePublicPhotos(db: Kysely<Database>) {
    const app = express();
    app.use(publicListingPhotos(db));
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it("registers a draft, publishes it to residents' search, edits it, and takes it down", async () => {
    const bot = await start();
    const staff = await signedIn(bot, "chiiki1");
    const list = await staff.request("/staff/listings");
    expect(list.status).toBe(200);
    expect(list.text).toContain("AK-001");
    expect(list.text).toContain("新しい物件を登録する");
    expect((await staff.request("/staff/listings?status=contracted")).text).toContain("AK-010");
    expect((await staff.request("/staff/listings?status=contracted")).text).not.toContain("AK-001");
    // seeds/listings.yaml has no draft: the empty tab says so, by name.
    const drafts = (await staff.request("/staff/listings?status=draft")).text;
    expect(drafts).toContain("状態が「下書き」の物件はありません。");
    expect(drafts).not.toContain("AK-001");

    const blank = await staff.request("/staff/listings/new");
    expect(blank.status).toBe(200);
    expect(blank.text).toContain('value="AK-011"');

    const invalid = await staff.post("/staff/listings/new", { ...newListing, price_yen: "4.2万", layout: "広い", built_year: "昭和63", area: "火星" });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain("入力内容を確かめてください（4か所）");
    expect(invalid.text).toContain("価格は円単位の整数で入力してください");
    expect(invalid.text).toContain("間取りは「3LDK」「5K」「1R」のように");
    expect(invalid.text).toContain("建築年は西暦4桁で入力してください");
    expect(invalid.text).toContain("地区は一覧から選んでください");
    expect(invalid.text).toContain(">川沿いの静かな家です。</textarea>");
    expect(invalid.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(invalid.text).not.toContain("<script>alert(1)");

    const created = await staff.post("/staff/listings/new", newListing);
    expect(created.status).toBe(303);
    expect(created.location).toMatch(/^\/staff\/listings\/\d+\?done=created$/);
    const row = await listingRow(bot.store.db, "AK-101");
    expect(row).toMatchObject({ status: "draft", price_yen: 42000, layout: "3LDK", area: "下林町", deal_type: "rent", built_year: 1988, land_area_sqm: null });
    expect(Number(row.floor_area_sqm)).toBe(88.25);
    expect((await staff.post("/staff/listings/new", { ...newListing, title: "別の家" })).text).toContain("物件番号「AK-101」はすでに使われています");

    const detail = await staff.request(created.location!);
    expect(detail.text).toContain("物件を下書きとして登録しました");
    expect(detail.text).not.toContain("<script>alert(1)");
    expect(await search(bot)).not.toContain("AK-101");

    expect((await staff.post(`/staff/listings/${row.id}/publish`, {})).location).toBe(`/staff/listings/${row.id}?done=publish`);
    const found = await search(bot);
    expect(found).toContain("AK-101");
    expect(found).toContain("月4.2万円");

    const edit = await staff.request(`/staff/listings/${row.id}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('value="42000"');
    const edited = await staff.post(`/staff/listings/${row.id}/edit`, { ...newListing, price_yen: "39000", code: "XX-999" });
    expect(edited.location).toBe(`/staff/listings/${row.id}?done=updated`);
    expect(await listingRow(bot.store.db, "AK-101")).toMatchObject({ price_yen: 39000, status: "published" });
    expect(await search(bot)).toContain("月3.9万円");
    expect((await staff.post(`/staff/listings/${row.id}/edit`, { ...newListing, title: "" })).text).toContain("物件名を入力してください");

    expect((await staff.post(`/staff/listings/${row.id}/unpublish`, {})).status).toBe(303);
    expect(await search(bot)).not.toContain("AK-101");
    expect((await staff.post(`/staff/listings/${row.id}/unpublish`, {})).status).toBe(409);
    expect(await auditActions(bot.store.db, row.id)).toEqual(["listing.create", "listing.publish", "listing.update", "listing.unpublish"]);
  }, BOT_TEST_TIMEOUT_MS);

  it("marks a listing contracted with a date: residents no longer see it and the KPI's live count goes up; a mistake is withdrawn", async () => {
    const bot = await start();
    const staff = await signedIn(bot, "chiiki2");
    const askCount = async () => {
      const answer = (await say(bot, events.text(newUserId(), "空き家バンクの成約件数は？"))) as SentMessage[];
      const match = /今年度.*の数：([\d,]+)件/.exec(answer.map((message) => message.text ?? "").join("\n"));
      expect(match, JSON.stringify(answer)).not.toBeNull();
      return Number(match![1]!.replace(/,/g, ""));
    };
    const counted = async () => (await liveCount(bot.store.db, "vacant_house_contracts", new Date(), [])).value;
    const before = await counted();
    expect(await askCount()).toBe(before);
    const id = await listingId(bot.store.db, "AK-001");
    expect(await search(bot)).toContain("AK-001");

    const missing = await staff.post(`/staff/listings/${id}/contract`, {});
    expect(missing.status).toBe(400);
    expect(missing.text).toContain("成約日を入力してください");
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    expect((await staff.post(`/staff/listings/${id}/contract`, { contracted_at: japanToday(tomorrow) })).text).toContain("未来の日付は入力できません");
    expect((await staff.post(`/staff/listings/${id}/contract`, { contracted_at: "2025/9/30" })).text).toContain("年-月-日の形");
    expect(await listingRow(bot.store.db, "AK-001")).toMatchObject({ status: "published", contracted_at: null });

    const today = japanToday(new Date());
    expect((await staff.post(`/staff/listings/${id}/contract`, { contracted_at: today })).location).toBe(`/staff/listings/${id}?done=contract`);
    expect((await listingRow(bot.store.db, "AK-001")).status).toBe("contracted");
    expect(await counted()).toBe(before + 1);
    expect(await askCount()).toBe(before + 1);
    expect(await search(bot)).not.toContain("AK-001");
    const page = await staff.request(`/staff/listings/${id}`);
    expect(page.text).toContain(`value="${today}"`);
    expect(page.text).toContain("成約の記録を取り消す");
    expect((await staff.request("/staff/listings?status=contracted")).text).toContain(today);

    const republish = await staff.post(`/staff/listings/${id}/publish`, {});
    expect(republish.status).toBe(409);
    expect(republish.text).toContain("先に「成約の記録を取り消す」");

    expect((await staff.post(`/staff/listings/${id}/uncontract`, {})).location).toBe(`/staff/listings/${id}?done=uncontract`);
    expect(await listingRow(bot.store.db, "AK-001")).toMatchObject({ status: "unpublished", contracted_at: null });
    expect(await counted()).toBe(before);
    expect((await staff.post(`/staff/listings/${id}/uncontract`, {})).status).toBe(409);
    const entries = await bot.store.db.selectFrom("audit_log").select(["action", "detail"]).where("target_id", "=", id).where("target_type", "=", "listing").orderBy("id").execute();
    expect(entries.map((entry) => entry.action)).toEqual(["listing.contract", "listing.uncontract"]);
    expect(entries[0]!.detail).toMatchObject({ from: "published", to: "contracted", contracted_at: today });
  }, BOT_TEST_TIMEOUT_MS);

  it("takes a JPEG photo (PUBLIC_BASE_URL → the LINE carousel shows it), refuses other files and large ones, and serves it publicly only while published", async () => {
    const bot = await start();
    const staff = await signedIn(bot, "chiiki3");
    const id = await listingId(bot.store.db, "AK-001");
    const detail = await staff.request(`/staff/listings/${id}`);
    expect(detail.text).toContain('<script src="/staff/assets/listing-photo.js" defer></script>');
    expect(detail.text).toContain(`data-upload-url="/staff/listings/${id}/photo"`);
    expect(detail.response.headers.get("content-security-policy")).toMatch(/script-src 'self'.*; connect-src 'self'$/);
    const script = await staff.request("/staff/assets/listing-photo.js");
    expect(script.status).toBe(200);
    expect(script.response.headers.get("content-type")).toMatch(/javascript/);

    expect((await putPhoto(staff, id, JPEG, {})).status).toBe(403);
    expect((await putPhoto(staff, id, JPEG, { "x-csrf-token": "forged" })).status).toBe(403);

    // A phone photo: where it was taken and the camera's serial number are removed before it is stored.
    const accepted = await putPhoto(staff, id, jpegWithMetadata(JPEG, 1, "GPS 32.21N 130.76E SerialNo 12345"));
    expect(accepted.status).toBe(200);
    const result = (await accepted.json()) as { photoId: string; next: string };
    expect(result.next).toBe(`/staff/listings/${id}?done=photo`);
    const photo = await bot.store.db.selectFrom("listing_photos").selectAll().where("listing_id", "=", id).executeTakeFirstOrThrow();
    expect(photo).toMatchObject({ id: result.photoId, content_type: "image/jpeg", byte_size: JPEG.length });
    expect(Buffer.from(photo.content).equals(JPEG)).toBe(true);
    const photoUrl = `${PUBLIC_BASE_URL}/listing-photos/${photo.id}`;
    expect((await listingRow(bot.store.db, "AK-001")).photo_url).toBe(photoUrl);
    expect(await search(bot)).toContain(photoUrl);
    expect((await staff.request(`/staff/listings/${id}?done=photo`)).text).toContain(`/staff/listings/${id}/photo?v=${photo.id}`);

    const text = await putPhoto(staff, id, Buffer.from("これは画像ではありません。\n"));
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: string }).error).toContain("JPEG・PNG・WebP");
    const gif = await putPhoto(staff, id, Buffer.concat([Buffer.from("GIF89a"), Buffer.alloc(64)]));
    expect(gif.status).toBe(415);
    const large = await putPhoto(staff, id, Buffer.concat([JPEG.subarray(0, 4), Buffer.alloc(5 * MiB - 3)]));
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: string }).error).toContain("5MB");
    expect((await putPhoto(staff, id, Buffer.alloc(0))).status).toBe(400);
    // 16000×16000 pixels in 40 KB (1 GB once a phone decodes it): refused from its header.
    const huge = await putPhoto(staff, id, png(16_000, 16_000, { bitDepth: 1 }));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: string }).error).toContain("写真の画素数が大きすぎます（16,000×16,000ピクセル。2,500万画素まで）");
    // A photo cut short (its metadata cannot be found to the end) is refused, not published as it is.
    const cut = await putPhoto(staff, id, jpegWithMetadata(JPEG, 1, "GPS 32.21N 130.76E").subarray(0, 300));
    expect(cut.status).toBe(422);
    expect(((await cut.json()) as { error: string }).error).toContain("壊れているか、途中で切れている");
    // A form post is not a photo.
    const form = await putPhoto(staff, id, Buffer.from("photo=1"), { "x-csrf-token": staff.csrf, "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    const photos = await bot.store.db.selectFrom("listing_photos").select("id").execute();
    expect(photos).toEqual([{ id: photo.id }]);

    const server = await servePublicPhotos(bot.store.db);
    try {
      const served = await fetch(`${server.url}/listing-photos/${photo.id}`);
      expect(served.status).toBe(200);
      expect(served.headers.get("content-type")).toBe("image/jpeg");
      expect(served.headers.get("x-content-type-options")).toBe("nosniff");
      expect(served.headers.get("cache-control")).toMatch(/^public, max-age=\d+$/);
      expect(Buffer.from(await served.arrayBuffer()).equals(JPEG)).toBe(true);
      const etag = served.headers.get("etag")!;
      // (fetch adds Cache-Control: no-cache to a conditional request unless the request names one.)
      const revalidated = await fetch(`${server.url}/listing-photos/${photo.id}`, { headers: { "if-none-match": etag, "cache-control": "max-age=0" } });
      expect(revalidated.status).toBe(304);
      expect((await fetch(`${server.url}/listing-photos/abc`)).status).toBe(404);

      // Replacing the photo gives it a new id (no cache serves the old one); the old id is gone.
      const replaced = (await (await putPhoto(staff, id, JPEG)).json()) as { photoId: string };
      expect(replaced.photoId).not.toBe(photo.id);
      expect((await fetch(`${server.url}/listing-photos/${photo.id}`)).status).toBe(404);
      expect((await listingRow(bot.store.db, "AK-001")).photo_url).toBe(`${PUBLIC_BASE_URL}/listing-photos/${replaced.photoId}`);

      await staff.post(`/staff/listings/${id}/unpublish`, {});
      const hidden = await fetch(`${server.url}/listing-photos/${replaced.photoId}`);
      expect(hidden.status).toBe(404);
      expect(hidden.headers.get("cache-control")).toBe("no-store");
      // Staff still see it in the console.
      const preview = await staff.request(`/staff/listings/${id}/photo`);
      expect(preview.status).toBe(200);
      expect(preview.response.headers.get("content-type")).toBe("image/jpeg");

      // LINE shows JPEG and PNG only: a WebP photo is kept for the console, and LINE gets no address for it.
      const webp = await putPhoto(staff, id, WEBP);
      expect(webp.status).toBe(200);
      expect(((await webp.json()) as { next: string }).next).toBe(`/staff/listings/${id}?done=photo_not_for_line`);
      expect((await listingRow(bot.store.db, "AK-001")).photo_url).toBeNull();
      const warned = await staff.request(`/staff/listings/${id}?done=photo_not_for_line`);
      expect(warned.text).toContain("WebP形式の写真はLINEでは表示できない");
      expect((await staff.request(`/staff/listings/${id}/photo`)).response.headers.get("content-type")).toBe("image/webp");
    } finally {
      await server.close();
    }
    expect(await auditActions(bot.store.db, id)).toEqual(["listing.photo", "listing.photo", "listing.unpublish", "listing.photo"]);
  }, BOT_TEST_TIMEOUT_MS);

  it("keeps the photo URL as it is when PUBLIC_BASE_URL is not set", async () => {
    const bot = await fixture.start();
    const staff = await signedIn(bot, "chiiki4");
    const id = await listingId(bot.store.db, "AK-001");
    expect((await putPhoto(staff, id, JPEG)).status).toBe(200);
    expect((await listingRow(bot.store.db, "AK-001")).photo_url).toBeNull();
    expect(await bot.store.db.selectFrom("listing_photos").select("listing_id").execute()).toEqual([{ listing_id: id }]);
    expect((await staff.request(`/staff/listings/${id}`)).text).toContain("PUBLIC_BASE_URL");
  }, BOT_TEST_TIMEOUT_MS);

  it("uploads through the page's script, which sends the file with the CSRF header", async () => {
    const bot = await start();
    const staff = await signedIn(bot, "chiiki5");
    const id = await listingId(bot.store.db, "AK-002");
    const page = await staff.request(`/staff/listings/${id}`);
    const attribute = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(page.text)![1]!;
    const script = readFileSync(new URL("../../src/staff/assets/listing-photo.js", import.meta.url), "utf8");

    // A browser's page, reduced to what the script touches; fetch goes to the real server with the session cookie.
    const run = async (file: Blob | { size: number } | null) => {
      let submit: ((event: { preventDefault(): void }) => Promise<void> | void) | null = null;
      const status = { textContent: "", className: "" };
      const button = { disabled: false };
      const form = {
        dataset: { uploadUrl: attribute("data-upload-url"), csrf: attribute("data-csrf"), maxBytes: attribute("data-max-bytes") },
        querySelector: (selector: string) => (selector.startsWith("input") ? { files: file ? [file] : [] } : button),
        addEventListener: (_type: string, handler: typeof submit) => (submit = handler),
      };
      const assigned: string[] = [];
      const requests: { url: string; method: string; headers: Record<string, string> }[] = [];
      const context = vm.createContext({
        document: { getElementById: (name: string) => (name === "listing-photo-form" ? form : status) },
        window: { location: { assign: (url: string) => assigned.push(url) } },
        fetch: (url: string, init: { method: string; headers: Record<string, string>; body: Blob }) => {
          requests.push({ url, method: init.method, headers: init.headers });
          const cookie = [...staff.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
          return fetch(`${bot.url}${url}`, { ...init, headers: { ...init.headers, cookie } });
        },
      });
      vm.runInContext(script, context);
      await submit!({ preventDefault() {} });
      return { status, button, assigned, requests };
    };

    const uploaded = await run(new Blob([JPEG]));
    expect(uploaded.requests).toEqual([
      { url: `/staff/listings/${id}/photo`, method: "PUT", headers: { "X-CSRF-Token": staff.csrf, "Content-Type": "application/octet-stream" } },
    ]);
    expect(uploaded.assigned).toEqual([`/staff/listings/${id}?done=photo`]);
    expect(await bot.store.db.selectFrom("listing_photos").select(["listing_id", "byte_size"]).execute()).toEqual([{ listing_id: id, byte_size: JPEG.length }]);

    const refused = await run(new Blob(["plain text, not a photo"]));
    expect(refused.status).toEqual({ textContent: expect.stringContaining("JPEG・PNG・WebP"), className: "error" });
    expect(refused.button.disabled).toBe(false);
    expect(refused.assigned).toEqual([]);

    const tooLarge = await run({ size: 6 * MiB });
    expect(tooLarge.requests).toEqual([]);
    expect(tooLarge.status.textContent).toContain("5MB");
    expect((await run(null)).status.textContent).toBe("写真のファイルを選んでください。");
  }, BOT_TEST_TIMEOUT_MS);

  it("lets other departments look but not change (403), an admin change, and refuses any change without the CSRF token", async () => {
    const bot = await start();
    const other = await signedIn(bot, "shoko1", "商工観光課");
    const id = await listingId(bot.store.db, "AK-001");
    const contracted = await listingId(bot.store.db, "AK-010");
    const list = await other.request("/staff/listings");
    expect(list.status).toBe(200);
    expect(list.text).toContain("AK-001");
    expect(list.text).not.toContain("新しい物件を登録する");
    const detail = await other.request(`/staff/listings/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain(`/staff/listings/${id}/unpublish`);
    expect(detail.text).not.toContain("listing-photo.js");
    expect((await other.request("/staff/listings/new")).status).toBe(403);
    expect((await other.request(`/staff/listings/${id}/edit`)).status).toBe(403);
    const attempts = [
      other.post("/staff/listings/new", { ...newListing, code: "AK-201" }),
      other.post(`/staff/listings/${id}/edit`, { ...newListing, price_yen: "1" }),
      other.post(`/staff/listings/${id}/unpublish`, {}),
      other.post(`/staff/listings/${id}/contract`, { contracted_at: japanToday(new Date()) }),
      other.post(`/staff/listings/${contracted}/uncontract`, {}),
      other.post(`/staff/listings/${contracted}/publish`, {}),
    ];
    for (const attempt of await Promise.all(attempts)) {
      expect(attempt.status).toBe(403);
      expect(attempt.text).toContain("地域コミュニティ課の職員と管理者");
    }
    expect((await putPhoto(other, id, JPEG)).status).toBe(403);
    expect(await bot.store.db.selectFrom("listing_photos").selectAll().execute()).toEqual([]);
    expect(await listingRow(bot.store.db, "AK-001")).toMatchObject({ status: "published", price_yen: 35000 });
    expect(await bot.store.db.selectFrom("vacant_house_listings").select("id").where("code", "=", "AK-201").execute()).toEqual([]);

    const admin = await signedIn(bot, "admin1", "秘書課", "admin");
    expect((await admin.post(`/staff/listings/${id}/unpublish`, {})).status).toBe(303);

    const owner = await signedIn(bot, "chiiki6");
    expect((await owner.request(`/staff/listings/${id}/publish`, { form: {} })).status).toBe(403);
    expect((await owner.request(`/staff/listings/${id}/publish`, { form: { _csrf: "forged" } })).status).toBe(403);
    expect((await owner.request("/staff/listings/new", { form: { ...newListing } })).status).toBe(403);
    expect((await listingRow(bot.store.db, "AK-001")).status).toBe("unpublished");

    const anonymous = new StaffClient(bot.url);
    expect((await anonymous.request("/staff/listings")).status).toBe(303);
    expect((await anonymous.request(`/staff/listings/${id}/publish`, { form: {} })).status).toBe(401);
    expect((await putPhoto(anonymous, id, JPEG)).status).toBe(401);
  }, BOT_TEST_TIMEOUT_MS);
});

// The upload as staff do it: Chromium, the page's script, the console's Content-Security-Policy.
const browserDatabase = testDatabases.at(-1)!;
describe.runIf(browserTestsEnabled)(`listing photo upload in Chromium on ${browserDatabase.name}`, () => {
  const fixture = botFixture(browserDatabase);
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("uploads a JPEG from the file picker, shows it, and explains a refused file", async () => {
    const bot = await fixture.start({ env: { PUBLIC_BASE_URL } });
    await addStaff(bot.store.db, { loginId: "chiiki7", department: DEPARTMENT });
    const id = (await bot.store.db.selectFrom("vacant_house_listings").select("id").where("code", "=", "AK-003").executeTakeFirstOrThrow()).id;
    const context = await browser.newContext({ locale: "ja-JP" });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${bot.url}/staff/login?next=${encodeURIComponent(`/staff/listings/${id}`)}`);
    await page.getByLabel("職員ID").fill("chiiki7");
    await page.getByLabel("パスワード").fill(STAFF_PASSWORD);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL(new RegExp(`/staff/listings/${id}$`));

    await page.locator('input[type="file"]').setInputFiles({ name: "not-a-photo.txt", mimeType: "text/plain", buffer: Buffer.from("これは画像ではありません") });
    await page.getByRole("button", { name: "アップロードする" }).click();
    await expect.poll(() => page.locator("#listing-photo-status").textContent()).toContain("JPEG・PNG・WebPの画像ファイルを選んでください");

    await page.locator('input[type="file"]').setInputFiles({ name: "house.jpg", mimeType: "image/jpeg", buffer: JPEG });
    await page.getByRole("button", { name: "アップロードする" }).click();
    await page.waitForURL(new RegExp(`/staff/listings/${id}\\?done=photo$`));
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("写真を登録しました");
    const image = page.getByRole("img", { name: /の写真$/ });
    await expect.poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth)).toBe(2);
    const photo = await bot.store.db.selectFrom("listing_photos").select("id").where("listing_id", "=", id).executeTakeFirstOrThrow();
    expect((await bot.store.db.selectFrom("vacant_house_listings").select("photo_url").where("id", "=", id).executeTakeFirstOrThrow()).photo_url).toBe(`${PUBLIC_BASE_URL}/listing-photos/${photo.id}`);
    // A 12-megapixel photo straight from a phone (PNG, far over 5 MB) is scaled down in the browser to
    // a JPEG of at most 2048 pixels on its long side, and accepted.
    const original = await page.evaluate(async () => {
      const canvas = document.createElement("canvas");
      [canvas.width, canvas.height] = [4000, 3000];
      const context = canvas.getContext("2d")!;
      const pixels = context.createImageData(canvas.width, canvas.height);
      for (let offset = 0; offset < pixels.data.length; offset += 65_536) crypto.getRandomValues(pixels.data.subarray(offset, offset + 65_536));
      context.putImageData(pixels, 0, 0);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((made) => resolve(made!), "image/png"));
      const input = document.querySelector<HTMLInputElement>('input[type="file"]')!;
      const files = new DataTransfer();
      files.items.add(new File([blob], "IMG_0001.png", { type: "image/png" }));
      input.files = files.files;
      return blob.size;
    });
    expect(original).toBeGreaterThan(5 * MiB);
    await page.getByRole("button", { name: "アップロードする" }).click();
    const replacement = () => bot.store.db.selectFrom("listing_photos").select(["id", "content_type", "content"]).where("listing_id", "=", id).where("id", "!=", photo.id).executeTakeFirst();
    await expect.poll(replacement, { timeout: 30_000 }).toBeDefined();
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("写真を登録しました");
    const scaled = (await replacement())!;
    expect(scaled.content_type).toBe("image/jpeg");
    expect(scaled.content.length).toBeLessThan(5 * MiB);
    expect(jpegSize(Buffer.from(scaled.content))).toEqual({ width: 2048, height: 1536 });

    // The refused upload logged its 415 to the console; nothing else may have failed (no CSP violation, no script error).
    expect(errors.filter((error) => !/415/.test(error))).toEqual([]);
    await context.close();
  }, BOT_TEST_TIMEOUT_MS);
});

// Width and height from a JPEG's frame header (SOF0–SOF2).
function jpegSize(jpeg: Buffer): { width: number; height: number } {
  let offset = 2;
  while (offset < jpeg.length) {
    const marker = jpeg[offset + 1]!;
    if (marker >= 0xc0 && marker <= 0xc2) return { height: jpeg.readUInt16BE(offset + 5), width: jpeg.readUInt16BE(offset + 7) };
    offset += 2 + jpeg.readUInt16BE(offset + 2);
  }
  throw new Error("no frame header in this JPEG");
}
