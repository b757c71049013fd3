import type { Kysely } from "kysely";
import type { Database } from "./database.js";
import type { QuestionKind } from "./tables/surveys.js";

export interface QuestionToStore {
  kind: QuestionKind;
  prompt: string;
  options: string[];
  required: boolean;
}

// Writes a survey's questions in order (position 1, 2, …): from seeds/surveys and from the console's form.
export async function insertSurveyQuestions(db: Kysely<Database>, surveyId: string, questions: QuestionToStore[]): Promise<void> {
  if (questions.length === 0) return;
  await db
    .insertInto("survey_questions")
    .values(
      questions.map((question, index) => ({
        survey_id: surveyId,
        position: index + 1,
        kind: question.kind,
        prompt: question.prompt,
        options: JSON.stringify(question.options),
        required: question.required,
      })),
    )
    .execute();
}
