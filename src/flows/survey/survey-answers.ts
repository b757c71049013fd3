import type { QuestionKind } from "../../store/tables/surveys.js";
import type { FlowInput } from "../flow.js";

// Reading one answer to one survey question from a tap or from typed text. Pure.
export interface Question {
  id: string;
  position: number;
  kind: QuestionKind;
  prompt: string;
  options: string[];
  required: boolean;
}

export type AnswerOutcome =
  // The question is answered: single → the option, multiple → the options, scale → 1..5, text → text or null.
  | { kind: "answer"; value: string | string[] | number | null }
  // Still choosing (multiple choice); `note` asks for at least one choice.
  | { kind: "picking"; picked: number[]; note?: "required" }
  | { kind: "invalid" };

type AnswerInput = { kind: "text"; text: string } | Extract<FlowInput, { kind: "postback" }> | { kind: "location" | "image" };

export function parseAnswer(question: Question, input: AnswerInput, picked: number[]): AnswerOutcome {
  if (input.kind === "postback") {
    const { action, argument } = input.postback;
    const [position, index] = argument.split(":").map(Number);
    if (position !== question.position) return { kind: "invalid" };
    if (action === "choose" && (question.kind === "single" || question.kind === "scale")) return chosen(question, index!);
    if (action === "toggle" && question.kind === "multiple" && question.options[index!] !== undefined) {
      const next = picked.includes(index!) ? picked.filter((value) => value !== index) : [...picked, index!].sort((a, b) => a - b);
      return { kind: "picking", picked: next };
    }
    if (action === "done" && question.kind === "multiple") {
      if (picked.length === 0 && question.required) return { kind: "picking", picked, note: "required" };
      return { kind: "answer", value: picked.map((value) => question.options[value]!) };
    }
    if (action === "skip" && question.kind === "text" && !question.required) return { kind: "answer", value: null };
    return { kind: "invalid" };
  }
  if (input.kind !== "text") return { kind: "invalid" };
  const text = input.text.normalize("NFKC").trim();
  switch (question.kind) {
    case "text":
      return text.length > 0 ? { kind: "answer", value: input.text.trim().slice(0, 2000) } : { kind: "invalid" };
    case "single":
    case "scale": {
      const index = optionIndex(question, text);
      return index === null ? { kind: "invalid" } : chosen(question, index);
    }
    case "multiple": {
      const parts = text.split(/[、,，\s・]+/).filter(Boolean);
      const indexes = parts.map((part) => optionIndex(question, part));
      if (parts.length === 0 || indexes.some((index) => index === null)) return { kind: "invalid" };
      return { kind: "answer", value: [...new Set(indexes as number[])].sort((a, b) => a - b).map((index) => question.options[index]!) };
    }
  }
}

// Whether typed text answers the question (any text answers a free-text question).
export function answersQuestion(question: Question, text: string): boolean {
  return parseAnswer(question, { kind: "text", text }, []).kind === "answer";
}

function chosen(question: Question, index: number): AnswerOutcome {
  const option = question.options[index];
  if (option === undefined) return { kind: "invalid" };
  return { kind: "answer", value: question.kind === "scale" ? Number(option) : option };
}

// 「今くらいでよい」, or its number in the list (「2」), or for a scale the number itself.
function optionIndex(question: Question, text: string): number | null {
  const exact = question.options.findIndex((option) => option.normalize("NFKC") === text);
  if (exact >= 0) return exact;
  const number = /^(\d{1,2})(番|ばん)?$/.exec(text);
  if (!number) return null;
  const index = Number(number[1]) - 1;
  return index >= 0 && index < question.options.length ? index : null;
}
