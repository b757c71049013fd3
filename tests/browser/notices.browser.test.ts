import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { browserTestsEnabled, errorsOf, launchBrowser, screenshot } from "../support/browser.js";
import { addResidents, residentId } from "../support/residents.js";
import { addStaff, STAFF_PASSWORD } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { waitFor } from "../support/webhook-client.js";

// A notice from the first word to the results, in Debian's Chromium: a staff member composes a
// segment notice and watches the recipient count change as conditions are ticked; a different
// person, an admin, approves it; the results page shows what was delivered. Screenshots go to
// tests/artifacts/.
const database = testDatabases.at(-1)!;

describe.runIf(browserTestsEnabled)(`notices in Chromium on ${database.name}`, () => {
  const fixture = botFixture(database);
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  // The preview loads the notice's https image; the city's site is answered here, offline.
  const PIXEL = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  async function newContext() {
    const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 1280, height: 1000 } });
    await context.route("https://www.city.hitoyoshi.lg.jp/**", (route) => route.fulfill({ status: 200, contentType: "image/png", body: PIXEL }));
    return context;
  }

  async function logIn(page: Page, url: string, loginId: string) {
    await page.goto(`${url}/staff/login`);
    await page.getByLabel("職員ID").fill(loginId);
    await page.getByLabel("パスワード").fill(STAFF_PASSWORD);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL(/\/staff\/inquiries$/);
  }

  it("composes a segment notice, sees the count, is approved by another admin, and shows the results", async () => {
    const bot = await fixture.start({ env: { PUBLIC_BASE_URL: "https://line.example.jp" }, overrides: { noticeIntervalMs: 100 } });
    await addResidents(bot.store.db, [
      { userId: residentId(1), following: true, profile: { residence: "city", school_district: "東校区", town: "下林町", age_band: "30s", interests: ["events"] } },
      { userId: residentId(2), following: true, profile: { residence: "city", school_district: "西校区", town: "鍛冶屋町", age_band: "60s", interests: ["disaster", "events"] } },
      { userId: residentId(3), following: true, profile: { residence: "outside", school_district: null, town: null, age_band: "20s", interests: ["relocation"] } },
      { userId: residentId(4), following: false, profile: { residence: "city", school_district: "東校区", town: "下林町", age_band: "30s", interests: ["events"] } },
    ]);
    await addStaff(bot.store.db, { loginId: "tanaka", displayName: "田中 一郎", department: "企画政策課" });
    await addStaff(bot.store.db, { loginId: "suzuki", displayName: "鈴木 花子", department: "総務課", role: "admin" });

    const authorContext = await newContext();
    const page = await authorContext.newPage();
    const errors = errorsOf(page);
    await logIn(page, bot.url, "tanaka");
    await page.getByRole("link", { name: "お知らせ配信" }).click();
    await page.getByRole("link", { name: "新しいお知らせを作る" }).click();
    await page.getByRole("link", { name: "Flex：イベントのお知らせ" }).click();
    await page.waitForURL(/template=event/);
    await page.getByLabel("件名").fill("秋の清流まつり");
    await page.getByLabel("催しの名前").fill("秋の清流まつり");
    await page.getByLabel("画像のURL（https）").fill("https://www.city.hitoyoshi.lg.jp/images/festival.jpg");
    await page.getByLabel("日時", { exact: true }).fill("11月29日（土）10:00〜15:00");
    await page.getByLabel("場所").fill("人吉市役所 前広場");
    await page.getByLabel("内容", { exact: true }).fill("地元の食と音楽をお楽しみください。");
    await page.getByLabel("詳しい案内のURL（https）").fill("https://www.city.hitoyoshi.lg.jp/event/");

    const count = page.locator("#recipient-count");
    await expect.poll(() => count.textContent()).toBe("3 人");
    await page.getByLabel("受信設定の条件で絞り込む").check();
    await page.getByLabel("市内に住んでいる").check();
    await expect.poll(() => count.textContent()).toBe("2 人");
    await page.getByLabel("下林町").check();
    await expect.poll(() => count.textContent()).toBe("1 人");
    await page.getByLabel("鍛冶屋町").check();
    await expect.poll(() => count.textContent()).toBe("2 人");
    await screenshot(page, "notices-01-compose");

    await page.getByRole("button", { name: "承認を依頼する" }).click();
    await page.waitForURL(/done=submitted/);
    await expect.poll(() => page.locator(".flex-bubble .flex-text").first().textContent()).toBe("イベントのお知らせ");
    await expect.poll(() => page.getByRole("button", { name: /承認して/ }).count()).toBe(0);
    await screenshot(page, "notices-02-submitted");
    const noticeUrl = page.url().replace(/\?.*$/, "");

    const adminContext = await newContext();
    const adminPage = await adminContext.newPage();
    const adminErrors = errorsOf(adminPage);
    await logIn(adminPage, bot.url, "suzuki");
    await adminPage.goto(noticeUrl);
    await expect.poll(() => adminPage.getByText("秋の清流まつり").count()).toBeGreaterThan(0);
    await adminPage.getByRole("button", { name: "承認して配信する" }).click();
    await adminPage.waitForURL(/done=approved/);
    await screenshot(adminPage, "notices-03-approved");

    const multicast = await waitFor(async () => fixture.lineApi.to("/v2/bot/message/multicast")[0], "the multicast");
    expect([...multicast.body.to].sort()).toEqual([residentId(1), residentId(2)]);
    await waitFor(async () => (await bot.store.db.selectFrom("notices").select("status").executeTakeFirstOrThrow()).status === "sent", "the notice sent");
    await adminPage.reload();
    await adminPage.getByRole("link", { name: "配信結果を見る" }).click();
    await expect.poll(() => adminPage.locator("#result-reached").textContent()).toBe("2 人");
    await expect.poll(() => adminPage.locator("#result-batches").textContent()).toBe("1 / 1 回");
    await screenshot(adminPage, "notices-04-results");

    expect(errors).toEqual([]);
    expect(adminErrors).toEqual([]);
    await authorContext.close();
    await adminContext.close();
  }, 240_000);
});
