import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// The 通報 part of the staff console over HTTP: reports made through signed webhooks (with a LINE
// location and a photo), scoped to the category's department, photos served only to who may see
// them, and status changes pushed to the resident who reported.
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3_000, 9)]);

describe.each(testDatabases)("staff console reports on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press } = conversationDriver(() => fixture.lineApi);
  let photoMessageId = 81000;

  // A 道路 report through the real flow: the category button, a LINE location, one photo from
  // LINE's content API, a description, and 「通報する」.
  async function roadReport(bot: RunningBot, userId: string, description: string, options: { photo?: Buffer } = {}) {
    let messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "道路")));
    messages = await say(bot, events.location(userId, { message: { id: "80001", type: "location", title: "九日町", address: "熊本県人吉市九日町", latitude: 32.2127, longitude: 130.7586 } }));
    if (options.photo) {
      photoMessageId += 1;
      fixture.lineApi.setContent(String(photoMessageId), options.photo);
      messages = await say(bot, events.image(userId, { message: { id: String(photoMessageId), type: "image", contentProvider: { type: "line" }, quoteToken: "q1" } }));
      messages = await say(bot, press(userId, tap(messages, "次へ進む")));
    } else {
      messages = await say(bot, press(userId, tap(messages, "写真なし")));
    }
    messages = await say(bot, events.text(userId, description));
    await say(bot, press(userId, tap(messages, "通報する")));
    return bot.store.db.selectFrom("reports").selectAll().where("user_id", "=", userId).orderBy("id", "desc").executeTakeFirstOrThrow();
  }

  const pushesTo = (userId: string) => fixture.lineApi.to("/v2/bot/message/push").filter((request) => request.body.to === userId);

  it("lists a report with its photo, place and map link for the category's department only; the photo is served to it alone", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "kensetsu1", department: "建設課" });
    await addStaff(bot.store.db, { loginId: "kankyo1", department: "環境課" });
    await addStaff(bot.store.db, { loginId: "admin1", department: "秘書課", role: "admin" });
    const report = await roadReport(bot, newUserId(), "車道の真ん中に直径30cmほどの穴があります", { photo: JPEG });
    expect(report.department).toBe("建設課");
    const photo = await bot.store.db.selectFrom("report_photos").select("id").where("report_id", "=", report.id).executeTakeFirstOrThrow();

    const anonymous = new StaffClient(bot.url);
    expect((await anonymous.request(`/staff/api/report-photos/${photo.id}`)).status).toBe(401);

    const kensetsu = new StaffClient(bot.url);
    await kensetsu.login("kensetsu1");
    const list = await kensetsu.request("/staff/reports");
    expect(list.status).toBe(200);
    expect(list.text).toContain(report.reference_no);
    expect(list.text).toContain("熊本県人吉市九日町");
    expect((await kensetsu.request(`/staff/reports?category=${encodeURIComponent("道路")}&status=new`)).text).toContain(report.reference_no);
    expect((await kensetsu.request(`/staff/reports?category=${encodeURIComponent("公園")}`)).text).not.toContain(report.reference_no);
    expect((await kensetsu.request(`/staff/reports?q=${encodeURIComponent("直径30cm")}`)).text).toContain(report.reference_no);
    expect((await kensetsu.request(`/staff/reports?q=${encodeURIComponent("九日町")}`)).text).toContain(report.reference_no);
    expect((await kensetsu.request("/staff/reports?status=closed")).text).not.toContain(report.reference_no);
    // An empty result says so and repeats what was searched; past the last page, where to go.
    const nothing = (await kensetsu.request(`/staff/reports?q=${encodeURIComponent("落石")}&category=${encodeURIComponent("公園")}&from=2026-01-01&status=closed`)).text;
    expect(nothing).not.toContain(report.reference_no);
    expect(nothing).toContain("条件に合う通報はありません（キーワード「落石」、種類「公園」、状態「完了」、期間「2026-01-01〜」）。");
    expect(nothing).toContain('<a href="/staff/reports">条件をクリア</a>');
    expect((await kensetsu.request("/staff/reports?page=2")).text).toContain("2ページ目に表示する通報はありません。");

    const detail = await kensetsu.request(`/staff/reports/${report.id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain("車道の真ん中に直径30cmほどの穴があります");
    expect(detail.text).toContain("32.212700, 130.758600");
    expect(detail.text).toContain(
      `<a href="https://www.openstreetmap.org/?mlat=32.212700&amp;mlon=130.758600#map=18/32.212700/130.758600" target="_blank" rel="noopener noreferrer">`,
    );
    expect(detail.text).toContain(`<img src="/staff/api/report-photos/${photo.id}"`);
    expect(detail.text).toContain("写真（1枚）");
    expect(detail.text).toContain("通報したい");

    const served = await kensetsu.request(`/staff/api/report-photos/${photo.id}`);
    expect(served.status).toBe(200);
    expect(served.response.headers.get("content-type")).toBe("image/jpeg");
    expect(served.response.headers.get("content-disposition")).toBe("inline");
    expect(served.response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await served.response.arrayBuffer()).equals(JPEG)).toBe(true);

    const kankyo = new StaffClient(bot.url);
    await kankyo.login("kankyo1");
    const kankyoList = (await kankyo.request("/staff/reports")).text;
    expect(kankyoList).not.toContain(report.reference_no);
    expect(kankyoList).toContain("通報はまだありません。");
    expect((await kankyo.request(`/staff/reports/${report.id}`)).status).toBe(404);
    expect((await kankyo.request(`/staff/api/report-photos/${photo.id}`)).status).toBe(404);
    expect((await kankyo.request(`/staff/api/report-photos/abc`)).status).toBe(404);
    expect((await kankyo.post(`/staff/reports/${report.id}/status`, { status: "closed", assignee_id: "" })).status).toBe(404);
    expect((await kankyo.post(`/staff/reports/${report.id}/notes`, { body: "x" })).status).toBe(404);

    const admin = new StaffClient(bot.url);
    await admin.login("admin1");
    expect((await admin.request(`/staff/reports?department=${encodeURIComponent("建設課")}`)).text).toContain(report.reference_no);
    expect((await admin.request(`/staff/reports?department=${encodeURIComponent("環境課")}`)).text).not.toContain(report.reference_no);
    expect((await admin.request(`/staff/api/report-photos/${photo.id}`)).status).toBe(200);
  }, 90_000);

  it("pushes 「対応を開始しました」 and 「対応が完了しました」 to the resident, once each, and 「通報の状況」 then says 対応完了", async () => {
    const bot = await fixture.start();
    const kensetsuId = await addStaff(bot.store.db, { loginId: "kensetsu2", department: "建設課", displayName: "建設 太郎" });
    const userId = newUserId();
    const report = await roadReport(bot, userId, "街路樹の枝が道路にはみ出しています");
    const client = new StaffClient(bot.url);
    await client.login("kensetsu2");
    await client.request(`/staff/reports/${report.id}`);

    const started = await client.post(`/staff/reports/${report.id}/status`, { status: "in_progress", assignee_id: kensetsuId });
    expect(started.location).toBe(`/staff/reports/${report.id}?done=notified`);
    const first = await waitFor(async () => pushesTo(userId)[0], "the in_progress push");
    expect(first.body.messages).toEqual([{ type: "text", text: expect.stringContaining(`通報（受付番号 ${report.reference_no}）について、担当の建設課で対応を開始しました。`) }]);

    // Same status again (only the assignee changes): no second message.
    expect((await client.post(`/staff/reports/${report.id}/status`, { status: "in_progress", assignee_id: "" })).location).toBe(`/staff/reports/${report.id}?done=updated`);
    await client.post(`/staff/reports/${report.id}/notes`, { body: "現地確認は明日の午前" });
    const closed = await client.post(`/staff/reports/${report.id}/status`, { status: "closed", assignee_id: kensetsuId });
    expect(closed.location).toBe(`/staff/reports/${report.id}?done=notified`);
    const pushes = await waitFor(async () => (pushesTo(userId).length >= 2 ? pushesTo(userId) : null), "the closed push");
    expect(pushes).toHaveLength(2);
    expect((pushes[1]!.body.messages as { text: string }[])[0]!.text).toContain(`通報（受付番号 ${report.reference_no}）について、対応が完了しました。`);
    expect((pushes[1]!.body.messages as { text: string }[])[0]!.text).toContain("ご連絡ありがとうございました。");

    const row = await bot.store.db.selectFrom("reports").select(["status", "closed_at", "assignee_id"]).where("id", "=", report.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "closed", assignee_id: kensetsuId });
    expect(row.closed_at).not.toBeNull();
    const history = await bot.store.db.selectFrom("audit_log").select("action").where("target_type", "=", "report").where("target_id", "=", report.id).orderBy("id").execute();
    expect(history.map((entry) => entry.action)).toEqual(["report.update", "report.update", "report.note", "report.update"]);
    const notes = await bot.store.db.selectFrom("case_notes").select(["case_type", "body"]).where("case_id", "=", report.id).execute();
    expect(notes).toEqual([{ case_type: "report", body: "現地確認は明日の午前" }]);

    const page = await client.request(`/staff/reports/${report.id}?done=notified`);
    expect(page.text).toContain("通報した方へLINEでお知らせしました");
    expect(page.text).toContain("現地確認は明日の午前");
    expect(page.text).toContain("対応が完了しました");

    const answer = await say(bot, events.text(userId, "通報の状況を知りたい"));
    expect(answer[0]!.text).toContain(report.reference_no);
    expect(answer[0]!.text).toContain("道路：対応完了");
  });

  it("sends nothing to a resident who blocked the account, and says so on the page", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "kensetsu3", department: "建設課" });
    const userId = newUserId();
    const report = await roadReport(bot, userId, "カーブミラーが割れています");
    await sendEvents(bot.url, [events.unfollow(userId)]);
    await waitFor(
      async () => (await bot.store.db.selectFrom("line_users").select("follow_state").where("user_id", "=", userId).executeTakeFirst())?.follow_state === "blocked",
      "the unfollow",
    );
    const client = new StaffClient(bot.url);
    await client.login("kensetsu3");
    const detail = await client.request(`/staff/reports/${report.id}`);
    expect(detail.text).toContain("ブロックしているため");
    const updated = await client.post(`/staff/reports/${report.id}/status`, { status: "in_progress", assignee_id: "" });
    expect(updated.location).toBe(`/staff/reports/${report.id}?done=not_notified`);
    expect((await bot.store.db.selectFrom("reports").select("status").where("id", "=", report.id).executeTakeFirstOrThrow()).status).toBe("in_progress");
    expect(await bot.store.db.selectFrom("outbound_messages").select("id").where("user_id", "=", userId).where("reply_token", "is", null).execute()).toEqual([]);
    expect(pushesTo(userId)).toEqual([]);
  });

  it("shows what a resident wrote in a report as text, never as markup", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "kensetsu4", department: "建設課" });
    const attack = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;
    const report = await roadReport(bot, newUserId(), attack);
    const client = new StaffClient(bot.url);
    await client.login("kensetsu4");
    const detail = await client.request(`/staff/reports/${report.id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain("<img src=x");
    expect(detail.text).not.toContain("<script>alert");
    expect(detail.text).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    const found = await client.request(`/staff/reports?q=${encodeURIComponent("<img")}`);
    expect(found.text).toContain(report.reference_no);
    expect(found.text).not.toContain('value="<img');
    const echoed = await client.request(`/staff/reports?q=${encodeURIComponent("<b>太字")}`);
    expect(echoed.text).toContain("条件に合う通報はありません（キーワード「&lt;b&gt;太字」）");
    expect(echoed.text).not.toContain("<b>太字");
  });
});
