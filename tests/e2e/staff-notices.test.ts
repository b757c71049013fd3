import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { approvedNotice } from "../support/notices.js";
import { addEventFans, addResidents, residentId } from "../support/residents.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { waitFor } from "../support/webhook-client.js";

// Notices in the staff console: composed by one person, approved by a different admin after the
// quota check, delivered, counted; cancelled while nothing has gone out; links counted through /r/.
const MULTICAST = "/v2/bot/message/multicast";
const PUBLIC = "https://line.example.jp";
const options = { env: { PUBLIC_BASE_URL: PUBLIC }, overrides: { noticeIntervalMs: 50, notices: { backoff: () => 20 } } };

async function signedIn(bot: RunningBot, loginId: string, role: "admin" | "staff" = "staff") {
  await addStaff(bot.store.db, { loginId, displayName: loginId, role });
  const client = new StaffClient(bot.url);
  await client.login(loginId);
  await client.request("/staff/notices");
  return client;
}

const noticeIdFrom = (location: string | null) => /\/staff\/notices\/(\d+)/.exec(location ?? "")![1]!;

describe.each(testDatabases)("notices in the staff console on $name", { timeout: 180_000 }, (database) => {
  const fixture = botFixture(database);

  it("composes a segment notice with a live count, is approved by another admin, and shows the delivery results", async () => {
    const bot = await fixture.start(options);
    await addResidents(bot.store.db, [
      { userId: residentId(1), following: true, profile: { residence: "city", school_district: "東校区", town: "下林町", age_band: "30s", interests: ["events"] } },
      { userId: residentId(2), following: true, profile: { residence: "city", school_district: "西校区", town: "鍛冶屋町", age_band: "60s", interests: ["disaster"] } },
      { userId: residentId(3), following: true, profile: { residence: "outside", school_district: null, town: null, age_band: "30s", interests: ["events"] } },
      { userId: residentId(4), following: false, profile: { residence: "city", school_district: "東校区", town: "下林町", age_band: "30s", interests: ["events"] } },
    ]);
    const author = await signedIn(bot, "tanaka");
    expect((await author.request("/staff/notices")).text).toContain("お知らせはまだありません。");
    const form = await author.request("/staff/notices/new");
    expect(form.status).toBe(200);
    // The options are the values residents chose (no seeds/profile.yaml here).
    expect(form.text).toContain('value="東校区"');
    expect(form.text).toContain('value="下林町"');
    const count = await author.request("/staff/api/notices/count?audience=segment&seg_residence=city&seg_school_district=東校区&seg_school_district=西校区");
    expect(await count.response.json()).toEqual({ count: 2, label: "2 人" });
    // Nobody matches: the count says so in words (the page shows the label as it is).
    const nobody = await author.request(`/staff/api/notices/count?audience=segment&seg_residence=outside&seg_town=${encodeURIComponent("下林町")}`);
    expect(await nobody.response.json()).toEqual({ count: 0, label: "0 人（この配信先に当てはまる方はいません。条件を見直してください）" });

    const created = await author.post("/staff/notices/new", {
      type: "text",
      title: "下林町の清掃活動",
      text: "下林町の清掃活動のお知らせです。詳しくは https://www.city.hitoyoshi.lg.jp/ をご覧ください。",
      audience: "segment",
      seg_residence: "city",
      seg_interests: "events",
      when: "now",
      intent: "submit",
    });
    expect(created.status).toBe(303);
    const id = noticeIdFrom(created.location);
    const detail = await author.request(`/staff/notices/${id}?done=submitted`);
    expect(detail.text).toContain("承認待ち");
    expect(detail.text).toContain("作成した方とは別の管理者が承認します");
    expect(detail.text).toMatch(/いまの対象人数<\/dt><dd><strong>1 人/);
    expect(detail.text).toContain(`${PUBLIC}/r/`);

    // Neither the author (even as an admin) nor a non-admin can approve.
    expect((await author.post(`/staff/notices/${id}/approve`, {})).status).toBe(403);
    const authorAdmin = await bot.store.db.updateTable("staff_users").set({ role: "admin" }).where("login_id", "=", "tanaka").execute();
    expect(authorAdmin).toHaveLength(1);
    const refused = await author.post(`/staff/notices/${id}/approve`, {});
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("自分のお知らせを承認できません");

    const admin = await signedIn(bot, "suzuki", "admin");
    const approved = await admin.post(`/staff/notices/${id}/approve`, {});
    expect(approved.status).toBe(303);
    await waitFor(async () => (await bot.store.db.selectFrom("notices").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status === "sent", "the notice sent");
    const [request] = fixture.lineApi.to(MULTICAST);
    expect(request!.body.to).toEqual([residentId(1)]);
    const link = /https:\/\/line\.example\.jp\/r\/([A-Za-z0-9_-]+)/.exec(request!.body.messages[0].text)!;
    expect(request!.body.messages[0].text).not.toContain("www.city.hitoyoshi.lg.jp");

    // Two taps on the link: redirected to the page written in the notice, counted for the notice.
    for (let tap = 0; tap < 2; tap += 1) {
      const redirect = await fetch(`${bot.url}/r/${link[1]}`, { redirect: "manual" });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("location")).toBe("https://www.city.hitoyoshi.lg.jp/");
    }
    expect((await fetch(`${bot.url}/r/notARealToken123`, { redirect: "manual" })).status).toBe(404);

    const results = await admin.request(`/staff/notices/${id}/results`);
    expect(results.text).toMatch(/id="result-recipients">1 人/);
    expect(results.text).toMatch(/id="result-reached">1 人/);
    expect(results.text).toMatch(/id="result-batches">1 \/ 1 回/);
    expect(results.text).toMatch(/id="result-clicks">2 回/);

    const log = await bot.store.db.selectFrom("audit_log").select(["action", "staff_id"]).where("target_type", "=", "notice").orderBy("id").execute();
    expect(log.map((entry) => entry.action)).toEqual(["notice.submit", "notice.approve"]);
    expect(new Set(log.map((entry) => entry.staff_id)).size).toBe(2);
  });

  it("refuses the approval with a clear message when LINE's monthly quota would be exceeded", async () => {
    const bot = await fixture.start(options);
    await addEventFans(bot.store.db, 40);
    fixture.lineApi.setQuota(500, 480);
    const author = await signedIn(bot, "tanaka");
    const created = await author.post("/staff/notices/new", { type: "text", title: "イベント", text: "週末のイベントです。", audience: "all", when: "now", intent: "submit" });
    const id = noticeIdFrom(created.location);
    const admin = await signedIn(bot, "suzuki", "admin");
    const refused = await admin.post(`/staff/notices/${id}/approve`, {});
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("今月の配信数の上限を超えるため、配信できません");
    expect(refused.text).toContain("残りは 20 通");
    expect((await bot.store.db.selectFrom("notices").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status).toBe("pending");
    expect(fixture.lineApi.to("/v2/bot/message/broadcast")).toHaveLength(0);
  });

  it("cancels an approved, scheduled notice before it starts, and refuses to cancel one already sent", async () => {
    const bot = await fixture.start(options);
    await addEventFans(bot.store.db, 5);
    const scheduled = await approvedNotice(bot.store.db, { audience: { interests: ["events"] }, scheduledAt: new Date(Date.now() + 3_600_000) });
    const admin = await signedIn(bot, "suzuki", "admin");
    expect((await admin.post(`/staff/notices/${scheduled}/cancel`, {})).status).toBe(303);
    // Its time comes (a delivery run with the clock two hours on): nothing is sent.
    expect(await bot.notices.deliverDue(new Date(Date.now() + 7_200_000))).toBe(0);
    expect(fixture.lineApi.to(MULTICAST)).toHaveLength(0);
    expect((await bot.store.db.selectFrom("notices").select("status").where("id", "=", scheduled).executeTakeFirstOrThrow()).status).toBe("cancelled");
    const audit = await bot.store.db.selectFrom("audit_log").select("action").where("target_type", "=", "notice").where("target_id", "=", scheduled).execute();
    expect(audit.map((entry) => entry.action)).toEqual(["notice.cancel"]);

    const sent = await approvedNotice(bot.store.db, { audience: "all" });
    await waitFor(async () => (await bot.store.db.selectFrom("notices").select("status").where("id", "=", sent).executeTakeFirstOrThrow()).status === "sent", "the other notice sent");
    const late = await admin.post(`/staff/notices/${sent}/cancel`, {});
    expect(late.status).toBe(409);
    expect(late.text).toContain("取り消せません");
  });

  it("fills a Flex template from seeds and sends a bubble LINE accepts; the preview shows its blocks", async () => {
    const bot = await fixture.start(options);
    await addEventFans(bot.store.db, 3);
    const author = await signedIn(bot, "tanaka");
    const form = await author.request("/staff/notices/new?type=flex&template=disaster");
    expect(form.text).toContain('name="f_title"');
    const missing = await author.post("/staff/notices/new", { type: "flex", template: "disaster", title: "避難所", f_title: "避難所の開設", audience: "all", when: "now", intent: "submit" });
    expect(missing.status).toBe(422);
    expect(missing.text).toContain("「内容」を入力してください。");
    expect(missing.text).toContain('value="避難所の開設"');
    const created = await author.post("/staff/notices/new", {
      type: "flex",
      template: "disaster",
      title: "避難所",
      f_title: "避難所の開設",
      f_details: "第一中学校の体育館に避難所を開設しました。",
      f_issued_by: "防災・危機管理課",
      f_url: "https://www.city.hitoyoshi.lg.jp/bousai/",
      audience: "segment",
      seg_interests: "events",
      when: "now",
      intent: "submit",
    });
    const id = noticeIdFrom(created.location);
    const detail = await author.request(`/staff/notices/${id}`);
    expect(detail.text).toContain('class="flex-header"');
    expect(detail.text).toContain("避難所の開設");
    const admin = await signedIn(bot, "suzuki", "admin");
    await admin.post(`/staff/notices/${id}/approve`, {});
    const request = await waitFor(async () => fixture.lineApi.to(MULTICAST)[0], "the multicast");
    const message = request.body.messages[0];
    expect(message.type).toBe("flex");
    expect(message.altText).toBe("【防災情報】避難所の開設");
    expect(JSON.stringify(message.contents)).toContain(`${PUBLIC}/r/`);
    expect(fixture.lineApi.invalidBodies).toEqual([]);
  });
});
