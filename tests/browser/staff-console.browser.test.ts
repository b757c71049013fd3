import { readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { browserTestsEnabled, errorsOf, launchBrowser, screenshot } from "../support/browser.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, STAFF_PASSWORD } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, waitFor } from "../support/webhook-client.js";

// A staff member's day in a real browser (Debian's Chromium through playwright-core): log in,
// filter the inbox, open an inquiry, reply in LINE, change its status, download the CSV, open the
// KPI dashboard and a survey's results. A screenshot of each page goes to tests/artifacts/.
const database = testDatabases.at(-1)!;

describe.runIf(browserTestsEnabled)(`staff console in Chromium on ${database.name}`, () => {
  const fixture = botFixture(database);
  const { say, tap, press } = conversationDriver(() => fixture.lineApi);
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("logs in, filters, opens an inquiry, replies, closes it, downloads the CSV, and opens the KPI dashboard and a survey's results", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "yamada", displayName: "山田 花子", department: "商工観光課" });
    const userId = newUserId();
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "仕事")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    messages = await say(bot, events.text(userId, "大阪府堺市"));
    messages = await say(bot, press(userId, tap(messages, "このLINE")));
    messages = await say(bot, events.text(userId, `農業の仕事を探しています <img src=x onerror="document.title='pwned'">`));
    messages = await say(bot, press(userId, tap(messages, "送信する")));
    const reference = messages[0]!.text.match(/IQ-\d{4}-\d{5}/)![0];
    // The same resident answers the seeded satisfaction survey.
    messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
    messages = await say(bot, press(userId, tap(messages, "5")));
    messages = await say(bot, press(userId, tap(messages, "今くらいでよい")));
    messages = await say(bot, press(userId, tap(messages, "防災・災害の情報")));
    messages = await say(bot, press(userId, tap(messages, "選び終わった")));
    messages = await say(bot, press(userId, tap(messages, "人吉市内")));
    messages = await say(bot, events.text(userId, "避難所の情報が届くと安心です"));
    expect(messages[0]!.text).toContain("ご回答ありがとうございました");

    const context = await browser.newContext({ acceptDownloads: true, locale: "ja-JP", viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = errorsOf(page);
    await page.goto(`${bot.url}/staff/inquiries`);
    await expect.poll(() => page.url()).toContain("/staff/login");
    await screenshot(page, "staff-01-login");
    await page.getByLabel("職員ID").fill("yamada");
    await page.getByLabel("パスワード").fill(STAFF_PASSWORD);
    await page.getByRole("button", { name: "ログイン" }).click();
    await page.waitForURL(/\/staff\/inquiries$/);
    await expect.poll(() => page.getByRole("link", { name: reference }).count()).toBe(1);

    await page.getByLabel("種類").selectOption("relocation");
    await page.getByLabel("キーワード").fill("農業");
    await page.getByRole("button", { name: "絞り込む" }).click();
    await page.waitForURL(/q=/);
    await expect.poll(() => page.getByRole("link", { name: reference }).count()).toBe(1);
    await screenshot(page, "staff-02-inbox-filtered");

    await page.getByRole("link", { name: reference }).click();
    await page.waitForURL(/\/staff\/inquiries\/\d+$/);
    expect(await page.title()).not.toBe("pwned");
    expect(await page.locator("img[src=x]").count()).toBe(0);
    await expect.poll(() => page.getByText("大阪府堺市").count()).toBeGreaterThan(0);
    await screenshot(page, "staff-03-inquiry");

    await page.getByPlaceholder("住民の方へのお返事").fill("商工観光課の山田です。農業の求人情報をお送りします。");
    await page.getByRole("button", { name: "送信する" }).click();
    await page.waitForURL(/done=sent/);
    const push = await waitFor(async () => fixture.lineApi.to("/v2/bot/message/push").find((request) => request.body.to === userId), "the reply push");
    expect(push.body.messages[0].text).toBe("商工観光課の山田です。農業の求人情報をお送りします。");
    await screenshot(page, "staff-04-replied");

    await page.getByLabel("状態").selectOption("closed");
    await page.getByRole("button", { name: "更新する" }).click();
    await page.waitForURL(/done=updated/);
    const row = await bot.store.db.selectFrom("inquiries").select("status").where("reference_no", "=", reference).executeTakeFirstOrThrow();
    expect(row.status).toBe("closed");

    await page.goto(`${bot.url}/staff/inquiries`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /CSVでダウンロード/ }).click()]);
    const bytes = await readFile((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString("utf8")).toContain(reference);
    expect(bytes.toString("utf8")).toContain("\r\n");

    await page.goto(`${bot.url}/staff/kpi`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("KPI");
    await screenshot(page, "staff-05-kpi");

    await page.goto(`${bot.url}/staff/surveys`);
    await page.getByRole("link", { name: "人吉市公式LINE 満足度アンケート" }).first().click();
    await page.waitForURL(/\/staff\/surveys\/\d+\/results$/);
    await expect.poll(() => page.locator("svg.bar-chart").count()).toBeGreaterThan(0);
    // Free text is for the survey's department (秘書課) and admins: 山田 (商工観光課) sees counts only.
    await expect.poll(() => page.getByText("回答の内容は担当課の職員と管理者だけがご覧になれます。").count()).toBe(1);
    expect(await page.getByText("避難所の情報が届くと安心です").count()).toBe(0);
    await screenshot(page, "staff-06-survey-results");
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});
