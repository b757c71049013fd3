import { beforeAll, describe, expect, it } from "vitest";
import { sharedBotFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// What each role sees of one resident's data, page by page (issue 13). The resident, through signed
// webhooks, asks something else in the middle of a 移住相談 form (商工観光課), answers a survey
// with free text while that inquiry is open, files a 通報 (建設課) with a phone number and an
// address, is answered from both case pages, and finally asks for a member of staff (a hand-off,
// 秘書課). Each case page, search, list and CSV shows that case's own data to its department only;
// an administrator sees the resident's whole history, labelled as such.
//
// A standing gate: a feature that stores personal data adds its markers to MARKERS and its pages to
// VIEWS (a row: the page, who looks, the status, what they must see and what they must never see).
const MARKERS = {
  inquiryText: "古民家を改修して農業",
  residence: "福岡県久留米市",
  midFormQuestion: "住民票はコンビニで取れますか？",
  survey: "温泉施設の駐車場をもっと広く",
  reportText: "側溝の蓋が割れて",
  phone: "090-1234-5678",
  address: "下林町二丁目の交差点",
  inquiryReply: "見学会の日程を",
  // Written back in free chat after the inquiry's reply, and after the report's notice.
  inquiryAnswer: "来週の土曜日なら伺えます",
  reportAnswer: "夜は特に暗くて見えません",
  reportPush: "対応を開始しました",
  handoff: "書類の書き方を相談したい",
  adminLabel: "管理者のみ表示",
};
type Marker = keyof typeof MARKERS | "inquiryRef" | "reportRef" | "handoffRef";
type Role = "kanko1" | "kanko2" | "kensetsu1" | "kensetsu2" | "admin";
const STAFF: Record<Role, { department: string; role: "staff" | "admin" }> = {
  kanko1: { department: "商工観光課", role: "staff" },
  kanko2: { department: "商工観光課", role: "staff" },
  kensetsu1: { department: "建設課", role: "staff" },
  kensetsu2: { department: "建設課", role: "staff" },
  admin: { department: "情報政策課", role: "admin" },
};
const KANKO: Role[] = ["kanko1", "kanko2"];
const KENSETSU: Role[] = ["kensetsu1", "kensetsu2"];

interface Cases {
  inquiry: { id: string; reference_no: string };
  report: { id: string; reference_no: string };
  handoff: { id: string; reference_no: string };
  surveyId: string;
}
interface View {
  page: string;
  path: (cases: Cases) => string;
  who: Role[];
  status?: number;
  sees?: Marker[];
  never: Marker[];
}

// Everything of the resident that is not the inquiry's own.
const NOT_THE_INQUIRY: Marker[] = ["survey", "reportText", "phone", "address", "midFormQuestion", "reportPush", "reportAnswer", "handoff", "reportRef", "handoffRef", "adminLabel"];
const NOT_THE_REPORT: Marker[] = ["inquiryText", "residence", "survey", "midFormQuestion", "inquiryReply", "inquiryAnswer", "handoff", "inquiryRef", "handoffRef", "adminLabel"];
const EVERYTHING: Marker[] = ["inquiryText", "residence", "midFormQuestion", "survey", "reportText", "phone", "address", "inquiryReply", "inquiryAnswer", "reportPush", "reportAnswer", "handoff"];
const search = (path: string, keyword: string) => `${path}?q=${encodeURIComponent(keyword)}`;

const VIEWS: View[] = [
  { page: "inquiry list", path: () => "/staff/inquiries", who: KANKO, sees: ["inquiryRef"], never: NOT_THE_INQUIRY },
  { page: "inquiry list", path: () => "/staff/inquiries", who: KENSETSU, never: ["inquiryRef", "handoffRef", "inquiryText"] },
  { page: "inquiry list", path: () => "/staff/inquiries", who: ["admin"], sees: ["inquiryRef", "handoffRef"], never: ["survey", "reportText", "phone", "address"] },
  { page: "inquiry detail", path: (c) => `/staff/inquiries/${c.inquiry.id}`, who: KANKO, sees: ["inquiryRef", "inquiryText", "residence", "inquiryReply", "inquiryAnswer"], never: NOT_THE_INQUIRY },
  { page: "inquiry detail", path: (c) => `/staff/inquiries/${c.inquiry.id}`, who: KENSETSU, status: 404, never: ["inquiryText", "residence", "inquiryReply", "survey"] },
  { page: "inquiry detail", path: (c) => `/staff/inquiries/${c.inquiry.id}`, who: ["admin"], sees: [...EVERYTHING, "adminLabel"], never: [] },
  { page: "hand-off detail", path: (c) => `/staff/inquiries/${c.handoff.id}`, who: [...KANKO, ...KENSETSU], status: 404, never: ["handoff"] },
  { page: "hand-off detail", path: (c) => `/staff/inquiries/${c.handoff.id}`, who: ["admin"], sees: ["handoff", "handoffRef", "adminLabel"], never: [] },
  { page: "report list", path: () => "/staff/reports", who: KENSETSU, sees: ["reportRef", "address"], never: NOT_THE_REPORT },
  { page: "report list", path: () => "/staff/reports", who: KANKO, never: ["reportRef", "address", "reportText", "phone"] },
  { page: "report detail", path: (c) => `/staff/reports/${c.report.id}`, who: KENSETSU, sees: ["reportRef", "reportText", "phone", "address", "reportPush", "reportAnswer"], never: NOT_THE_REPORT },
  { page: "report detail", path: (c) => `/staff/reports/${c.report.id}`, who: KANKO, status: 404, never: ["reportText", "phone", "address", "reportPush"] },
  { page: "report detail", path: (c) => `/staff/reports/${c.report.id}`, who: ["admin"], sees: [...EVERYTHING, "adminLabel"], never: [] },
  // Search: an inquiry is found by its own words only, never by the resident's other messages
  // (the result page repeats the keyword, so only the reference number is checked).
  { page: "inquiry search by its own words", path: () => search("/staff/inquiries", "古民家を改修"), who: [...KANKO, "admin"], sees: ["inquiryRef"], never: ["reportRef"] },
  { page: "inquiry search by the resident's answer to its reply", path: () => search("/staff/inquiries", "土曜日なら"), who: [...KANKO, "admin"], sees: ["inquiryRef"], never: ["handoffRef"] },
  { page: "inquiry search by the answer to the report's notice", path: () => search("/staff/inquiries", "特に暗くて"), who: [...KANKO, "admin"], never: ["inquiryRef", "handoffRef"] },
  { page: "inquiry search by survey words", path: () => search("/staff/inquiries", "温泉施設の駐車場"), who: [...KANKO, "admin"], never: ["inquiryRef", "handoffRef"] },
  { page: "inquiry search by report words", path: () => search("/staff/inquiries", "側溝の蓋"), who: [...KANKO, "admin"], never: ["inquiryRef", "handoffRef"] },
  { page: "inquiry search by phone", path: () => search("/staff/inquiries", "090-1234"), who: [...KANKO, "admin"], never: ["inquiryRef", "handoffRef"] },
  { page: "inquiry search by address", path: () => search("/staff/inquiries", "下林町二丁目"), who: [...KANKO, "admin"], never: ["inquiryRef", "handoffRef"] },
  { page: "inquiry search by a mid-form question", path: () => search("/staff/inquiries", "コンビニ"), who: [...KANKO, "admin"], never: ["inquiryRef", "handoffRef"] },
  { page: "hand-off search by its own words", path: () => search("/staff/inquiries", "書類の書き方"), who: ["admin"], sees: ["handoffRef"], never: ["inquiryRef"] },
  { page: "report search by its own words", path: () => search("/staff/reports", "側溝の蓋"), who: [...KENSETSU, "admin"], sees: ["reportRef"], never: [] },
  { page: "report search by inquiry words", path: () => search("/staff/reports", "古民家を改修"), who: [...KENSETSU, "admin"], never: ["reportRef"] },
  { page: "inquiry CSV", path: () => "/staff/api/exports/inquiries.csv", who: KANKO, sees: ["inquiryRef", "inquiryText", "residence"], never: NOT_THE_INQUIRY },
  { page: "inquiry CSV", path: () => "/staff/api/exports/inquiries.csv", who: KENSETSU, never: ["inquiryRef", "inquiryText", "residence", "handoffRef"] },
  { page: "inquiry CSV", path: () => "/staff/api/exports/inquiries.csv", who: ["admin"], sees: ["inquiryRef", "handoffRef", "inquiryText"], never: ["survey", "reportText", "phone", "address", "handoff"] },
  { page: "inquiry CSV by survey words", path: () => search("/staff/api/exports/inquiries.csv", "温泉施設の駐車場"), who: [...KANKO, "admin"], never: ["inquiryRef"] },
  { page: "survey answers CSV", path: (c) => `/staff/api/exports/surveys/${c.surveyId}/answers.csv`, who: [...KANKO, ...KENSETSU], status: 403, never: ["survey"] },
];

describe.each(testDatabases)("department view of one resident's cases on $name", (database) => {
  const shared = sharedBotFixture(database);
  const { say, tap, press } = conversationDriver(() => shared.lineApi);
  const clients = {} as Record<Role, StaffClient>;
  let cases: Cases;

  beforeAll(async () => {
    const bot = shared.bot;
    const db = bot.store.db;
    for (const [loginId, staff] of Object.entries(STAFF)) {
      await addStaff(db, { loginId, ...staff });
      const client = new StaffClient(bot.url);
      expect((await client.login(loginId)).status).toBe(303);
      clients[loginId as Role] = client;
    }
    const userId = newUserId();
    const ofUser = () => db.selectFrom("inquiries").select(["id", "reference_no", "category"]).where("user_id", "=", userId);

    // 移住相談, with a question about something else asked in the middle of the form.
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    messages = await say(bot, events.text(userId, MARKERS.midFormQuestion));
    messages = await say(bot, events.text(userId, MARKERS.residence));
    messages = await say(bot, press(userId, tap(messages, "このLINE")));
    messages = await say(bot, events.text(userId, `${MARKERS.inquiryText}をしたいと考えています`));
    await say(bot, press(userId, tap(messages, "送信する")));
    const inquiry = await ofUser().where("category", "=", "relocation").executeTakeFirstOrThrow();

    // A survey with free text, while the inquiry is open.
    messages = await say(bot, events.text(userId, "/survey line-satisfaction"));
    messages = await say(bot, press(userId, tap(messages, "4")));
    messages = await say(bot, press(userId, tap(messages, "今くらいでよい")));
    messages = await say(bot, press(userId, tap(messages, "証明書の申請")));
    messages = await say(bot, press(userId, tap(messages, "選び終わった")));
    messages = await say(bot, press(userId, tap(messages, "人吉市内")));
    await say(bot, events.text(userId, `${MARKERS.survey}してほしいです`));
    const answered = await db.selectFrom("survey_responses").innerJoin("surveys", "surveys.id", "survey_responses.survey_id").select("surveys.id").where("user_id", "=", userId).executeTakeFirstOrThrow();

    // 商工観光課 answers from the inquiry's page.
    const kanko = clients.kanko1;
    await kanko.request(`/staff/inquiries/${inquiry.id}`);
    expect((await kanko.post(`/staff/inquiries/${inquiry.id}/reply`, { text: `${MARKERS.inquiryReply}改めてご連絡します。` })).status).toBe(303);
    // The resident writes back outside any flow: the inquiry's department must read it.
    await say(bot, events.text(userId, MARKERS.inquiryAnswer));

    // A 通報 with a typed address, and a phone number in its description.
    messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "道路")));
    messages = await say(bot, events.text(userId, `人吉市${MARKERS.address}`));
    messages = await say(bot, press(userId, tap(messages, "写真なし")));
    messages = await say(bot, events.text(userId, `${MARKERS.reportText}危ないです。連絡先は${MARKERS.phone}です`));
    await say(bot, press(userId, tap(messages, "通報する")));
    const report = await db.selectFrom("reports").select(["id", "reference_no"]).where("user_id", "=", userId).executeTakeFirstOrThrow();

    // 建設課 starts on it from the report's page: the resident is told in LINE.
    const kensetsu = clients.kensetsu1;
    await kensetsu.request(`/staff/reports/${report.id}`);
    expect((await kensetsu.post(`/staff/reports/${report.id}/status`, { status: "in_progress", assignee_id: "" })).status).toBe(303);
    await waitFor(async () => shared.lineApi.to("/v2/bot/message/push").find((request) => JSON.stringify(request.body).includes(MARKERS.reportPush)), "the report's status push");
    // Written back after the notice: now the report's.
    await say(bot, events.text(userId, MARKERS.reportAnswer));

    // A hand-off: the bot is silent while it is open, and what the resident writes is its own.
    await say(bot, events.text(userId, "職員と話したい"));
    await sendEvents(bot.url, [events.text(userId, MARKERS.handoff)]);
    await waitFor(() => db.selectFrom("messages").select("id").where("user_id", "=", userId).where("text", "=", MARKERS.handoff).executeTakeFirst(), "the hand-off message logged");
    const handoff = await ofUser().where("category", "=", "human").executeTakeFirstOrThrow();

    cases = { inquiry, report, handoff, surveyId: answered.id };
  });

  const rows = VIEWS.flatMap((view) => view.who.map((who) => ({ ...view, who })));
  it.each(rows)("$page as $who", async (view) => {
    const client = clients[view.who];
    const response = await client.request(view.path(cases));
    const body = response.text || (await response.response.text());
    expect(response.status, body.slice(0, 500)).toBe(view.status ?? 200);
    const valueOf = (marker: Marker) =>
      marker === "inquiryRef" ? cases.inquiry.reference_no : marker === "reportRef" ? cases.report.reference_no : marker === "handoffRef" ? cases.handoff.reference_no : MARKERS[marker];
    for (const marker of view.sees ?? []) expect(body, `${view.page} as ${view.who} shows ${marker}`).toContain(valueOf(marker));
    for (const marker of view.never) expect(body, `${view.page} as ${view.who} must not show ${marker}`).not.toContain(valueOf(marker));
  });

  it("tags each message with its case: the flow run's messages, the replies from the case page, the hand-off's; free questions with none", async () => {
    const db = shared.bot.store.db;
    const threadOf = async (table: "inquiries" | "reports", id: string) => (await db.selectFrom(table).select("thread_id").where("id", "=", id).executeTakeFirstOrThrow()).thread_id;
    const texts = async (thread: string) => (await db.selectFrom("messages").select("text").where("thread_id", "=", thread).execute()).map((row) => row.text ?? "").join("\n");
    const inquiryTexts = await texts(await threadOf("inquiries", cases.inquiry.id));
    expect(inquiryTexts).toContain(MARKERS.residence);
    expect(inquiryTexts).toContain(MARKERS.inquiryReply);
    expect(inquiryTexts).not.toContain(MARKERS.midFormQuestion);
    expect(inquiryTexts).not.toContain(MARKERS.survey);
    const reportTexts = await texts(await threadOf("reports", cases.report.id));
    expect(reportTexts).toContain(MARKERS.phone);
    expect(reportTexts).toContain(MARKERS.reportPush);
    expect(reportTexts).not.toContain(MARKERS.inquiryText);
    expect(await texts(await threadOf("inquiries", cases.handoff.id))).toContain(MARKERS.handoff);
    const question = await db.selectFrom("messages").select("thread_id").where("text", "=", MARKERS.midFormQuestion).executeTakeFirstOrThrow();
    expect(question.thread_id).toBeNull();
    expect(inquiryTexts).toContain(MARKERS.inquiryAnswer);
    expect(inquiryTexts).not.toContain(MARKERS.reportAnswer);
    expect(reportTexts).toContain(MARKERS.reportAnswer);
  });

  it("ends a case's claim on what the resident writes back when the case is closed", async () => {
    const bot = shared.bot;
    const db = bot.store.db;
    const userId = newUserId();
    let messages = await say(bot, events.text(userId, "通報したい"));
    messages = await say(bot, press(userId, tap(messages, "道路")));
    messages = await say(bot, events.text(userId, "人吉市下青井町の歩道"));
    messages = await say(bot, press(userId, tap(messages, "写真なし")));
    messages = await say(bot, events.text(userId, "街灯が消えています"));
    await say(bot, press(userId, tap(messages, "通報する")));
    const report = await db.selectFrom("reports").select(["id", "thread_id"]).where("user_id", "=", userId).executeTakeFirstOrThrow();
    const kensetsu = clients.kensetsu2;
    await kensetsu.request(`/staff/reports/${report.id}`);
    expect((await kensetsu.post(`/staff/reports/${report.id}/status`, { status: "in_progress", assignee_id: "" })).status).toBe(303);
    await say(bot, events.text(userId, "ありがとうございます、助かります"));
    expect((await kensetsu.post(`/staff/reports/${report.id}/status`, { status: "closed", assignee_id: "" })).status).toBe(303);
    await say(bot, events.text(userId, "ところで今日のゴミの日はいつですか"));
    const threadOfText = async (text: string) => (await db.selectFrom("messages").select("thread_id").where("user_id", "=", userId).where("text", "=", text).executeTakeFirstOrThrow()).thread_id;
    expect(await threadOfText("ありがとうございます、助かります")).toBe(report.thread_id);
    expect(await threadOfText("ところで今日のゴミの日はいつですか")).toBeNull();
  });
});
