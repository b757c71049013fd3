import type { ColumnType, Generated, JSONColumnType } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export type SurveyStatus = "draft" | "open" | "closed";

export type QuestionKind = "single" | "multiple" | "scale" | "text";

export interface SurveysTable {
  id: Generated<string>;
  slug: string;
  title: string;
  description: string | null;
  department: string | null;
  status: ColumnType<SurveyStatus, SurveyStatus | undefined, SurveyStatus>;
  audience: ColumnType<"all" | "link", "all" | "link" | undefined, "all" | "link">;
  opens_at: NullableTimestamp;
  closes_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SurveyQuestionsTable {
  id: Generated<string>;
  survey_id: string;
  position: number;
  kind: QuestionKind;
  prompt: string;
  options: JSONColumnType<string[], string | undefined, string>;
  required: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface SurveyResponsesTable {
  id: Generated<string>;
  survey_id: string;
  user_id: string;
  submitted_at: Timestamp;
  // When the retention job removed the free-text answers (migration 0019).
  free_text_removed_at: NullableTimestamp;
}

export interface SurveyAnswersTable {
  response_id: string;
  question_id: string;
  value: ColumnType<unknown, string, string>;
}
