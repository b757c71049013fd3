import type { Question } from "../../flows/survey/survey-answers.js";

// Per-question results from stored answers. Pure: the rows come from survey-queries.
// A question as stored: the same shape the residents' survey flow reads.
export type StoredQuestion = Question;

export interface OptionCount {
  label: string;
  count: number;
  // count / answered, 0..1; null when nobody answered the question.
  share: number | null;
}

export type QuestionResult =
  | { question: StoredQuestion; kind: "single" | "multiple"; answered: number; counts: OptionCount[] }
  | { question: StoredQuestion; kind: "scale"; answered: number; counts: OptionCount[]; mean: number | null }
  | { question: StoredQuestion; kind: "text"; answered: number; latest: { text: string; at: Date }[] };

// Counts per option, in the question's order. A value that is not (or no longer) one of the
// options still counts, after them, so that no answer disappears from the totals.
export function countChoices(question: StoredQuestion, values: unknown[]): { answered: number; counts: OptionCount[] } {
  const counts = new Map<string, number>(question.options.map((option) => [option, 0]));
  let answered = 0;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    answered += 1;
    const picked = Array.isArray(value) ? value : [value];
    for (const item of new Set(picked.map((entry) => String(entry)))) counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  return {
    answered,
    counts: [...counts].map(([label, count]) => ({ label, count, share: answered > 0 ? count / answered : null })),
  };
}

export function scaleMean(values: unknown[]): number | null {
  const numbers = values.map(Number).filter((value) => Number.isFinite(value));
  return numbers.length > 0 ? numbers.reduce((sum, value) => sum + value, 0) / numbers.length : null;
}

export function summarize(
  questions: StoredQuestion[],
  choiceAnswers: { question_id: string; value: unknown }[],
  texts: Map<string, { answered: number; latest: { text: string; at: Date }[] }>,
): QuestionResult[] {
  const byQuestion = new Map<string, unknown[]>();
  for (const answer of choiceAnswers) {
    const list = byQuestion.get(String(answer.question_id)) ?? [];
    list.push(answer.value);
    byQuestion.set(String(answer.question_id), list);
  }
  return questions.map((question): QuestionResult => {
    const values = byQuestion.get(String(question.id)) ?? [];
    switch (question.kind) {
      case "text": {
        const summary = texts.get(String(question.id)) ?? { answered: 0, latest: [] };
        return { question, kind: "text", ...summary };
      }
      case "scale":
        return { question, kind: "scale", ...countChoices(question, values), mean: scaleMean(values.filter((value) => value !== null)) };
      default:
        return { question, kind: question.kind, ...countChoices(question, values) };
    }
  });
}

// 「42.9%」; 「—」 when there is nothing to divide.
export function percent(share: number | null): string {
  return share === null ? "—" : `${(Math.round(share * 1000) / 10).toFixed(1)}%`;
}
