import { randomBytes, randomInt } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import type { Database } from "../../src/store/database.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { approvedNotice } from "../support/notices.js";
import { columnsHolding } from "../support/personal-data-scan.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// The standing gate of issue 13: a unique marker in every place personal data sits (through
// signed webhooks and console actions where a resident or staff member puts it there, directly
// where nothing else reaches), then the retention job (through the scheduled jobs, the clock moved
// on) or the per-resident erasure (the privacy page), then a scan of every column of every table:
// no marker of what had to go may be left anywhere, search included; what is still within its
// period or belongs to an open case stays; the counts the KPIs read do not move.
describe.each(testDatabases)("retention and erasure markers on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press } = conversationDriver(() => fixture.lineApi);
  const DAY = 24 * 60 * 60 * 1000;
  const hex = () => randomBytes(5).toString("hex");
  const digits = () => String(randomInt(10_000_000, 99_999_999));

  interface Resident {
    userId: string;
    markers: Record<string, string>;
  }

  // A resident's consultation (移住相談), with their residence, phone and free text marked.
  async function consultation(bot: RunningBot, userId: string, marks: { residence: string; phone: string; details: string }) {
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    messages = await say(bot, events.text(userId, marks.residence));
    messages = await say(bot, press(userId, tap(messages, "電話")));
    messages = await say(bot, events.text(userId, marks.phone));
    messages = await say(bot, events.text(userId, marks.details));
    await say(bot, press(userId, tap(messages, "送信する")));
    return bot.store.db.selectFrom("inquiries").selectAll().where("user_id", "=", userId).orderBy("id", "desc").executeTakeFirstOrThrow();
  }

  // Everything a resident can leave with us, each piece marked; returns the markers by place.
  async function residentWithEverything(bot: RunningBot, admin: StaffClient, survey: string, label: string): Promise<Resident & { inquiryId: string; reportId: string }> {
    const db = bot.store.db;
    const userId = newUserId();
    const m: Record<string, string> = {
      residence: `福岡県久留米市${label}${hex()}`,
      phone: `090${digits()}`,
      details: `古民家で農業を始めたい${label}${hex()}`,
      subject: `空き家の登録${label}${hex()}`,
      reply: `お電話でご案内します${label}${hex()}`,
      inquiryNote: `折り返し済み${label}${hex()}`,
      placeTitle: `九日町の角${label}${hex()}`,
      placeAddress: `熊本県人吉市九日町${label}${hex()}`,
      latitude: `32.21${randomInt(1000, 9999)}1`,
      longitude: `130.75${randomInt(1000, 9999)}1`,
      description: `側溝の蓋が割れている${label}${hex()}`,
      photo: `PHOTO${label}${hex()}`,
      reportNote: `現地確認済み${label}${hex()}`,
      survey: `窓口の方が親切でした${label}${hex()}`,
      town: `上青井町${label}${hex()}`,
      draft: `宮崎県えびの市${label}${hex()}`,
      inboxError: `error for ${label}${hex()}`,
      outboundError: `line refused ${label}${hex()}`,
    };
    const inquiry = await consultation(bot, userId, m as { residence: string; phone: string; details: string });
    // The subject of a vacant-house registration quotes the place the resident gave.
    await db.updateTable("inquiries").set({ subject: m.subject! }).where("id", "=", inquiry.id).execute();
    const replied = await admin.post(`/staff/inquiries/${inquiry.id}/reply`, { text: m.reply! });
    expect(replied.location, `${replied.status} ${replied.text.slice(0, 300)}`).toBe(`/staff/inquiries/${inquiry.id}?done=sent`);
    expect((await admin.post(`/staff/inquiries/${inquiry.id}/notes`, { body: m.inquiryNote! })).location).toBe(`/staff/inquiries/${inquiry.id}?done=noted`);

    let messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "道路")));
    const location = { id: String(randomInt(1e9)), type: "location", title: m.placeTitle, address: m.placeAddress, latitude: Number(m.latitude), longitude: Number(m.longitude) };
    messages = await say(bot, events.location(userId, { message: location }));
    messages = await say(bot, press(userId, tap(messages, "写真なし")));
    messages = await say(bot, events.text(userId, m.description!));
    await say(bot, press(userId, tap(messages, "通報する")));
    const report = await db.selectFrom("reports").selectAll().where("user_id", "=", userId).executeTakeFirstOrThrow();
    // A photo's bytes (the photo step fetches them from LINE; stored here as they would be).
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(m.photo!), Buffer.alloc(64, 9)]);
    await db.insertInto("report_photos").values({ report_id: report.id, user_id: userId, content_type: "image/jpeg", byte_size: photo.length, content: photo }).execute();
    expect((await admin.post(`/staff/reports/${report.id}/notes`, { body: m.reportNote! })).location).toBe(`/staff/reports/${report.id}?done=noted`);

    messages = await say(bot, events.text(userId, `/survey ${survey}`));
    expect(messages.map((message) => message.text).join("\n")).toContain("窓口はいかがでしたか");
    messages = await say(bot, events.text(userId, m.survey!));
    expect(messages.map((message) => message.text).join("\n")).toContain("ご回答ありがとうございました");

    // Where only other code or LINE writes: the 受信設定 town (chosen from a list), error texts.
    await db.insertInto("resident_profiles").values({ user_id: userId, residence: "city", town: m.town! }).execute();
    const handled = await db.selectFrom("inbox_events").select("webhook_event_id").where("user_id", "=", userId).where("status", "=", "done").limit(1).executeTakeFirstOrThrow();
    await db.updateTable("inbox_events").set({ last_error: m.inboxError! }).where("webhook_event_id", "=", handled.webhook_event_id).execute();
    await waitFor(async () => (await db.selectFrom("outbound_messages").select("id").where("user_id", "=", userId).where("status", "!=", "sent").execute()).length === 0, "the answers sent");
    await sql`update outbound_messages set last_error = ${m.outboundError} where id = (select max(id) from outbound_messages where user_id = ${userId})`.execute(db);
    const session = await db
      .insertInto("future_cafe_sessions")
      .values({ code: `cafe-${hex()}`, town: "九日町", starts_at: new Date(), place: "公民館" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.insertInto("future_cafe_signups").values({ session_id: session.id, user_id: userId, party_size: 2 }).execute();

    // Last, a form left half filled in (the draft holds the answer).
    messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    await say(bot, events.text(userId, m.draft!));
    await waitFor(async () => (await db.selectFrom("outbound_messages").select("id").where("user_id", "=", userId).where("status", "!=", "sent").execute()).length === 0, "the answers sent");
    await waitFor(async () => (await db.selectFrom("inbox_events").select("status").where("user_id", "=", userId).where("status", "!=", "done").execute()).length === 0, "the events handled");
    return { userId, markers: m, inquiryId: inquiry.id, reportId: report.id };
  }

  async function openSurvey(db: Kysely<Database>): Promise<string> {
    const slug = `madoguchi-${hex()}`;
    const survey = await db.insertInto("surveys").values({ slug, title: "窓口アンケート", department: "市民課", status: "open", audience: "link" }).returning("id").executeTakeFirstOrThrow();
    await db.insertInto("survey_questions").values({ survey_id: survey.id, position: 1, kind: "text", prompt: "窓口はいかがでしたか。", options: "[]" }).execute();
    return slug;
  }

  async function deliveredNotice(bot: RunningBot): Promise<string> {
    // A friend to send it to (with none, delivery is refused before it starts).
    const friend = newUserId();
    await sendEvents(bot.url, [events.follow(friend)]);
    await waitFor(async () => (await bot.store.db.selectFrom("line_users").select("follow_state").where("user_id", "=", friend).executeTakeFirst())?.follow_state === "following", "the follow");
    const id = await approvedNotice(bot.store.db, { audience: "all" });
    await waitFor(async () => (await bot.store.db.selectFrom("notices").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status === "sent", "the notice delivered");
    return id;
  }

  async function counts(db: Kysely<Database>) {
    const sum = async (query: Promise<{ n: string | null } | undefined>) => Number((await query)?.n ?? 0);
    return {
      relocation: await sum(db.selectFrom("monthly_counts").select((eb) => eb.fn.sum<string>("n").as("n")).where("counter", "=", "inquiries.relocation").executeTakeFirst()),
      cases: await sum(db.selectFrom("case_status_counts").select((eb) => eb.fn.sum<string>("n").as("n")).executeTakeFirst()),
      follows: (await db.selectFrom("line_follow_events").select("kind").execute()).length,
      surveyResponses: (await db.selectFrom("survey_responses").select("id").execute()).length,
      noticeRecipients: await sum(db.selectFrom("notice_batches").select((eb) => eb.fn.sum<string>("recipient_count").as("n")).executeTakeFirst()),
    };
  }

  const searchFinds = async (client: StaffClient, path: string, word: string, reference: string) => (await client.request(`${path}?q=${encodeURIComponent(word)}`)).text.includes(reference);

  it("removes every marked piece of a closed case and an idle resident after the retention period, keeps open and recent ones, and keeps the counts", async () => {
    // The scheduled jobs' clock: real time, moved 31 days on once everything is stored.
    let ahead = 0;
    const bot = await fixture.start({ env: { PERSONAL_DATA_RETENTION_DAYS: "30" }, overrides: { jobIntervalMs: 50, now: () => new Date(Date.now() + ahead) } });
    const db = bot.store.db;
    await addStaff(db, { loginId: "admin-retention", department: "秘書課", role: "admin" });
    const admin = new StaffClient(bot.url);
    await admin.login("admin-retention");
    // The session's CSRF token comes with its first page.
    await admin.request("/staff/inquiries");
    const survey = await openSurvey(db);

    const old = await residentWithEverything(bot, admin, survey, "古");
    expect((await admin.post(`/staff/inquiries/${old.inquiryId}/status`, { status: "closed" })).status).toBe(303);
    expect((await admin.post(`/staff/reports/${old.reportId}/status`, { status: "closed" })).status).toBe(303);
    // Blocked, so their 受信設定 is no longer needed once the period has passed.
    await sendEvents(bot.url, [events.unfollow(old.userId)]);
    await waitFor(async () => (await db.selectFrom("line_users").select("follow_state").where("user_id", "=", old.userId).executeTakeFirst())?.follow_state === "blocked", "the block");
    const noticeId = await deliveredNotice(bot);
    const recipientsMarker = `Urecipient${hex()}`;
    await db.updateTable("notice_batches").set({ recipients: [recipientsMarker] }).where("notice_id", "=", noticeId).execute();
    await db.updateTable("notices").set({ planned_through: recipientsMarker }).where("id", "=", noticeId).execute();

    // An open case and one closed within the period: everything of theirs stays.
    const openOne = { userId: newUserId(), details: `家族で移り住みたい開${hex()}`, residence: `大分県日田市開${hex()}` };
    const openInquiry = await consultation(bot, openOne.userId, { residence: openOne.residence, phone: `080${digits()}`, details: openOne.details });
    const recent = { userId: newUserId(), details: `田舎で子育てをしたい近${hex()}`, residence: `長崎県佐世保市近${hex()}` };
    const recentInquiry = await consultation(bot, recent.userId, { residence: recent.residence, phone: `070${digits()}`, details: recent.details });
    expect((await admin.post(`/staff/inquiries/${recentInquiry.id}/status`, { status: "closed" })).status).toBe(303);
    // Closed 5 days before the moment the clock moves to (set now, while that moment is still ahead).
    await db.updateTable("inquiries").set({ closed_at: new Date(Date.now() + 26 * DAY) }).where("id", "=", recentInquiry.id).execute();

    const oldMarkers = [...Object.values(old.markers), recipientsMarker];
    const before = await columnsHolding(db, oldMarkers);
    for (const marker of oldMarkers) expect(before[marker], `${marker} is stored before the job`).not.toEqual([]);
    expect(before[old.markers.details!]).toEqual(expect.arrayContaining(["inquiries.details", "inquiries.search_bigrams", "messages.text", "inbox_events.payload"]));
    expect(before[old.markers.description!]).toEqual(expect.arrayContaining(["reports.description", "reports.search_bigrams"]));
    const oldReference = (await db.selectFrom("inquiries").select("reference_no").where("id", "=", old.inquiryId).executeTakeFirstOrThrow()).reference_no;
    const oldReport = (await db.selectFrom("reports").select("reference_no").where("id", "=", old.reportId).executeTakeFirstOrThrow()).reference_no;
    expect(await searchFinds(admin, "/staff/inquiries", old.markers.details!, oldReference)).toBe(true);
    expect(await searchFinds(admin, "/staff/reports", old.markers.placeAddress!, oldReport)).toBe(true);
    const countsBefore = await counts(db);

    // 31 days on. The blocked resident's profile goes in the job's last step: that run saw the new clock throughout.
    ahead = 31 * DAY;
    await waitFor(async () => (await db.selectFrom("resident_profiles").select("user_id").where("user_id", "=", old.userId).execute()).length === 0, "the retention job");

    const after = await columnsHolding(db, oldMarkers);
    expect(Object.fromEntries(Object.entries(after).filter(([, places]) => places.length > 0))).toEqual({});
    expect(await searchFinds(admin, "/staff/inquiries", old.markers.details!, oldReference)).toBe(false);
    expect(await searchFinds(admin, "/staff/reports", old.markers.placeAddress!, oldReport)).toBe(false);
    expect(await db.selectFrom("future_cafe_signups").select("id").where("user_id", "=", old.userId).execute()).toEqual([]);

    // Kept: the open case and the recent one, whole, and findable.
    const kept = await columnsHolding(db, [openOne.details, openOne.residence, recent.details, recent.residence]);
    for (const marker of [openOne.details, recent.details]) expect(kept[marker], marker).toEqual(expect.arrayContaining(["inquiries.details", "inquiries.search_bigrams", "messages.text"]));
    for (const marker of [openOne.residence, recent.residence]) expect(kept[marker], marker).toContain("inquiries.details");
    expect(await searchFinds(admin, "/staff/inquiries", openOne.details, openInquiry.reference_no)).toBe(true);
    expect(await searchFinds(admin, "/staff/inquiries", recent.details, recentInquiry.reference_no)).toBe(true);
    // What statistics need stays: the case rows with their category and choices, and every count.
    const anonymized = await db.selectFrom("inquiries").selectAll().where("id", "=", old.inquiryId).executeTakeFirstOrThrow();
    expect(anonymized).toMatchObject({ category: "relocation", status: "closed", details: { topic: "住まい", household: "2人", contact_method: "電話" } });
    expect(await db.selectFrom("reports").select(["category", "status"]).where("id", "=", old.reportId).executeTakeFirstOrThrow()).toEqual({ category: "道路", status: "closed" });
    expect(await counts(db)).toEqual(countsBefore);
  });

  it("erases every marked piece of one resident from everywhere, and only theirs", async () => {
    const bot = await fixture.start();
    const db = bot.store.db;
    await addStaff(db, { loginId: "admin-erasure", department: "秘書課", role: "admin" });
    const admin = new StaffClient(bot.url);
    await admin.login("admin-erasure");
    // The session's CSRF token comes with its first page.
    await admin.request("/staff/inquiries");
    const survey = await openSurvey(db);
    const erased = await residentWithEverything(bot, admin, survey, "消");
    const other = await residentWithEverything(bot, admin, survey, "残");
    const noticeId = await deliveredNotice(bot);
    await db.updateTable("notice_batches").set({ recipients: [erased.userId, other.userId] }).where("notice_id", "=", noticeId).execute();
    await db.updateTable("notices").set({ planned_through: erased.userId }).where("id", "=", noticeId).execute();

    const markers = Object.values(erased.markers);
    const before = await columnsHolding(db, [...markers, erased.userId]);
    for (const marker of markers) expect(before[marker], `${marker} is stored before the erasure`).not.toEqual([]);
    const reference = (await db.selectFrom("inquiries").select("reference_no").where("id", "=", erased.inquiryId).executeTakeFirstOrThrow()).reference_no;
    expect(await searchFinds(admin, "/staff/inquiries", erased.markers.details!, reference)).toBe(true);
    const countsBefore = await counts(db);

    await admin.request(`/staff/privacy?user=${erased.userId}`);
    expect((await admin.post(`/staff/privacy/${erased.userId}/delete`, { confirm: "yes" })).location).toBe("/staff/privacy?done=deleted");

    const after = await columnsHolding(db, [...markers, erased.userId]);
    // Only the audit log names whom an administrator erased.
    expect(Object.fromEntries(Object.entries(after).filter(([, places]) => places.length > 0))).toEqual({ [erased.userId]: ["audit_log.target_id"] });
    expect(await searchFinds(admin, "/staff/inquiries", erased.markers.details!, reference)).toBe(false);
    // The other resident's data is all there.
    const kept = await columnsHolding(db, Object.values(other.markers));
    for (const [place, marker] of Object.entries(other.markers)) expect(kept[marker], place).not.toEqual([]);
    expect((await db.selectFrom("notice_batches").select("recipients").where("notice_id", "=", noticeId).executeTakeFirstOrThrow()).recipients).toEqual([other.userId]);
    const cursor = (await db.selectFrom("notices").select("planned_through").where("id", "=", noticeId).executeTakeFirstOrThrow()).planned_through;
    expect(cursor! < erased.userId).toBe(true);
    const { relocation, follows, noticeRecipients } = await counts(db);
    expect({ relocation, follows, noticeRecipients }).toEqual({ relocation: countsBefore.relocation, follows: countsBefore.follows, noticeRecipients: countsBefore.noticeRecipients });
  });
});
