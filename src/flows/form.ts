import type { messagingApi } from "@line/bot-sdk";
import { postbackData } from "../line/postback-data.js";
import { confirmQuestion, quickReplyText, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "./flow.js";
import { validEmail, validPhone } from "./form-validators.js";
import type { FreeTextStep } from "./free-text-question.js";

// A short form inside a flow: fields asked one by one (choices as quick replies, free text, a
// checked phone number or e-mail), then a summary to confirm, then `submit`. The steps of a form
// are named "<form>.<field>" and "<form>.confirm", so one flow can hold several forms.
// A prompt can depend on what the form was opened with (the session's date, say). A free-text
// field says what it asks for (`about`, a fact unless said otherwise); phone and e-mail are facts.
type Prompt = string | ((data: FormData) => string);

interface FieldBase {
  key: string;
  prompt: Prompt;
  when?: (data: FormData) => boolean;
  // Where the answer is kept in the form's data, when not under `key` (two fields that ask for
  // one thing: a phone number or an e-mail as "the contact").
  saveAs?: string;
}

export type FormField =
  | (FieldBase & { kind: "choice"; choices: readonly string[] })
  | (FieldBase & { kind: "text"; maxLength: number; skip?: string; about?: FreeTextStep })
  | (FieldBase & { kind: "phone" | "email"; invalid: string });

export type FormData = Record<string, unknown>;

export interface FormSpec {
  flow: string;
  name: string;
  // The flow's only form, named as it was before forms were shared (the relocation consultation):
  // its steps are the field keys and "confirm", its buttons' actions "choose", "send", "restart"
  // and "skip". Drafts saved and buttons sent under those names keep working.
  bareNames?: boolean;
  fields: readonly FormField[];
  confirm: { prompt: string; send: string; restart: string };
  summary(data: FormData): string[];
  submit(context: FlowContext, data: FormData): Promise<FlowOutcome>;
}

const stepPrefix = (spec: FormSpec) => (spec.bareNames ? "" : `${spec.name}.`);
const action = (spec: FormSpec, name: "choose" | "send" | "restart" | "skip") => (spec.bareNames ? name : `form_${name}`);

export function isFormStep(spec: FormSpec, step: string): boolean {
  return step.startsWith(stepPrefix(spec));
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
  if (input.kind === "postback") return onFormPostback(spec, context, state, input.postback);
  if (input.kind !== "text") return askStep(spec, state.step, state.data);
  return onFormText(spec, state, input.text.trim());
}

// A tap: a choice, 「送信する」, 「最初から」 or the skip button of the step; any other (a button
// from an older message) asks the step again.
function onFormPostback(spec: FormSpec, context: FlowContext, state: FlowState, postback: { action: string; argument: string }): Promise<FlowOutcome> | FlowOutcome {
  const { step, data } = state;
  const field = fieldOf(spec, step);
  if (postback.action === action(spec, "send") && step === `${stepPrefix(spec)}confirm`) return spec.submit(context, data);
  if (postback.action === action(spec, "restart")) return askNext(spec, pick(data, "_"));
  if (postback.action === action(spec, "choose") && field?.kind === "choice") {
    const [key, index] = postback.argument.split(":");
    const choice = field.choices[Number(index)];
    if (key === field.key && choice !== undefined) return answered(spec, data, field, choice);
  }
  if (postback.action === action(spec, "skip") && field?.kind === "text" && field.skip) return answered(spec, data, field, null);
  return askStep(spec, step, data);
}

function onFormText(spec: FormSpec, state: FlowState, text: string): FlowOutcome {
  const { step, data } = state;
  const field = fieldOf(spec, step);
  if (!field) return confirm(spec, data);
  switch (field.kind) {
    case "choice": {
      const choice = field.choices.find((candidate) => candidate === text);
      return choice ? answered(spec, data, field, choice) : ask(spec, field, data);
    }
    case "text":
      if (field.skip && text === field.skip) return answered(spec, data, field, null);
      return answered(spec, data, field, text.slice(0, field.maxLength));
    case "phone":
    case "email": {
      const value = field.kind === "phone" ? validPhone(text) : validEmail(text);
      if (!value) return { messages: [{ type: "text", text: field.invalid }], state };
      return answered(spec, data, field, value);
    }
  }
}

function answered(spec: FormSpec, data: FormData, field: FormField, value: unknown): FlowOutcome {
  return askNext(spec, { ...data, [field.saveAs ?? field.key]: value }, field.key);
}

function ask(spec: FormSpec, field: FormField, data: FormData): FlowOutcome {
  const state = { step: `${stepPrefix(spec)}${field.key}`, data };
  const prompt = typeof field.prompt === "function" ? field.prompt(data) : field.prompt;
  let message: messagingApi.Message;
  if (field.kind === "choice") {
    message = quickReplyText(
      prompt,
      field.choices.map((choice, index) => ({ label: choice, data: postbackData(spec.flow, action(spec, "choose"), `${field.key}:${index}`) })),
    );
  } else if (field.kind === "text" && field.skip) {
    message = quickReplyText(prompt, [{ label: field.skip, data: postbackData(spec.flow, action(spec, "skip")) }]);
  } else {
    message = { type: "text", text: prompt };
  }
  return { messages: [message], state };
}

function confirm(spec: FormSpec, data: FormData): FlowOutcome {
  const buttons = { send: postbackData(spec.flow, action(spec, "send")), restart: postbackData(spec.flow, action(spec, "restart")) };
  return {
    messages: [confirmQuestion(spec.confirm, spec.summary(data), buttons)],
    state: { step: `${stepPrefix(spec)}confirm`, data },
  };
}

function fieldOf(spec: FormSpec, step: string): FormField | undefined {
  const key = step.slice(stepPrefix(spec).length);
  return isFormStep(spec, step) ? spec.fields.find((field) => field.key === key) : undefined;
}

// Keeps the entries whose key starts with the prefix: what the form was opened with (a listing's
// code, say), which a restart must not forget.
function pick(data: FormData, prefix: string): FormData {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key.startsWith(prefix)));
}
