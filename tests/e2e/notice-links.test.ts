import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { addResidents, residentId } from "../support/residents.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { waitFor } from "../support/webhook-client.js";

// A notice's /r/ links lead to their URL only once an administrator approved the notice (draft,
// pending and cancelled ones answer 404 and count nothing), so writing a draft cannot make the
// city's address redirect anywhere; and a notice is cancelled only by its author or an admin.
const PUBLIC = "https://line.example.jp";
const TARGET = "https://evil.example/phish";
const options = { env: { PUBLIC_BASE_URL: PUBLIC }, overrides: { noticeIntervalMs: 50, notices: { backoff: () => 20 } } };

async function signedIn(bot: RunningBot, loginId: string, role: "admin" | "staff" = "staff") {
  await addStaff(bot.store.db, { loginId, displayName: loginId, role });
  const client = new StaffClient(bot.url);
  await client.login(loginId);
  await client.request("/staff/notices");
  return client;
}

const noticeIdFrom = (location: string | null) => /\/staff\/notices\/(\d+)/.exec(location ?? "")![1]!;

async function compose(client: StaffClient, intent: "draft" | "submit", extra: Record<string, string> = {}) {
  const created = await client.post("/staff/notices/new", {
    type: "text",
    title: "リンクのお知らせ",
    text: `詳しくは ${TARGET} をご覧ください。`,
    audience: "all",
    when: "now",
    intent,
    ...extra,
  });
  expect(created.status).toBe(303);
  return noticeIdFrom(created.location);
}

describe.each(testDatabases)("notice links and cancelling on $name", { timeout: 180_000 }, (database) => {
  const fixture = botFixture(database);

  const tokenOf = async (bot: RunningBot, noticeId: string) =>
    (await bot.store.db.selectFrom("notice_links").select(["token", "clicks"]).where("notice_id", "=", noticeId).executeTakeFirstOrThrow());
  const tap = (bot: RunningBot, token: string) => fetch(`${bot.url}/r/${token}`, { redirect: "manual" });
  const status = async (bot: RunningBot, id: string) => (await bot.store.db.selectFrom("notices").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;

  it("redirects only once an admin approved the notice; before that, and after a cancel, 404 and no click", async () => {
    const bot = await fixture.start(options);
    await addResidents(bot.store.db, [{ userId: residentId(1), following: true, profile: null }]);
    const author = await signedIn(bot, "writer");
    const admin = await signedIn(bot, "approver", "admin");

    const id = await compose(author, "draft");
    const { token } = await tokenOf(bot, id);
    for (const expected of ["draft", "pending"] as const) {
      expect(await status(bot, id)).toBe(expected);
      const refused = await tap(bot, token);
      expect(refused.status).toBe(404);
      expect(refused.headers.get("location")).toBeNull();
      expect(refused.headers.get("content-type")).toMatch(/^text\/html; charset=utf-8/);
      expect(await refused.text()).toContain("このリンクは見つからないか、まだ使えません。");
      if (expected === "draft") expect((await author.post(`/staff/notices/${id}/submit`, {})).status).toBe(303);
    }
    expect((await tokenOf(bot, id)).clicks).toBe(0);

    expect((await admin.post(`/staff/notices/${id}/approve`, {})).status).toBe(303);
    await waitFor(async () => (await status(bot, id)) === "sent", "the notice sent");
    const followed = await tap(bot, token);
    expect(followed.status).toBe(302);
    expect(followed.headers.get("location")).toBe(TARGET);
    expect((await tokenOf(bot, id)).clicks).toBe(1);

    // Cancelled before it went out: its link leads nowhere either.
    const cancelled = await compose(author, "submit");
    expect((await author.post(`/staff/notices/${cancelled}/cancel`, {})).status).toBe(303);
    expect(await status(bot, cancelled)).toBe("cancelled");
    const dead = await tokenOf(bot, cancelled);
    expect((await tap(bot, dead.token)).status).toBe(404);
    expect((await tokenOf(bot, cancelled)).clicks).toBe(0);
    // Unknown and malformed tokens: the same page.
    expect((await tap(bot, "A".repeat(16))).status).toBe(404);
    expect((await tap(bot, "%E3%81")).status).toBe(404);
  });

  it("lets only the author and administrators cancel, and shows the button only to them", async () => {
    const bot = await fixture.start(options);
    await addResidents(bot.store.db, [{ userId: residentId(2), following: true, profile: null }]);
    const author = await signedIn(bot, "author");
    const colleague = await signedIn(bot, "colleague");
    const approver = await signedIn(bot, "boss", "admin");
    const otherAdmin = await signedIn(bot, "boss2", "admin");

    // Approved for a later time, so it stays cancellable.
    const id = await compose(author, "submit", { when: "later", scheduled_at: "2099-12-01T09:00" });
    expect((await approver.post(`/staff/notices/${id}/approve`, {})).status).toBe(303);
    expect(await status(bot, id)).toBe("approved");

    const colleaguePage = await colleague.request(`/staff/notices/${id}`);
    expect(colleaguePage.text).not.toContain(`/staff/notices/${id}/cancel`);
    const refused = await colleague.post(`/staff/notices/${id}/cancel`, {});
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("このお知らせを取り消せるのは、作成した方と管理者だけです。");
    expect(await status(bot, id)).toBe("approved");
    expect(await bot.store.db.selectFrom("audit_log").select("action").where("action", "=", "notice.cancel").execute()).toEqual([]);

    expect((await author.request(`/staff/notices/${id}`)).text).toContain(`/staff/notices/${id}/cancel`);
    expect((await otherAdmin.request(`/staff/notices/${id}`)).text).toContain(`/staff/notices/${id}/cancel`);
    expect((await otherAdmin.post(`/staff/notices/${id}/cancel`, {})).status).toBe(303);
    expect(await status(bot, id)).toBe("cancelled");

    // The author may withdraw their own approved notice.
    const own = await compose(author, "submit", { when: "later", scheduled_at: "2099-12-02T09:00" });
    expect((await approver.post(`/staff/notices/${own}/approve`, {})).status).toBe(303);
    expect((await colleague.post(`/staff/notices/${own}/cancel`, {})).status).toBe(403);
    expect((await author.post(`/staff/notices/${own}/cancel`, {})).status).toBe(303);
    expect(await status(bot, own)).toBe("cancelled");
    const cancels = await bot.store.db.selectFrom("audit_log").select(["staff_id", "target_id"]).where("action", "=", "notice.cancel").orderBy("id").execute();
    expect(cancels.map((row) => row.target_id)).toEqual([id, own]);
  });
});
