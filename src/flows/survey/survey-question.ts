import type { messagingApi } from "@line/bot-sdk";
import { postbackData } from "../../line/postback-data.js";
import type { FlowOutcome } from "../flow.js";
import { quickReplyText } from "../flow.js";
import type { SurveyTexts } from "../flow-texts.js";
import type { Question } from "./survey-answers.js";

// One survey question as a LINE message: single choice and 1–5 scales as quick replies, multiple
// choice as buttons to tick (typing 「1,3」 works too), free text with a skip button when optional.
// Pure: the question and the draft in, the message and the step to wait at out.
export const FLOW = "survey";
export const QUICK_REPLY_LIMIT = 13;

export interface SurveyDraft {
  survey_id: string;
  // The question being asked, so that typed text can be checked without a query.
  current?: Question;
  answers: Record<string, unknown>;
  picked?: number[];
  replacing?: boolean;
}

// `note` goes before the question (「もう一度お選びください」).
export function askQuestion(texts: SurveyTexts, question: Question, count: number, draft: SurveyDraft, note: string | null): FlowOutcome {
  const heading = `${texts.progress.replace("{number}", String(question.position)).replace("{count}", String(count))}\n${question.prompt}`;
  const state = { step: `q${question.position}`, data: { ...draft, current: question } as unknown as Record<string, unknown> };
  const lead = note ? `${note}\n\n` : "";
  return { messages: [questionMessage(texts, question, draft.picked ?? [], `${lead}${heading}`)], state };
}

function questionMessage(texts: SurveyTexts, question: Question, picked: number[], heading: string): messagingApi.Message {
  const choice = (label: string, index: number) => ({ label: label.slice(0, 20), data: postbackData(FLOW, "choose", `${question.position}:${index}`) });
  switch (question.kind) {
    case "single":
    case "scale":
      return quickReplyText(`${heading}\n${question.kind === "scale" ? texts.scale_hint : texts.single_hint}`, question.options.slice(0, QUICK_REPLY_LIMIT).map(choice));
    case "multiple":
      return multipleChoice(texts, question, picked, heading);
    case "text":
      return question.required
        ? { type: "text", text: `${heading}\n${texts.text_hint}` }
        : quickReplyText(`${heading}\n${texts.text_hint}`, [{ label: texts.skip, data: postbackData(FLOW, "skip", String(question.position)) }]);
  }
}

function multipleChoice(texts: SurveyTexts, question: Question, picked: number[], heading: string): messagingApi.TextMessage {
  const selected = picked.length > 0 ? `\n${texts.multiple_selected.replace("{selected}", picked.map((index) => question.options[index]).join("、"))}` : "";
  const numbered = question.options.map((option, index) => `${index + 1}. ${option}`).join("\n");
  return quickReplyText(`${heading}\n${numbered}\n${texts.multiple_hint}${selected}`, [
    ...question.options.slice(0, QUICK_REPLY_LIMIT - 1).map((option, index) => ({
      label: `${picked.includes(index) ? "✓ " : ""}${option}`.slice(0, 20),
      data: postbackData(FLOW, "toggle", `${question.position}:${index}`),
    })),
    { label: texts.multiple_done, data: postbackData(FLOW, "done", String(question.position)) },
  ]);
}
