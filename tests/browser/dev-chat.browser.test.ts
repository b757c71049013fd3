import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { browserTestsEnabled, errorsOf, launchBrowser, screenshot } from "../support/browser.js";
import { startLocalBot } from "../support/local-bot.js";
import { addStaff, StaffClient } from "../support/staff-client.js";

// /dev/chat in Debian's Chromium, in local mode (npm start with no environment): the page follows
// the account as a new user, shows the rich menu deployed to the LINE stand-in under the chat,
// sends what LINE sends for a tap on it (a message, a postback with its display text, a tab switch)
// and shows the bot's answers; a notice approved in the staff console arrives in the chat; the
// relocation menu linked to a resident who lives elsewhere replaces the default.
// Screenshots go to tests/artifacts/.
describe.runIf(browserTestsEnabled)("the dev chat page in Chromium, local mode", () => {
  let browser: Browser;
  let bot: RunningBot;
  let problems: string[];
  beforeAll(async () => {
    browser = await launchBrowser();
    ({ bot, problems } = await startLocalBot());
  });
  afterAll(async () => {
    await browser?.close();
    await bot?.stop();
  });

  it("shows the rich menu, answers taps on it, switches tabs, receives a notice and shows a prospect the relocation menu", async () => {
    const context = await browser.newContext({ locale: "ja-JP", viewport: { width: 480, height: 1000 } });
    const page = await context.newPage();
    const errors = errorsOf(page);
    await page.goto(`${bot.url}/dev/chat`);
    const log = page.locator("#log");
    // A tap area of the rich menu (the welcome's quick replies have some of the same labels).
    const area = (name: string) => page.locator("#richmenu").getByRole("button", { name, exact: true });
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain("友だち追加");

    // The default menu's image, drawn from the stand-in's data host, with a button per tap area.
    const image = page.locator("#rm-frame img");
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 15_000 }).toBe(2500);
    await expect.poll(() => page.locator("#rm-bar-text").textContent()).toBe("メニュー");
    expect(await page.locator("#rm-frame .rm-area").count()).toBe(7);
    await screenshot(page, "devchat-01-rich-menu");

    // A message area sends its text as the user's message; the bot answers it.
    await area("市の目標").click();
    await expect.poll(() => log.locator(".row.me .bubble").last().textContent()).toBe("KPI一覧");
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain("成果指標（KPI）の一覧です");
    // A postback area shows its display text and opens the conversation.
    await area("通報する").click();
    await expect.poll(() => log.locator(".row.me .bubble").last().textContent()).toBe("通報したい");
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain("何についての通報ですか");
    await screenshot(page, "devchat-02-taps");

    // A tab switches the menu shown (and sends LINE's postback, answered with silence).
    await area("移住をお考えの方へ").click();
    await expect.poll(() => page.locator("#rm-bar-text").textContent()).toBe("移住メニュー");
    await expect.poll(() => area("空き家を探す").count()).toBe(1);
    // Nothing in the chat for it: the report's choices stay, no answer is awaited.
    expect(await page.locator("#quick").isVisible()).toBe(true);
    expect(await page.locator("#typing").count()).toBe(0);
    // The chat bar closes and opens the menu.
    await page.locator("#rm-bar").click();
    expect(await page.locator("#rm-frame").isHidden()).toBe(true);
    await page.locator("#rm-bar").click();
    expect(await page.locator("#rm-frame").isVisible()).toBe(true);
    await screenshot(page, "devchat-03-relocation-tab");

    // A notice to every friend, approved by a second administrator, arrives in the chat.
    await addStaff(bot.store.db, { loginId: "tanaka", role: "admin" });
    await addStaff(bot.store.db, { loginId: "suzuki", role: "admin" });
    const [author, approver] = [new StaffClient(bot.url), new StaffClient(bot.url)];
    for (const [client, loginId] of [[author, "tanaka"], [approver, "suzuki"]] as const) {
      await client.login(loginId);
      await client.request("/staff/notices");
    }
    const created = await author.post("/staff/notices/new", { type: "text", title: "清掃活動", text: "日曜日は川の清掃活動です。", audience: "all", when: "now", intent: "submit" });
    const id = /\/staff\/notices\/(\d+)/.exec(created.location ?? "")![1]!;
    expect((await approver.post(`/staff/notices/${id}/approve`, {})).status).toBe(303);
    await expect.poll(() => log.locator(".row.bot .bubble").last().textContent(), { timeout: 20_000 }).toBe("日曜日は川の清掃活動です。");
    await screenshot(page, "devchat-04-notice");

    // Back on the main menu, the user says they live elsewhere: the relocation menu is linked to
    // them (the menu sync job) and the page shows it.
    await page.locator("#input").fill("キャンセル");
    await page.locator("#input").press("Enter");
    await expect.poll(() => log.locator(".row.me .bubble").last().textContent()).toBe("キャンセル");
    await area("くらしのメニュー").click();
    await expect.poll(() => page.locator("#rm-bar-text").textContent()).toBe("メニュー");
    await area("受信設定").click();
    const outside = page.locator("#quick").getByRole("button", { name: "市外に住んでいる" });
    await expect.poll(() => outside.count(), { timeout: 15_000 }).toBe(1);
    await outside.click();
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain("移住に役立つご案内");
    await expect.poll(() => page.locator("#rm-bar-text").textContent(), { timeout: 15_000 }).toBe("移住メニュー");
    expect(await page.locator("#dev-richmenu").textContent()).toContain("このユーザーにリンクされたメニュー");
    await screenshot(page, "devchat-05-relocation-linked");

    expect(errors).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});
