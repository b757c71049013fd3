import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import { textWithMenu } from "../../events/replies.js";
import type { BotTexts } from "../../seeds/bot-texts.js";
import type { Database, QuestionKind } from "../../store/database.js";
import type { SurveyTexts } from "../flow-texts.js";
import { quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { japanDate } from "../japan-time.js";
import { postbackData } from "../postback-data.js";
import { answersQuestion, parseAnswer, type Question } from "./survey-answers.js";

// Answering a survey in LINE: the open surveys as buttons (or one opened by its link,
// 「/survey <slug>」), then question by question: single choice and 1–5 scales as quick replies,
// multiple choice by toggling buttons (or typing 「1,3」), free text. One submission per resident
// per survey: answering again replaces the earlier one, after asking. Answers are saved together
// when the last question is answered.
const FLOW = "survey";
const QUICK_REPLY_LIMIT = 13;

interface SurveyDraft {
  survey_id: string;
  // The question being asked, so that typed text can be checked without a query.
  current?: Question;
  answers: Record<string, unknown>;
  picked?: number[];
  replacing?: boolean;
}

export function surveyFlow(texts: SurveyTexts, botTexts: BotTexts): Flow {
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
    async fromIntent(context) {
      return listOpen(context.trx);
    },
    async start(context) {
      return listOpen(context.trx);
    },
    async handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
      if (input.kind === "postback") {
        const { action, argument } = input.postback;
        if (action === "open") return open(context, argument, false);
        if (action === "redo") return open(context, argument, true);
        if (action === "keep") return { messages: [textWithMenu(texts.kept, botTexts)], state: null };
      }
      const draft = state.data as unknown as SurveyDraft;
      const position = Number(/^q(\d+)$/.exec(state.step)?.[1]);
      if (!draft.survey_id || !Number.isInteger(position)) return listOpen(context.trx);
      const questions = await questionsOf(context.trx, draft.survey_id);
      const question = questions.find((candidate) => candidate.position === position);
      if (!question) return listOpen(context.trx);
      const outcome = parseAnswer(question, input, draft.picked ?? []);
      switch (outcome.kind) {
        case "invalid":
          return ask(question, questions.length, { ...draft }, texts.invalid);
        case "picking":
          return ask(question, questions.length, { ...draft, picked: outcome.picked }, outcome.note === "required" ? texts.multiple_required : null);
        case "answer": {
          const answers = { ...draft.answers, [String(question.id)]: outcome.value };
          const next = questions.find((candidate) => candidate.position > position);
          if (next) return ask(next, questions.length, { survey_id: draft.survey_id, answers, replacing: draft.replacing ?? false }, null);
          return submit(context, { ...draft, answers }, questions);
        }
      }
    },
  };

  async function listOpen(trx: Transaction<Database>): Promise<FlowOutcome> {
    const open = await trx.selectFrom("surveys").select(["slug", "title"]).where("status", "=", "open").where("audience", "=", "all").orderBy("id").limit(QUICK_REPLY_LIMIT).execute();
    if (open.length === 0) return { messages: [textWithMenu(texts.none, botTexts)], state: null };
    return {
      messages: [quickReplyText([texts.list, ...open.map((survey) => `・${survey.title}`)].join("\n"), open.map((survey) => ({ label: survey.title.slice(0, 20), data: postbackData(FLOW, "open", survey.slug) })))],
      state: null,
    };
  }

  async function open(context: FlowContext, slug: string, replace: boolean): Promise<FlowOutcome> {
    const survey = await context.trx.selectFrom("surveys").select(["id", "title", "description", "status"]).where("slug", "=", slug).executeTakeFirst();
    if (!survey || survey.status !== "open") return { messages: [textWithMenu(texts.not_open, botTexts)], state: null };
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
    const first = ask(questions[0]!, questions.length, { survey_id: survey.id, answers: {}, replacing: previous !== undefined }, null);
    return { messages: [{ type: "text", text: intro }, ...first.messages], state: first.state };
  }

  function ask(question: Question, count: number, draft: SurveyDraft, note: string | null): FlowOutcome {
    const heading = `${texts.progress.replace("{number}", String(question.position)).replace("{count}", String(count))}\n${question.prompt}`;
    const state = { step: `q${question.position}`, data: { ...draft, current: question } as unknown as Record<string, unknown> };
    const lead = note ? `${note}\n\n` : "";
    const choice = (label: string, index: number) => ({ label: label.slice(0, 20), data: postbackData(FLOW, "choose", `${question.position}:${index}`) });
    let message: messagingApi.Message;
    switch (question.kind) {
      case "single":
      case "scale":
        message = quickReplyText(
          `${lead}${heading}\n${question.kind === "scale" ? texts.scale_hint : texts.single_hint}`,
          question.options.slice(0, QUICK_REPLY_LIMIT).map(choice),
        );
        break;
      case "multiple": {
        const picked = draft.picked ?? [];
        const selected = picked.length > 0 ? `\n${texts.multiple_selected.replace("{selected}", picked.map((index) => question.options[index]).join("、"))}` : "";
        const numbered = question.options.map((option, index) => `${index + 1}. ${option}`).join("\n");
        message = quickReplyText(`${lead}${heading}\n${numbered}\n${texts.multiple_hint}${selected}`, [
          ...question.options.slice(0, QUICK_REPLY_LIMIT - 1).map((option, index) => ({
            label: `${picked.includes(index) ? "✓ " : ""}${option}`.slice(0, 20),
            data: postbackData(FLOW, "toggle", `${question.position}:${index}`),
          })),
          { label: texts.multiple_done, data: postbackData(FLOW, "done", String(question.position)) },
        ]);
        break;
      }
      case "text":
        message = question.required
          ? { type: "text", text: `${lead}${heading}\n${texts.text_hint}` }
          : quickReplyText(`${lead}${heading}\n${texts.text_hint}`, [{ label: texts.skip, data: postbackData(FLOW, "skip", String(question.position)) }]);
        break;
    }
    return { messages: [message], state };
  }

  async function submit(context: FlowContext, draft: SurveyDraft, questions: Question[]): Promise<FlowOutcome> {
    const survey = await context.trx.selectFrom("surveys").select("status").where("id", "=", draft.survey_id).executeTakeFirst();
    if (survey?.status !== "open") return { messages: [textWithMenu(texts.not_open, botTexts)], state: null };
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
    return { messages: [textWithMenu(text, botTexts)], state: null };
  }
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
