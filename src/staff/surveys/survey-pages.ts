import { randomBytes } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../../store/database.js";
import type { SurveyStatus } from "../../store/tables/surveys.js";
import { audit } from "../audit.js";
import { html } from "../html.js";
import { japanDayEnd, japanDayStart } from "../../japan-time.js";
import { page } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import { answersCsv } from "./survey-csv.js";
import { formatQuestions, parseQuestions, parseSlug, parseSurveyMeta, sameQuestions } from "./survey-form.js";
import {
  canManage,
  choiceAnswers,
  findSurvey,
  insertSurvey,
  knownDepartments,
  listSurveys,
  questionsOf,
  replaceQuestions,
  responseCount,
  responsesForExport,
  setStatus,
  slugTaken,
  textAnswers,
  updateSurvey,
  type SurveyRow,
} from "./survey-queries.js";
import { summarize } from "./survey-results.js";
import { messages, resultsView, statusButton, surveyForm, surveyList, SURVEY_STATUS_LABELS, type FormValues } from "./survey-views.js";

// Surveys in the console: the list (/staff/surveys), creating and editing (questions written in
// one textarea, see survey-form.ts), opening and closing, per-question results with charts, and
// the answers as CSV for Excel. Anyone on staff may see the counts; what residents wrote (free-text
// answers, the CSV) and changing the survey are for an admin or the survey's department, since free
// text may hold names or phone numbers. The questions are fixed once a response has arrived.
const CURRENT = "/staff/surveys";
const EXPORT_LIMIT = 50_000;

const DONE_MESSAGES: Record<string, string> = {
  created: "下書きとして作成しました。内容を確かめてから「受付を開始する」を押すと、住民の方が回答できるようになります。",
  saved: "保存しました。",
  opened: "受付を開始しました。",
  closed: "受付を終了しました。住民の方からの新しい回答は受け付けません。",
};

const exportRangeSchema = z.object({
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
});

export function surveyPages(db: Kysely<Database>): Router {
  const router = express.Router();

  router.get("/staff/surveys", (req, res) => showSurveyList(db, req, res));
  router.get("/staff/surveys/new", (req, res) => showNewSurveyForm(db, req, res));
  router.post("/staff/surveys/new", (req, res) => createSurvey(db, req, res));
  router.get("/staff/surveys/:id/edit", (req, res) => showSurveyEditor(db, req, res));
  router.post("/staff/surveys/:id/edit", (req, res) => saveSurvey(db, req, res));

  for (const [action, to] of [
    ["open", "open"],
    ["close", "closed"],
  ] as const) {
    router.post(`/staff/surveys/:id/${action}`, async (req, res) => {
      const staff = req.staff!;
      const survey = await managed(db, req, res);
      if (!survey) return;
      const allowed: SurveyStatus[] = to === "open" ? ["draft", "closed"] : ["open"];
      const back = (req.body as Record<string, unknown>).back === "list" ? "/staff/surveys" : `/staff/surveys/${survey.id}/edit`;
      if (survey.status === to) return void res.redirect(303, `${back}?done=${to === "open" ? "opened" : "closed"}`);
      if (!allowed.includes(survey.status)) {
        return void res
          .status(409)
          .type("html")
          .send(page({ title: "操作できません", staff, current: CURRENT, body: html`<p class="error">「${SURVEY_STATUS_LABELS[survey.status]}」のアンケートは、この操作ができません。</p><p><a href="/staff/surveys">一覧へ戻る</a></p>` }));
      }
      await db.transaction().execute(async (trx) => {
        await setStatus(trx, survey.id, to);
        await audit(trx, staff, `survey.${action}`, { type: "survey", id: survey.id }, { from: survey.status, to });
      });
      res.redirect(303, `${back}?done=${to === "open" ? "opened" : "closed"}`);
    });
  }

  router.get("/staff/surveys/:id/results", (req, res) => showSurveyResults(db, req, res));
  router.get("/staff/api/exports/surveys/:id/answers.csv", (req, res) => exportSurveyAnswers(db, req, res));

  return router;
}

async function showSurveyList(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const rows = await listSurveys(db);
  const body = html`${messages(doneMessage(req), [])}${surveyList(staff, rows)}`;
  res.type("html").send(page({ title: "アンケート", staff, current: CURRENT, body }));
}

async function showNewSurveyForm(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const values: FormValues = { title: "", description: "", audience: "all", department: staff.department, slug: "", questions: "" };
  await sendForm(db, res, staff, { values, creating: true, action: "/staff/surveys/new", errors: [], status: 200, survey: null });
}

async function createSurvey(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const body = req.body as Record<string, unknown>;
  const values = submittedValues(body, staff);
  const meta = parseSurveyMeta(body, staff);
  const slug = parseSlug(body.slug);
  const questions = parseQuestions(values.questions);
  const errors = [...problems(meta), ...problems(slug), ...problems(questions)];
  if (!meta.ok || !slug.ok || !questions.ok) {
    return sendForm(db, res, staff, { values, creating: true, action: "/staff/surveys/new", errors, status: 422, survey: null });
  }
  const id = await db
    .transaction()
    .execute(async (trx) => {
      const chosen = slug.value ?? (await freeSlug(trx));
      if (await slugTaken(trx, chosen)) return null;
      const created = await insertSurvey(trx, chosen, meta.value, questions.value);
      await audit(trx, staff, "survey.create", { type: "survey", id: created }, { slug: chosen, questions: questions.value.length });
      return created;
    })
    // Two people choosing the same new name at the same moment: the unique index decides.
    .catch((error: unknown) => {
      if ((error as { code?: unknown }).code === "23505") return null;
      throw error;
    });
  if (!id) {
    const taken = `識別名「${slug.value}」はほかのアンケートで使われています。別の識別名にしてください。`;
    return sendForm(db, res, staff, { values, creating: true, action: "/staff/surveys/new", errors: [taken], status: 409, survey: null });
  }
  res.redirect(303, `/staff/surveys/${id}/edit?done=created`);
}

async function showSurveyEditor(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const survey = await managed(db, req, res);
  if (!survey) return;
  const questions = await questionsOf(db, survey.id);
  const values: FormValues = {
    title: survey.title,
    description: survey.description ?? "",
    audience: survey.audience,
    department: survey.department ?? "",
    slug: survey.slug,
    questions: formatQuestions(questions),
  };
  await sendForm(db, res, staff, { values, creating: false, action: `/staff/surveys/${survey.id}/edit`, errors: [], status: 200, survey, done: doneMessage(req) });
}

async function saveSurvey(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const survey = await managed(db, req, res);
  if (!survey) return;
  const body = req.body as Record<string, unknown>;
  const values = { ...submittedValues(body, staff), slug: survey.slug };
  const meta = parseSurveyMeta(body, staff);
  // A form shown while there were no responses has the questions; one shown after has not.
  const questions = typeof body.questions === "string" ? parseQuestions(values.questions) : null;
  const action = `/staff/surveys/${survey.id}/edit`;
  if (!meta.ok || (questions && !questions.ok)) {
    return sendForm(db, res, staff, { values, creating: false, action, errors: [...problems(meta), ...(questions ? problems(questions) : [])], status: 422, survey });
  }
  const outcome = await db.transaction().execute(async (trx) => {
    // The lock makes a resident's submission wait (or be counted) while the questions change.
    const locked = await findSurvey(trx, survey.id, { lock: true });
    if (!locked) return "gone" as const;
    const stored = await questionsOf(trx, survey.id);
    const changed = questions !== null && !sameQuestions(questions.value, stored);
    if (changed && (await responseCount(trx, survey.id)) > 0) return "answered" as const;
    await updateSurvey(trx, survey.id, meta.value);
    if (changed) await replaceQuestions(trx, survey.id, questions.value);
    await audit(trx, staff, "survey.update", { type: "survey", id: survey.id }, { fields: changedFields(locked, meta.value), questions_changed: changed });
    return "saved" as const;
  });
  if (outcome === "gone") return notFound(res, staff);
  if (outcome === "answered") {
    const refused = "このアンケートにはすでに回答が届いているため、質問は変更できません（回答の集計が合わなくなるためです）。質問は元のままです。タイトル・説明・公開の範囲は、この画面から変更できます。質問を変えたいときは、新しいアンケートを作ってください。";
    return sendForm(db, res, staff, { values, creating: false, action, errors: [refused], status: 409, survey });
  }
  res.redirect(303, `/staff/surveys/${survey.id}/edit?done=saved`);
}

async function showSurveyResults(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const survey = await findSurvey(db, String(req.params.id));
  if (!survey) return notFound(res, staff);
  const questions = await questionsOf(db, survey.id);
  const mayReadAnswers = canManage(staff, survey);
  const [total, choices, texts] = await Promise.all([responseCount(db, survey.id), choiceAnswers(db, survey.id), textAnswers(db, questions)]);
  const results = summarize(questions, choices, texts);
  const body = html`<p><a href="/staff/surveys">← 一覧へ戻る</a>${canManage(staff, survey) ? html` ・ <a href="/staff/surveys/${survey.id}/edit">編集</a> ${statusButton(staff, survey, "edit")}` : ""}</p>
${resultsView(survey, total, results, mayReadAnswers)}`;
  res.type("html").send(page({ title: `結果：${survey.title}`, staff, current: CURRENT, body }));
}

async function exportSurveyAnswers(db: Kysely<Database>, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const survey = await findSurvey(db, String(req.params.id));
  if (!survey) return void res.status(404).json({ error: "このアンケートは見つかりません。" });
  if (!canManage(staff, survey)) return void res.status(403).json({ error: `回答のダウンロードは${answersReaders(survey)}だけができます。` });
  const range = exportRangeSchema.parse(req.query);
  const questions = await questionsOf(db, survey.id);
  const responses = await responsesForExport(
    db,
    survey.id,
    { from: range.from ? japanDayStart(range.from) : undefined, to: range.to ? japanDayEnd(range.to) : undefined },
    EXPORT_LIMIT,
  );
  const csv = answersCsv(questions, responses);
  await audit(db, staff, "survey.export", { type: "survey", id: survey.id }, { rows: responses.length, from: range.from ?? null, to: range.to ?? null });
  const name = `survey-${survey.slug}-${range.from ?? "all"}-${range.to ?? "now"}.csv`;
  res.set({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${name}"` }).send(csv);
}

function notFound(res: Response, staff: StaffPrincipal): void {
  res.status(404).type("html").send(page({ title: "見つかりません", staff, current: CURRENT, body: html`<p>このアンケートは見つかりません。</p><p><a href="/staff/surveys">一覧へ戻る</a></p>` }));
}

function doneMessage(req: Request): string | undefined {
  return typeof req.query.done === "string" && Object.hasOwn(DONE_MESSAGES, req.query.done) ? DONE_MESSAGES[req.query.done] : undefined;
}

function problems(parsed: { ok: true } | { ok: false; errors: string[] }): string[] {
  return parsed.ok ? [] : parsed.errors;
}

function submittedValues(body: Record<string, unknown>, staff: StaffPrincipal): FormValues {
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  return {
    title: text(body.title),
    description: text(body.description),
    audience: body.audience === "link" ? "link" : "all",
    department: staff.role === "admin" ? text(body.department) : staff.department,
    slug: text(body.slug),
    questions: text(body.questions),
  };
}

// Which of the survey's settings an edit changed (names only: the audit log keeps no free text).
function changedFields(before: SurveyRow, after: { title: string; description: string | null; audience: string; department: string | null }): string[] {
  return (["title", "description", "audience", "department"] as const).filter((field) => before[field] !== after[field]);
}

function answersReaders(survey: Pick<SurveyRow, "department">): string {
  return survey.department ? `${survey.department}の職員と管理者` : "管理者";
}

// The survey of :id if this member of staff may change it; otherwise answers 404 or 403 itself.
async function managed(db: Kysely<Database>, req: Request, res: Response): Promise<SurveyRow | undefined> {
  const staff = req.staff!;
  const survey = await findSurvey(db, String(req.params.id));
  if (!survey) {
    notFound(res, staff);
    return undefined;
  }
  if (!canManage(staff, survey)) {
    const who = answersReaders(survey);
    res
      .status(403)
      .type("html")
      .send(page({ title: "変更できません", staff, current: CURRENT, body: html`<p class="error">このアンケートを変更できるのは${who}だけです。結果はどなたでもご覧になれます。</p><p><a href="/staff/surveys/${survey.id}/results">結果を見る</a> ・ <a href="/staff/surveys">一覧へ戻る</a></p>` }));
    return undefined;
  }
  return survey;
}

async function sendForm(
  db: Kysely<Database>,
  res: Response,
  staff: StaffPrincipal,
  options: { values: FormValues; creating: boolean; action: string; errors: string[]; status: number; survey: SurveyRow | null; done?: string },
): Promise<void> {
  const { survey } = options;
  const [departments, responses] = await Promise.all([
    staff.role === "admin" ? knownDepartments(db) : Promise.resolve([]),
    survey ? responseCount(db, survey.id) : Promise.resolve(0),
  ]);
  const lockedQuestions = survey && responses > 0 ? { responses, text: formatQuestions(await questionsOf(db, survey.id)) } : null;
  const body = html`${survey ? html`<p><a href="/staff/surveys">← 一覧へ戻る</a> ・ <a href="/staff/surveys/${survey.id}/results">結果を見る</a></p>
<p>状態：<span class="survey-status ${survey.status}">${SURVEY_STATUS_LABELS[survey.status]}</span> ${statusButton(staff, survey, "edit")}</p>` : html`<p><a href="/staff/surveys">← 一覧へ戻る</a></p>`}
${messages(options.done, options.errors)}
${surveyForm({ staff, action: options.action, values: options.values, creating: options.creating, lockedQuestions, departments })}`;
  const title = options.creating ? "アンケートを作る" : `編集：${survey?.title ?? ""}`;
  res.status(options.status).type("html").send(page({ title, staff, current: CURRENT, body }));
}

async function freeSlug(trx: Parameters<typeof slugTaken>[0]): Promise<string> {
  for (;;) {
    const slug = `survey-${randomBytes(4).toString("hex")}`;
    if (!(await slugTaken(trx, slug))) return slug;
  }
}
