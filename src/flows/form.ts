import type { messagingApi } from "@line/bot-sdk";
import { confirmQuestion, quickReplyText, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "./flow.js";
import type { FreeTextStep } from "./free-text-question.js";
import { postbackData } from "./postback-data.js";
import { validEmail, validPhone } from "./relocation-consultation.js";

// A short form inside a flow: fields asked one by one (choices as quick replies, free text, a
// checked phone number or e-mail), then a summary to confirm, then `submit`. The steps of a form
// are named "<form>.<field>" and "<form>.confirm", so one flow can hold several forms.
// A prompt can depend on what the form was opened with (the session's date, say). A free-text
// field says what it asks for (`about`, a fact unless said otherwise); phone and e-mail are facts.
type Prompt = string | ((data: FormData) => string);

export type FormField =
  | { key: string; kind: "choice"; prompt: Prompt; choices: readonly string[]; when?: (data: FormData) => boolean }
  | { key: string; kind: "text"; prompt: Prompt; maxLength: number; skip?: string; about?: FreeTextStep; when?: (data: FormData) => boolean }
  | { key: string; kind: "phone" | "email"; prompt: Prompt; invalid: string; when?: (data: FormData) => boolean };

export type FormData = Record<string, unknown>;

export interface FormSpec {
  flow: string;
  name: string;
  fields: readonly FormField[];
  confirm: { prompt: string; send: string; restart: string };
  summary(data: FormData): string[];
  submit(context: FlowContext, data: FormData): Promise<FlowOutcome>;
}

export function isFormStep(spec: FormSpec, step: string): boolean {
  return step.startsWith(`${spec.name}.`);
}

// The first question of the form (or the next one after `after`), with what is known so far.
export function askNext(spec: FormSpec, data: FormData, after?: string): FlowOutcome {
  const from = after === undefined ? 0 : spec.fields.findIndex((field) => field.key === after) + 1;
  const next = spec.fields.slice(from).find((field) => !field.when || field.when(data));
  return next ? ask(spec, next, data) : confirm(spec, data);
}

export function askStep(spec: FormSpec, step: string, data: FormData): FlowOutcome {
  const field = fieldOf(spec, step);
  return field ? ask(spec, field, data) : confirm(spec, data);
}

// Whether typed text answers this step: one of the choices at a choice step, anything elsewhere.
export function formRecognizes(spec: FormSpec, step: string, text: string): boolean {
  const field = fieldOf(spec, step);
  if (!field) return false;
  return field.kind !== "choice" || field.choices.includes(text.trim());
}

// What a step that takes free text asks for (Flow.freeText); null at a choice step or the summary.
export function formFreeText(spec: FormSpec, step: string): FreeTextStep | null {
  const field = fieldOf(spec, step);
  if (!field || field.kind === "choice") return null;
  return field.kind === "text" ? (field.about ?? { asks: "fact" }) : { asks: "fact" };
}

export async function handleForm(spec: FormSpec, context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
  const { step, data } = state;
  const field = fieldOf(spec, step);
  if (input.kind === "postback") {
    const { action, argument } = input.postback;
    if (action === "form_send" && step === `${spec.name}.confirm`) return spec.submit(context, data);
    if (action === "form_restart") return askNext(spec, pick(data, "_"));
    if (action === "form_choose" && field?.kind === "choice") {
      const [key, index] = argument.split(":");
      const choice = field.choices[Number(index)];
      if (key === field.key && choice !== undefined) return askNext(spec, { ...data, [field.key]: choice }, field.key);
    }
    if (action === "form_skip" && field?.kind === "text" && field.skip) return askNext(spec, { ...data, [field.key]: null }, field.key);
    return askStep(spec, step, data);
  }
  if (input.kind !== "text") return askStep(spec, step, data);
  const text = input.text.trim();
  if (!field) return confirm(spec, data);
  switch (field.kind) {
    case "choice": {
      const choice = field.choices.find((candidate) => candidate === text);
      return choice ? askNext(spec, { ...data, [field.key]: choice }, field.key) : ask(spec, field, data);
    }
    case "text":
      if (field.skip && text === field.skip) return askNext(spec, { ...data, [field.key]: null }, field.key);
      return askNext(spec, { ...data, [field.key]: text.slice(0, field.maxLength) }, field.key);
    case "phone":
    case "email": {
      const value = field.kind === "phone" ? validPhone(text) : validEmail(text);
      if (!value) return { messages: [{ type: "text", text: field.invalid }], state };
      return askNext(spec, { ...data, [field.key]: value }, field.key);
    }
  }
}

function ask(spec: FormSpec, field: FormField, data: FormData): FlowOutcome {
  const state = { step: `${spec.name}.${field.key}`, data };
  const prompt = typeof field.prompt === "function" ? field.prompt(data) : field.prompt;
  let message: messagingApi.Message;
  if (field.kind === "choice") {
    message = quickReplyText(
      prompt,
      field.choices.map((choice, index) => ({ label: choice, data: postbackData(spec.flow, "form_choose", `${field.key}:${index}`) })),
    );
  } else if (field.kind === "text" && field.skip) {
    message = quickReplyText(prompt, [{ label: field.skip, data: postbackData(spec.flow, "form_skip") }]);
  } else {
    message = { type: "text", text: prompt };
  }
  return { messages: [message], state };
}

function confirm(spec: FormSpec, data: FormData): FlowOutcome {
  return {
    messages: [confirmQuestion(spec.confirm, spec.summary(data), { send: postbackData(spec.flow, "form_send"), restart: postbackData(spec.flow, "form_restart") })],
    state: { step: `${spec.name}.confirm`, data },
  };
}

function fieldOf(spec: FormSpec, step: string): FormField | undefined {
  const key = step.slice(spec.name.length + 1);
  return isFormStep(spec, step) ? spec.fields.find((field) => field.key === key) : undefined;
}

// Keeps the entries whose key starts with the prefix: what the form was opened with (a listing's
// code, say), which a restart must not forget.
function pick(data: FormData, prefix: string): FormData {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key.startsWith(prefix)));
}
