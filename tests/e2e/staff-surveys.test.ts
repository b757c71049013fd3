import { describe, expect, it } from "vitest";
import { formatQuestions, parseQuestions } from "../../src/staff/surveys/survey-form.js";
import { countChoices, percent } from "../../src/staff/surveys/survey-results.js";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId } from "../support/webhook-client.js";

// Surveys in the staff console: written in the console, opened, answered by residents through
// signed webhooks (its 「/survey <slug>」 deep link), counted on the results page, exported as CSV.
const QUESTIONS = `[scale] 市役所の窓口の対応に、どのくらい満足していますか。（1：不満 〜 5：満足）

［single］ 窓口に来られた主な目的は何ですか。
住民票・証明書
税金
子育て

[いくつでも選ぶ] 窓口でよかったことを、すべてお選びください。
・待ち時間が短い
・説明が分かりやすい
・案内表示が見やすい

[text 任意] そのほか、ご意見がありましたらお書きください。`;

const japanToday = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());

describe("the survey edit form", () => {
  it("reads all four kinds, full-width brackets, Japanese kind names, bullets and 「任意」, and writes them back", () => {
    const parsed = parseQuestions(QUESTIONS);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toEqual([
      { kind: "scale", prompt: "市役所の窓口の対応に、どのくらい満足していますか。（1：不満 〜 5：満足）", options: ["1", "2", "3", "4", "5"], required: true },
      { kind: "single", prompt: "窓口に来られた主な目的は何ですか。", options: ["住民票・証明書", "税金", "子育て"], required: true },
      { kind: "multiple", prompt: "窓口でよかったことを、すべてお選びください。", options: ["待ち時間が短い", "説明が分かりやすい", "案内表示が見やすい"], required: true },
      { kind: "text", prompt: "そのほか、ご意見がありましたらお書きください。", options: [], required: false },
    ]);
    expect(parseQuestions(formatQuestions(parsed.value))).toEqual(parsed);
  });

  it("names every problem with its question: too few or too many choices, long labels, options on a scale, unknown kinds", () => {
    const result = parseQuestions(
      [
        "[single] 一つだけ",
        "はい",
        "",
        "[multiple] 長すぎる選択肢",
        "これは二十文字を超えてしまう、とても長い選択肢です",
        "短い",
        "",
        "[scale] 満足度",
        "とても満足",
        "満足",
        "",
        "[single 任意] 任意にできない",
        "A",
        "B",
        "",
        `[multiple] 多すぎる\n${Array.from({ length: 13 }, (_, index) => `選択肢${index + 1}`).join("\n")}`,
      ].join("\n"),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.stringMatching(/^質問1：選択肢は2〜12個にしてください（いま1個）/),
      expect.stringMatching(/^質問2：選択肢「これは二十文字を超えてしまう、とても長い選択肢です」は20文字以内/),
      expect.stringMatching(/^質問3：5段階の質問には選択肢を書かないでください/),
      expect.stringMatching(/^質問4：「任意」にできるのは/),
      expect.stringMatching(/^質問5：選択肢は2〜12個にしてください（いま13個）/),
    ]);
    const unknown = parseQuestions("[yesno] はいかいいえ\nはい\nいいえ");
    expect(unknown).toEqual({ ok: false, errors: [expect.stringContaining("1行目：「[yesno]」は質問の種類として読めません")] });
    expect(parseQuestions("質問です\nはい")).toEqual({ ok: false, errors: [expect.stringContaining("[single] のような種類の行から始めてください")] });
    expect(parseQuestions("  \n")).toEqual({ ok: false, errors: ["質問を1つ以上書いてください。"] });
  });

  it("counts choices with shares, keeping a value that is no longer an option", () => {
    const question = { id: "1", position: 1, kind: "multiple" as const, prompt: "?", options: ["A", "B", "C"], required: true };
    const { answered, counts } = countChoices(question, [["A", "B"], ["B"], ["Z"], null]);
    expect(answered).toBe(3);
    expect(counts.map((row) => [row.label, row.count, percent(row.share)])).toEqual([
      ["A", 1, "33.3%"],
      ["B", 2, "66.7%"],
      ["C", 0, "0.0%"],
      ["Z", 1, "33.3%"],
    ]);
  });
});

describe.each(testDatabases)("staff surveys on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press, textOf } = conversationDriver(() => fixture.lineApi);

  async function signedIn(bot: Awaited<ReturnType<typeof fixture.start>>, loginId: string, department: string) {
    await addStaff(bot.store.db, { loginId, department });
    const client = new StaffClient(bot.url);
    await client.login(loginId);
    await client.request("/staff/surveys/new");
    return client;
  }

  // Two residents through four questions: slow on the embedded database while the whole suite runs, hence the longer timeout.
  it("creates a survey of all four kinds, opens it, takes answers through LINE, counts them and exports them as CSV", async () => {
    const bot = await fixture.start();
    const db = bot.store.db;
    const client = await signedIn(bot, "shimin1", "市民課");
    const form = await client.request("/staff/surveys/new");
    expect(form.status).toBe(200);
    expect(form.text).toContain("質問の書き方");
    const survey = { title: "窓口アンケート", description: "窓口をご利用いただいた方にお聞きします。", audience: "link", slug: "madoguchi-2026", questions: QUESTIONS };

    // Without the session's CSRF token nothing is created.
    expect((await client.request("/staff/surveys/new", { form: survey })).status).toBe(403);
    expect((await client.request("/staff/surveys/new", { form: { ...survey, _csrf: "forged" } })).status).toBe(403);
    expect(await db.selectFrom("surveys").select("id").where("slug", "=", "madoguchi-2026").execute()).toEqual([]);

    const created = await client.post("/staff/surveys/new", survey);
    expect(created.status).toBe(303);
    const id = /^\/staff\/surveys\/(\d+)\/edit\?done=created$/.exec(created.location ?? "")?.[1];
    expect(id).toBeDefined();
    const row = await db.selectFrom("surveys").selectAll().where("id", "=", id!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ slug: "madoguchi-2026", title: "窓口アンケート", status: "draft", audience: "link", department: "市民課" });
    const questions = await db.selectFrom("survey_questions").select(["position", "kind", "options", "required"]).where("survey_id", "=", id!).orderBy("position").execute();
    expect(questions.map((question) => question.kind)).toEqual(["scale", "single", "multiple", "text"]);
    expect(questions[2]!.options).toEqual(["待ち時間が短い", "説明が分かりやすい", "案内表示が見やすい"]);
    expect(questions[3]!.required).toBe(false);

    // A draft is not answerable yet, and its results page says there is nothing to count.
    expect(textOf(await say(bot, events.text(newUserId(), "/survey madoguchi-2026")))).toContain("このアンケートはいま回答を受け付けていません");
    const noAnswers = (await client.request(`/staff/surveys/${id}/results`)).text;
    expect(noAnswers).toContain("このアンケートへの回答はまだありません。受付を開始すると、住民の方が回答できるようになります。");
    expect(noAnswers).toContain("回答はまだありません。");

    expect((await client.request(`/staff/surveys/${id}/open`, { form: { back: "list" } })).status).toBe(403);
    const opened = await client.post(`/staff/surveys/${id}/open`, { back: "list" });
    expect(opened.location).toBe("/staff/surveys?done=opened");
    const list = await client.request(opened.location!);
    expect(list.text).toContain('value="/survey madoguchi-2026"');
    expect(list.text).toContain("受付を開始しました");

    // Two residents answer through the deep link.
    const first = newUserId();
    let messages = await say(bot, events.text(first, "/survey madoguchi-2026"));
    expect(textOf(messages)).toContain("「窓口アンケート」（全4問）");
    messages = await say(bot, press(first, tap(messages, "4")));
    messages = await say(bot, press(first, tap(messages, "税金")));
    messages = await say(bot, press(first, tap(messages, "待ち時間が短い")));
    messages = await say(bot, press(first, tap(messages, "説明が分かりやすい")));
    messages = await say(bot, press(first, tap(messages, "選び終わった")));
    messages = await say(bot, events.text(first, "=SUM(1,2) 窓口の方が<b>親切</b>でした"));
    expect(textOf(messages)).toContain("ご回答ありがとうございました");

    const second = newUserId();
    messages = await say(bot, events.text(second, "/survey madoguchi-2026"));
    messages = await say(bot, press(second, tap(messages, "5")));
    messages = await say(bot, events.text(second, "1")); // 住民票・証明書, typed as its number
    messages = await say(bot, events.text(second, "2")); // 説明が分かりやすい
    messages = await say(bot, press(second, tap(messages, "回答しない")));
    expect(textOf(messages)).toContain("ご回答ありがとうございました");

    const results = await client.request(`/staff/surveys/${id}/results`);
    expect(results.status).toBe(200);
    const page = results.text;
    expect(page).toMatch(/回答数<\/dt><dd><b>2<\/b>件/);
    expect(page).toContain('平均 <b class="survey-mean">4.50</b>');
    expect(page).toContain('<tr><td>4</td><td class="num">1</td><td class="num">50.0%</td></tr>');
    expect(page).toContain('<tr><td>税金</td><td class="num">1</td><td class="num">50.0%</td></tr>');
    expect(page).toContain('<tr><td>子育て</td><td class="num">0</td><td class="num">0.0%</td></tr>');
    expect(page).toContain('<tr><td>説明が分かりやすい</td><td class="num">2</td><td class="num">100.0%</td></tr>');
    expect(page).toContain('<svg class="bar-chart"');
    expect(page).toContain("=SUM(1,2) 窓口の方が&lt;b&gt;親切&lt;/b&gt;でした");
    expect(page).not.toContain("<b>親切</b>");
    expect(page).not.toContain(first);

    // CSV for Excel on Japanese Windows: BOM, CRLF, one row per response, no LINE user id.
    const today = japanToday();
    const download = await client.request(`/staff/api/exports/surveys/${id}/answers.csv?from=${today}&to=${today}`);
    expect(download.status).toBe(200);
    expect(download.response.headers.get("content-disposition")).toBe(`attachment; filename="survey-madoguchi-2026-${today}-${today}.csv"`);
    const bytes = Buffer.from(await download.response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString("utf8");
    const lines = csv.split("\r\n");
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(
      '"回答者番号","回答日時","Q1 市役所の窓口の対応に、どのくらい満足していますか。（1：不満 〜 5：満足）","Q2 窓口に来られた主な目的は何ですか。","Q3 窓口でよかったことを、すべてお選びください。","Q4 そのほか、ご意見がありましたらお書きください。"',
    );
    expect(lines[1]).toMatch(/^"1","\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}","4","税金","待ち時間が短い、説明が分かりやすい","'=SUM\(1,2\) 窓口の方が<b>親切<\/b>でした"$/);
    expect(lines[2]).toMatch(/^"2","[^"]+","5","住民票・証明書","説明が分かりやすい",""$/);
    expect(csv).not.toContain(first);
    expect(csv).not.toContain(second);
    expect(csv).not.toMatch(/U[0-9a-f]{32}/);
    const later = await client.request(`/staff/api/exports/surveys/${id}/answers.csv?from=2099-01-01`);
    expect(Buffer.from(await later.response.arrayBuffer()).subarray(3).toString("utf8").split("\r\n")).toHaveLength(2);

    const history = await db.selectFrom("audit_log").select("action").where("target_type", "=", "survey").where("target_id", "=", id!).orderBy("id").execute();
    expect(history.map((entry) => entry.action)).toEqual(["survey.create", "survey.open", "survey.export", "survey.export"]);
  }, 120_000);

  it("fixes the questions once a resident has answered, still lets the title change, and refuses residents once closed", async () => {
    const bot = await fixture.start();
    const db = bot.store.db;
    const client = await signedIn(bot, "shimin2", "市民課");
    const questions = "[single] 今日の窓口は混んでいましたか。\n混んでいた\n空いていた";
    const created = await client.post("/staff/surveys/new", { title: "混雑調査", audience: "link", slug: "konzatsu", questions });
    const id = /\/staff\/surveys\/(\d+)\/edit/.exec(created.location ?? "")![1]!;
    expect((await client.post(`/staff/surveys/${id}/open`, { back: "edit" })).location).toBe(`/staff/surveys/${id}/edit?done=opened`);

    const resident = newUserId();
    const messages = await say(bot, events.text(resident, "/survey konzatsu"));
    expect(textOf(await say(bot, press(resident, tap(messages, "空いていた"))))).toContain("ご回答ありがとうございました");

    const edit = await client.request(`/staff/surveys/${id}/edit`);
    expect(edit.text).toContain("すでに1件の回答が届いているため、質問は変更できません");
    expect(edit.text).not.toContain('name="questions"');
    // A form opened before the first response still carries the questions: changing them is refused.
    const refused = await client.post(`/staff/surveys/${id}/edit`, { title: "混雑調査", audience: "link", questions: questions.replace("空いていた", "すいていた") });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("このアンケートにはすでに回答が届いているため、質問は変更できません");
    expect((await db.selectFrom("survey_questions").select("options").where("survey_id", "=", id).executeTakeFirstOrThrow()).options).toEqual(["混んでいた", "空いていた"]);
    expect((await db.selectFrom("surveys").select("title").where("id", "=", id).executeTakeFirstOrThrow()).title).toBe("混雑調査");

    const renamed = await client.post(`/staff/surveys/${id}/edit`, { title: "窓口の混雑調査", description: "1問だけです。", audience: "all" });
    expect(renamed.location).toBe(`/staff/surveys/${id}/edit?done=saved`);
    expect(await db.selectFrom("surveys").select(["title", "audience", "description"]).where("id", "=", id).executeTakeFirstOrThrow()).toEqual({
      title: "窓口の混雑調査",
      audience: "all",
      description: "1問だけです。",
    });

    // Closed: residents are told so, and nothing more is stored.
    expect((await client.post(`/staff/surveys/${id}/close`, { back: "list" })).location).toBe("/staff/surveys?done=closed");
    expect(textOf(await say(bot, events.text(newUserId(), "/survey konzatsu")))).toContain("このアンケートはいま回答を受け付けていません");
    expect(await db.selectFrom("survey_responses").select("id").where("survey_id", "=", id).execute()).toHaveLength(1);

    const history = await db.selectFrom("audit_log").select(["action", "detail"]).where("target_type", "=", "survey").where("target_id", "=", id).orderBy("id").execute();
    expect(history.map((entry) => entry.action)).toEqual(["survey.create", "survey.open", "survey.update", "survey.close"]);
    expect(history[2]!.detail).toEqual({ fields: ["title", "description", "audience"], questions_changed: false });
  });

  it("lets only an admin or the survey's department change it, and explains what is wrong in a form", async () => {
    const bot = await fixture.start();
    const db = bot.store.db;
    await addStaff(db, { loginId: "shoko9" });
    await addStaff(db, { loginId: "admin9", department: "情報政策課", role: "admin" });
    const staff = new StaffClient(bot.url);
    await staff.login("shoko9");

    // The seeded survey belongs to 秘書課: others may look, not change.
    const seeded = await db.selectFrom("surveys").select(["id", "status"]).where("slug", "=", "line-satisfaction").executeTakeFirstOrThrow();
    // Another department sees the counts, not what residents wrote, and cannot download it.
    const results = await staff.request(`/staff/surveys/${seeded.id}/results`);
    expect(results.status).toBe(200);
    expect(results.text).toContain("回答の内容は担当課の職員と管理者だけがご覧になれます。");
    expect(results.text).not.toContain("/answers.csv");
    const download = await staff.request(`/staff/api/exports/surveys/${seeded.id}/answers.csv`);
    expect(download.status).toBe(403);
    expect(download.text).toContain("秘書課の職員と管理者だけ");
    const list = await staff.request("/staff/surveys");
    expect(list.text).not.toContain(`/staff/surveys/${seeded.id}/edit`);
    expect((await staff.request(`/staff/surveys/${seeded.id}/edit`)).status).toBe(403);
    const close = await staff.post(`/staff/surveys/${seeded.id}/close`, {});
    expect(close.status).toBe(403);
    expect(close.text).toContain("秘書課の職員と管理者だけです");
    expect((await db.selectFrom("surveys").select("status").where("id", "=", seeded.id).executeTakeFirstOrThrow()).status).toBe(seeded.status);

    // Problems are listed with the form kept as typed; nothing is stored.
    await staff.request("/staff/surveys/new");
    const invalid = await staff.post("/staff/surveys/new", { title: "", audience: "all", slug: "Bad Slug!", questions: "[single] 1つだけ\nはい" });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain("タイトルを入力してください。");
    expect(invalid.text).toContain("アンケートの識別名は、半角の英小文字・数字・ハイフン");
    expect(invalid.text).toContain("質問1：選択肢は2〜12個にしてください（いま1個）");
    expect(invalid.text).toContain("[single] 1つだけ\nはい</textarea>");
    const taken = await staff.post("/staff/surveys/new", { title: "重複", audience: "all", slug: "line-satisfaction", questions: "[text] ご意見をどうぞ" });
    expect(taken.status).toBe(409);
    expect(taken.text).toContain("識別名「line-satisfaction」はほかのアンケートで使われています");

    // Without a name one is chosen; a survey without responses may have its questions changed.
    const created = await staff.post("/staff/surveys/new", { title: "観光アンケート", audience: "all", slug: "", questions: "[text] ご意見をどうぞ" });
    const id = /\/staff\/surveys\/(\d+)\/edit/.exec(created.location ?? "")![1]!;
    const stored = await db.selectFrom("surveys").select(["slug", "department"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ slug: expect.stringMatching(/^survey-[0-9a-f]{8}$/), department: "商工観光課" });
    await staff.request(`/staff/surveys/${id}/edit`);
    const changed = await staff.post(`/staff/surveys/${id}/edit`, { title: "観光アンケート", audience: "all", questions: "[single] また来たいですか\nはい\nいいえ" });
    expect(changed.status).toBe(303);
    expect(await db.selectFrom("survey_questions").select(["kind", "prompt"]).where("survey_id", "=", id).execute()).toEqual([{ kind: "single", prompt: "また来たいですか" }]);

    // An admin may change any survey, and give it a department.
    const admin = new StaffClient(bot.url);
    await admin.login("admin9");
    const edit = await admin.request(`/staff/surveys/${seeded.id}/edit`);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('<datalist id="survey-departments">');
    const moved = await admin.post(`/staff/surveys/${seeded.id}/edit`, { title: "人吉市公式LINE 満足度アンケート", audience: "all", department: "情報政策課" });
    expect(moved.status).toBe(303);
    expect((await db.selectFrom("surveys").select("department").where("id", "=", seeded.id).executeTakeFirstOrThrow()).department).toBe("情報政策課");
  });
});
