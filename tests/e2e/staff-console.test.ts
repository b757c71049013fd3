import { describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, waitFor } from "../support/webhook-client.js";

// The staff console over HTTP: sessions, CSRF, department scoping, lockout, escaping, replies
// pushed through the outbox, status changes, hand-offs given back to the bot, CSV for Excel.
describe.each(testDatabases)("staff console on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press } = conversationDriver(() => fixture.lineApi);

  // A relocation consultation made through the real flow, so the inbox has a real row and log.
  async function relocationInquiry(bot: Awaited<ReturnType<typeof fixture.start>>, userId: string, details: string) {
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "1人")));
    messages = await say(bot, events.text(userId, "東京都"));
    messages = await say(bot, press(userId, tap(messages, "このLINE")));
    messages = await say(bot, events.text(userId, details));
    messages = await say(bot, press(userId, tap(messages, "送信する")));
    return bot.store.db.selectFrom("inquiries").selectAll().where("user_id", "=", userId).orderBy("id", "desc").executeTakeFirstOrThrow();
  }

  it("keeps every /staff route behind a session: pages redirect to login, the API answers 401", async () => {
    const bot = await fixture.start();
    const client = new StaffClient(bot.url);
    for (const path of ["/staff", "/staff/inquiries", "/staff/inquiries/1", "/staff/kpi", "/staff/reports"]) {
      const page = await client.request(path);
      expect(page.status, path).toBe(303);
      expect(page.location).toMatch(/^\/staff\/login\?next=/);
    }
    expect((await client.request("/staff/api/exports/inquiries.csv")).status).toBe(401);
    expect((await client.request("/staff/inquiries/1/reply", { form: { text: "x" } })).status).toBe(401);
    const login = await client.request("/staff/login");
    expect(login.status).toBe(200);
    expect(login.response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(login.response.headers.get("x-frame-options")).toBe("DENY");
  });

  it("logs in, answers 403 without the right CSRF token, and logs out", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "shoko1" });
    const client = new StaffClient(bot.url);
    const login = await client.login("shoko1");
    expect(login.status).toBe(303);
    expect(login.response.headers.getSetCookie().find((cookie) => cookie.startsWith("hs_staff="))).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await client.request("/staff/inquiries")).status).toBe(200);

    const userId = newUserId();
    const inquiry = await relocationInquiry(bot, userId, "住まいの相談です");
    expect((await client.request(`/staff/inquiries/${inquiry.id}/notes`, { form: { body: "memo" } })).status).toBe(403);
    expect((await client.request(`/staff/inquiries/${inquiry.id}/notes`, { form: { body: "memo", _csrf: "forged" } })).status).toBe(403);
    expect(await bot.store.db.selectFrom("case_notes").selectAll().execute()).toEqual([]);
    await client.request(`/staff/inquiries/${inquiry.id}`);
    expect((await client.post(`/staff/inquiries/${inquiry.id}/notes`, { body: "折り返し電話済み" })).status).toBe(303);

    const logout = await client.post("/staff/logout", {});
    expect(logout.location).toBe("/staff/login");
    expect((await client.request("/staff/inquiries")).status).toBe(303);
    expect(await bot.store.db.selectFrom("staff_sessions").selectAll().execute()).toEqual([]);
  });

  it("locks an account after ten wrong passwords, and says nothing about which login ids exist", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "chiiki1", department: "地域コミュニティ課" });
    const client = new StaffClient(bot.url);
    const unknown = await client.login("nobody", "wrong-password-123");
    const wrong = await client.login("chiiki1", "wrong-password-123");
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.text).toContain("職員IDまたはパスワードが違うか");
    let last = wrong;
    for (let attempt = 2; attempt <= 10; attempt += 1) last = await client.login("chiiki1", "wrong-password-123");
    // Locked or not, the same answer as for a wrong password (staff-login.test.ts compares them whole).
    expect(last.status).toBe(401);
    const locked = await client.login("chiiki1");
    expect(locked.status).toBe(401);
    expect(locked.text).toContain("ロック");
    const row = await bot.store.db.selectFrom("staff_users").select("locked_until").where("login_id", "=", "chiiki1").executeTakeFirstOrThrow();
    expect(row.locked_until!.getTime()).toBeGreaterThan(Date.now() + 10 * 60 * 1000);
    const actions = await bot.store.db.selectFrom("audit_log").select("action").where("action", "like", "login%").execute();
    expect(actions.map((entry) => entry.action)).toContain("login.lock");
  }, 60_000);

  it("shows a department only its own inquiries (another department's is a 404); an admin sees all", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "chiiki2", department: "地域コミュニティ課" });
    await addStaff(bot.store.db, { loginId: "admin1", department: "秘書課", role: "admin" });
    const inquiry = await relocationInquiry(bot, newUserId(), "仕事を探しています");
    const other = new StaffClient(bot.url);
    await other.login("chiiki2");
    expect((await other.request(`/staff/inquiries/${inquiry.id}`)).status).toBe(404);
    expect((await other.request("/staff/inquiries")).text).not.toContain(inquiry.reference_no);
    expect((await other.request(`/staff/inquiries/${inquiry.id}/reply`, { form: { _csrf: other.csrf, text: "x" } })).status).toBe(404);
    const admin = new StaffClient(bot.url);
    await admin.login("admin1");
    expect((await admin.request(`/staff/inquiries/${inquiry.id}`)).status).toBe(200);
  });

  it("shows what a resident typed as text, never as markup", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "shoko2" });
    const attack = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;
    const inquiry = await relocationInquiry(bot, newUserId(), attack);
    const client = new StaffClient(bot.url);
    await client.login("shoko2");
    const detail = await client.request(`/staff/inquiries/${inquiry.id}`);
    expect(detail.text).not.toContain("<img src=x");
    expect(detail.text).not.toContain("<script>alert");
    expect(detail.text).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("replies to the resident by push, moves the inquiry on, and gives a closed hand-off back to the bot", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "hisho1", department: "秘書課" });
    const userId = newUserId();
    await say(bot, events.text(userId, "職員の方と話したいです"));
    const handoff = await bot.store.db.selectFrom("inquiries").selectAll().where("category", "=", "human").executeTakeFirstOrThrow();
    const client = new StaffClient(bot.url);
    await client.login("hisho1");
    const list = await client.request("/staff/inquiries?category=human&status=new");
    expect(list.text).toContain(handoff.reference_no);
    await client.request(`/staff/inquiries/${handoff.id}`);
    const sent = await client.post(`/staff/inquiries/${handoff.id}/reply`, { text: "秘書課の山田です。ご用件を伺います。" });
    expect(sent.location).toBe(`/staff/inquiries/${handoff.id}?done=sent`);
    const push = await waitFor(async () => fixture.lineApi.to("/v2/bot/message/push").find((request) => request.body.to === userId), "the staff reply push");
    expect(push.body.messages).toEqual([{ type: "text", text: "秘書課の山田です。ご用件を伺います。" }]);
    const out = await bot.store.db.selectFrom("messages").select(["text", "direction"]).where("user_id", "=", userId).where("direction", "=", "out").orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(out.text).toBe("秘書課の山田です。ご用件を伺います。");

    await client.post(`/staff/inquiries/${handoff.id}/status`, { status: "closed", assignee_id: "" });
    const closed = await bot.store.db.selectFrom("inquiries").select(["status", "closed_at"]).where("id", "=", handoff.id).executeTakeFirstOrThrow();
    expect(closed.status).toBe("closed");
    expect(closed.closed_at).not.toBeNull();
    const again = await say(bot, events.text(userId, "こんにちは"));
    expect(again[0]!.text).toContain("こんにちは");
    const history = await bot.store.db.selectFrom("audit_log").select("action").where("target_type", "=", "inquiry").where("target_id", "=", handoff.id).execute();
    expect(history.map((entry) => entry.action).sort()).toEqual(["inquiry.reply", "inquiry.update"]);
  });

  it("exports inquiries as CSV that Excel on Japanese Windows opens: BOM, CRLF, quoted, formulas neutralized", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "shoko3" });
    await relocationInquiry(bot, newUserId(), '=HYPERLINK("http://evil.example","クリック")');
    await relocationInquiry(bot, newUserId(), "家族4人で\n引っ越しを考えています、\"急ぎ\"です");
    const client = new StaffClient(bot.url);
    await client.login("shoko3");
    const download = await client.request("/staff/api/exports/inquiries.csv");
    expect(download.status).toBe(200);
    expect(download.response.headers.get("content-disposition")).toMatch(/attachment; filename="inquiries-/);
    const bytes = Buffer.from(await download.response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    const lines = text.split("\r\n");
    expect(lines[0]).toContain('"受付番号","種類","状態"');
    expect(lines.at(-1)).toBe("");
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"",""クリック"")"`);
    expect(text).toContain('"家族4人で\n引っ越しを考えています、""急ぎ""です"');
    expect(text.split("\r\n").filter((line) => line.includes('"移住相談"'))).toHaveLength(2);
  });
});
