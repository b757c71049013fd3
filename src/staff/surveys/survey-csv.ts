import { csvDocument } from "../exports/csv.js";
import { dateTime } from "../views.js";
import type { StoredQuestion } from "./survey-results.js";

// The answers CSV: one row per response, with its submission time in Japan time, an anonymous
// respondent number (never the LINE user id) and one column per question. Multiple choices are
// joined with 「、」; an unanswered question is an empty cell.
export function answersCsv(
  questions: StoredQuestion[],
  responses: { number: number; submittedAt: Date; answers: Map<string, unknown> }[],
): string {
  return csvDocument(
    ["回答者番号", "回答日時", ...questions.map((question) => `Q${question.position} ${question.prompt}`)],
    responses.map((response) => [
      response.number,
      dateTime(response.submittedAt),
      ...questions.map((question) => cell(response.answers.get(String(question.id)))),
    ]),
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(String).join("、");
  return String(value);
}
