import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../../store/database.js";
import type { QuestionKind, SurveyStatus } from "../../store/tables/surveys.js";
import type { StaffPrincipal } from "../sessions.js";
import type { QuestionDraft, SurveyMeta } from "./survey-form.js";
import type { StoredQuestion } from "./survey-results.js";
import { insertSurveyQuestions } from "../../store/survey-questions.js";

// Reads and writes of the survey pages. Every member of staff sees every survey and its results;
// an admin, or the survey's own department, may change it.
type Db = Kysely<Database> | Transaction<Database>;

export const TEXT_ANSWERS_SHOWN = 30;

export interface SurveyRow {
  id: string;
  slug: string;
  title: string;
  description: string | null;
  department: string | null;
  status: SurveyStatus;
  audience: "all" | "link";
  created_at: Date;
  updated_at: Date;
}

const SURVEY_COLUMNS = ["id", "slug", "title", "description", "department", "status", "audience", "created_at", "updated_at"] as const;

export function canManage(staff: StaffPrincipal, survey: Pick<SurveyRow, "department">): boolean {
  return staff.role === "admin" || (survey.department !== null && survey.department === staff.department);
}

export async function listSurveys(db: Db) {
  const rows = await db
    .selectFrom("surveys as s")
    .leftJoin("survey_responses as r", "r.survey_id", "s.id")
    .select([
      "s.id",
      "s.slug",
      "s.title",
      "s.department",
      "s.status",
      "s.audience",
      "s.updated_at",
      (eb) => eb.fn.count<string>("r.id").as("responses"),
      (eb) => eb.fn.max("r.submitted_at").as("last_response_at"),
    ])
    .groupBy("s.id")
    .orderBy(sql`case s.status when 'open' then 0 when 'draft' then 1 else 2 end`)
    .orderBy("s.updated_at", "desc")
    .orderBy("s.id", "desc")
    .execute();
  return rows.map((row) => ({ ...row, responses: Number(row.responses), last_response_at: row.last_response_at ? new Date(row.last_response_at) : null }));
}

export async function findSurvey(db: Db, id: string, options: { lock?: boolean } = {}): Promise<SurveyRow | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  let query = db.selectFrom("surveys").select(SURVEY_COLUMNS).where("id", "=", id);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function questionsOf(db: Db, surveyId: string): Promise<StoredQuestion[]> {
  const rows = await db
    .selectFrom("survey_questions")
    .select(["id", "position", "kind", "prompt", "options", "required"])
    .where("survey_id", "=", surveyId)
    .orderBy("position")
    .execute();
  return rows.map((row) => ({ ...row, id: String(row.id), kind: row.kind as QuestionKind }));
}

export async function responseCount(db: Db, surveyId: string): Promise<number> {
  const row = await db.selectFrom("survey_responses").select((eb) => eb.fn.countAll<string>().as("n")).where("survey_id", "=", surveyId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function slugTaken(db: Db, slug: string): Promise<boolean> {
  return (await db.selectFrom("surveys").select("id").where("slug", "=", slug).executeTakeFirst()) !== undefined;
}

// Departments an admin may give a survey: those of staff accounts and of existing surveys.
export async function knownDepartments(db: Db): Promise<string[]> {
  const [staff, surveys] = await Promise.all([
    db.selectFrom("staff_users").select("department").distinct().execute(),
    db.selectFrom("surveys").select("department").distinct().where("department", "is not", null).execute(),
  ]);
  return [...new Set([...staff, ...surveys].map((row) => row.department!))].sort((a, b) => a.localeCompare(b, "ja"));
}

export async function insertSurvey(trx: Transaction<Database>, slug: string, meta: SurveyMeta, questions: QuestionDraft[]): Promise<string> {
  const survey = await trx
    .insertInto("surveys")
    .values({ slug, title: meta.title, description: meta.description, department: meta.department, audience: meta.audience, status: "draft" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await insertSurveyQuestions(trx, survey.id, questions);
  return survey.id;
}

export async function updateSurvey(trx: Transaction<Database>, id: string, meta: SurveyMeta): Promise<void> {
  await trx
    .updateTable("surveys")
    .set({ title: meta.title, description: meta.description, department: meta.department, audience: meta.audience, updated_at: new Date() })
    .where("id", "=", id)
    .execute();
}

// Replaces all questions (only ever done while the survey has no responses).
export async function replaceQuestions(trx: Transaction<Database>, surveyId: string, questions: QuestionDraft[]): Promise<void> {
  await trx.deleteFrom("survey_questions").where("survey_id", "=", surveyId).execute();
  await insertSurveyQuestions(trx, surveyId, questions);
}


export async function setStatus(trx: Transaction<Database>, id: string, status: SurveyStatus): Promise<void> {
  await trx.updateTable("surveys").set({ status, updated_at: new Date() }).where("id", "=", id).execute();
}

// Every answer to the survey's choice and scale questions (small values), for counting.
export async function choiceAnswers(db: Db, surveyId: string) {
  return db
    .selectFrom("survey_answers as a")
    .innerJoin("survey_questions as q", "q.id", "a.question_id")
    .select(["a.question_id", "a.value"])
    .where("q.survey_id", "=", surveyId)
    .where("q.kind", "<>", "text")
    .execute();
}

// For each free-text question: how many answered it, and the latest answers.
export async function textAnswers(db: Db, questions: StoredQuestion[]) {
  const result = new Map<string, { answered: number; latest: { text: string; at: Date }[] }>();
  for (const question of questions.filter((candidate) => candidate.kind === "text")) {
    const [count, latest] = await Promise.all([
      db.selectFrom("survey_answers").select((eb) => eb.fn.countAll<string>().as("n")).where("question_id", "=", question.id).executeTakeFirstOrThrow(),
      db
        .selectFrom("survey_answers as a")
        .innerJoin("survey_responses as r", "r.id", "a.response_id")
        .select(["a.value", "r.submitted_at"])
        .where("a.question_id", "=", question.id)
        .orderBy("r.submitted_at", "desc")
        .orderBy("r.id", "desc")
        .limit(TEXT_ANSWERS_SHOWN)
        .execute(),
    ]);
    result.set(question.id, { answered: Number(count.n), latest: latest.map((row) => ({ text: String(row.value ?? ""), at: row.submitted_at })) });
  }
  return result;
}

// Responses submitted in [from, to), each with its number among all of the survey's responses in
// order of submission (the anonymous respondent number of the CSV), and their answers.
export async function responsesForExport(db: Db, surveyId: string, range: { from?: Date; to?: Date }, limit: number) {
  const numbered = db
    .selectFrom("survey_responses")
    .select(["id", "submitted_at", sql<string>`row_number() over (order by submitted_at, id)`.as("number")])
    .where("survey_id", "=", surveyId)
    .as("r");
  let query = db.selectFrom(numbered).select(["r.id", "r.submitted_at", "r.number"]);
  if (range.from) query = query.where("r.submitted_at", ">=", range.from);
  if (range.to) query = query.where("r.submitted_at", "<", range.to);
  const responses = await query.orderBy("r.submitted_at").orderBy("r.id").limit(limit).execute();
  if (responses.length === 0) return [];
  const first = responses[0]!.submitted_at;
  const last = responses.at(-1)!.submitted_at;
  const answers = await db
    .selectFrom("survey_answers as a")
    .innerJoin("survey_responses as r", "r.id", "a.response_id")
    .select(["a.response_id", "a.question_id", "a.value"])
    .where("r.survey_id", "=", surveyId)
    .where("r.submitted_at", ">=", first)
    .where("r.submitted_at", "<=", last)
    .execute();
  const byResponse = new Map<string, Map<string, unknown>>();
  for (const answer of answers) {
    const map = byResponse.get(String(answer.response_id)) ?? new Map<string, unknown>();
    map.set(String(answer.question_id), answer.value);
    byResponse.set(String(answer.response_id), map);
  }
  return responses.map((response) => ({
    number: Number(response.number),
    submittedAt: response.submitted_at,
    answers: byResponse.get(String(response.id)) ?? new Map<string, unknown>(),
  }));
}
