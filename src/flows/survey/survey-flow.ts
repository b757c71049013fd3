import type { Transaction } from "kysely";
import { postbackData } from "../../line/postback-data.js";
import type { BotTexts } from "../../seeds/bot-texts.js";
import type { Database } from "../../store/database.js";
import type { QuestionKind } from "../../store/tables/surveys.js";
import type { SurveyTexts } from "../flow-texts.js";
import { quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { japanDate } from "../../japan-time.js";
import { textWithMenu } from "../replies.js";
import { answersQuestion, parseAnswer, type Question } from "./survey-answers.js";
import { askQuestion, FLOW, QUICK_REPLY_LIMIT, type SurveyDraft } from "./survey-question.js";

// Answering a survey in LINE: the open surveys as buttons (or one opened by its link,
// 「/survey <slug>」), then question by question (survey-question.ts). One submission per resident
// per survey: answering again replaces the earlier one, after asking. Answers are saved together
// when the last question is answered.
interface SurveySetup {
  texts: SurveyTexts;
  botTexts: BotTexts;
}

export function surveyFlow(texts: SurveyTexts, botTexts: BotTexts): Flow {
  const setup: SurveySetup = { texts, botTexts };
  return {
    name: FLOW,
    title: "アンケートの回答",
    procedures: ["アンケートへの回答"],
    opens: ["open", "redo", "keep"],
    recognizes: (_step, text, _understood, data) => {
      const current = (data as unknown as SurveyDraft).current;
      return current ? answersQuestion(current, text) : false;
    },
    // A free-text question asks for the resident's opinion, in which questions and wishes belong.
    freeText: (_step, data) => ((data as unknown as SurveyDraft).current?.kind === "text" ? { asks: "message" } : null),
    fromIntent: (context) => listOpenSurveys(setup, context.trx),
    start: (context) => listOpenSurveys(setup, context.trx),
    handle: (context, state, input) => handleSurvey(setup, context, state, input),
  };
}

async function handleSurvey(setup: SurveySetup, context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
  const { texts } = setup;
  if (input.kind === "postback") {
    const { action, argument } = input.postback;
    if (action === "open") return openSurvey(setup, context, argument, false);
    if (action === "redo") return openSurvey(setup, context, argument, true);
    if (action === "keep") return { messages: [textWithMenu(texts.kept, setup.botTexts)], state: null };
  }
  const draft = state.data as unknown as SurveyDraft;
  const position = Number(/^q(\d+)$/.exec(state.step)?.[1]);
  if (!draft.survey_id || !Number.isInteger(position)) return listOpenSurveys(setup, context.trx);
  const questions = await questionsOf(context.trx, draft.survey_id);
  const question = questions.find((candidate) => candidate.position === position);
  if (!question) return listOpenSurveys(setup, context.trx);
  const outcome = parseAnswer(question, input, draft.picked ?? []);
  switch (outcome.kind) {
    case "invalid":
      return askQuestion(texts, question, questions.length, { ...draft }, texts.invalid);
    case "picking":
      return askQuestion(texts, question, questions.length, { ...draft, picked: outcome.picked }, outcome.note === "required" ? texts.multiple_required : null);
    case "answer": {
      const answers = { ...draft.answers, [String(question.id)]: outcome.value };
      const next = questions.find((candidate) => candidate.position > position);
      if (next) return askQuestion(texts, next, questions.length, { survey_id: draft.survey_id, answers, replacing: draft.replacing ?? false }, null);
      return submitSurvey(setup, context, { ...draft, answers }, questions);
    }
  }
}

async function listOpenSurveys(setup: SurveySetup, trx: Transaction<Database>): Promise<FlowOutcome> {
  const { texts } = setup;
  const open = await trx.selectFrom("surveys").select(["slug", "title"]).where("status", "=", "open").where("audience", "=", "all").orderBy("id").limit(QUICK_REPLY_LIMIT).execute();
  if (open.length === 0) return { messages: [textWithMenu(texts.none, setup.botTexts)], state: null };
  const list = [texts.list, ...open.map((survey) => `・${survey.title}`)].join("\n");
  return { messages: [quickReplyText(list, open.map((survey) => ({ label: survey.title.slice(0, 20), data: postbackData(FLOW, "open", survey.slug) })))], state: null };
}

// A survey by its slug: its first question, or (answered before) whether to answer again.
async function openSurvey(setup: SurveySetup, context: FlowContext, slug: string, replace: boolean): Promise<FlowOutcome> {
  const { texts } = setup;
  const survey = await context.trx.selectFrom("surveys").select(["id", "title", "description", "status"]).where("slug", "=", slug).executeTakeFirst();
  if (!survey || survey.status !== "open") return { messages: [textWithMenu(texts.not_open, setup.botTexts)], state: null };
  const previous = await context.trx
    .selectFrom("survey_responses")
    .select("submitted_at")
    .where("survey_id", "=", survey.id)
    .where("user_id", "=", context.userId)
    .executeTakeFirst();
  if (previous && !replace) {
    const text = texts.already_answered.replace("{title}", survey.title).replace("{date}", japanDate(previous.submitted_at));
    return {
      messages: [quickReplyText(text, [{ label: texts.redo, data: postbackData(FLOW, "redo", slug) }, { label: texts.keep, data: postbackData(FLOW, "keep", slug) }])],
      state: null,
    };
  }
  const questions = await questionsOf(context.trx, survey.id);
  const intro = texts.intro
    .replace("{title}", survey.title)
    .replace("{count}", String(questions.length))
    .replace("{description}\n", survey.description ? `${survey.description}\n` : "")
    .replace("{description}", survey.description ?? "");
  const first = askQuestion(texts, questions[0]!, questions.length, { survey_id: survey.id, answers: {}, replacing: previous !== undefined }, null);
  return { messages: [{ type: "text", text: intro }, ...first.messages], state: first.state };
}

async function submitSurvey(setup: SurveySetup, context: FlowContext, draft: SurveyDraft, questions: Question[]): Promise<FlowOutcome> {
  const { texts } = setup;
  const survey = await context.trx.selectFrom("surveys").select("status").where("id", "=", draft.survey_id).executeTakeFirst();
  if (survey?.status !== "open") return { messages: [textWithMenu(texts.not_open, setup.botTexts)], state: null };
  const replaced = await context.trx
    .deleteFrom("survey_responses")
    .where("survey_id", "=", draft.survey_id)
    .where("user_id", "=", context.userId)
    .returning("id")
    .execute();
  const response = await context.trx
    .insertInto("survey_responses")
    .values({ survey_id: draft.survey_id, user_id: context.userId, submitted_at: context.at })
    .returning("id")
    .executeTakeFirstOrThrow();
  const rows = questions
    .filter((question) => draft.answers[String(question.id)] !== undefined && draft.answers[String(question.id)] !== null)
    .map((question) => ({ response_id: response.id, question_id: question.id, value: JSON.stringify(draft.answers[String(question.id)]) }));
  if (rows.length > 0) await context.trx.insertInto("survey_answers").values(rows).execute();
  const text = replaced.length > 0 ? `${texts.thanks}\n${texts.replaced}` : texts.thanks;
  return { messages: [textWithMenu(text, setup.botTexts)], state: null };
}

async function questionsOf(trx: Transaction<Database>, surveyId: string): Promise<Question[]> {
  const rows = await trx
    .selectFrom("survey_questions")
    .select(["id", "position", "kind", "prompt", "options", "required"])
    .where("survey_id", "=", surveyId)
    .orderBy("position")
    .execute();
  return rows.map((row) => ({ ...row, kind: row.kind as QuestionKind }));
}
