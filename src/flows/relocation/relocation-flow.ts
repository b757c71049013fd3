import { fiscalYearOf } from "../../japan-time.js";
import { recordInquiry } from "../../store/cases.js";
import type { RelocationTexts } from "../flow-texts.js";
import type { Flow, FlowContext, FlowOutcome } from "../flow.js";
import { askNext, formFreeText, formRecognizes, handleForm, isFormStep, type FormData, type FormSpec } from "../form.js";

// 移住相談 form: topic → household → where they live now → how to contact them (phone or e-mail,
// validated, or this LINE) → free text → confirm → an inquiry for 商工観光課 with a reference number.
const FLOW = "relocation";

export function relocationConsultationFlow(texts: RelocationTexts): Flow {
  const form = relocationForm(texts);
  return {
    name: FLOW,
    title: "移住のご相談",
    procedures: ["移住相談の申し込み"],
    // Any text answers a step but a choice; at the summary it shows the summary again.
    recognizes: (step, text) => !isChoiceStep(form, step) || formRecognizes(form, step, text),
    freeText: (step) => formFreeText(form, step),
    start: async () => startConsultation(texts, form),
    handle: (context, state, input) => handleForm(form, context, state, input),
  };
}

// The form's steps are named as before forms were shared ("topic" … "confirm"; buttons
// "choose", "send", "restart"): drafts and buttons sent before keep working.
export function relocationForm(texts: RelocationTexts): FormSpec {
  const [phone, email] = texts.contact_method.choices;
  return {
    flow: FLOW,
    name: FLOW,
    bareNames: true,
    fields: [
      { key: "topic", kind: "choice", prompt: texts.topic.prompt, choices: texts.topic.choices },
      { key: "household", kind: "choice", prompt: texts.household.prompt, choices: texts.household.choices },
      { key: "residence", kind: "text", prompt: texts.residence.prompt, maxLength: 100 },
      { key: "contact_method", kind: "choice", prompt: texts.contact_method.prompt, choices: texts.contact_method.choices },
      // The first choice is a phone call, the second an e-mail; any other is this LINE.
      { key: "phone", kind: "phone", prompt: texts.phone.prompt, invalid: texts.phone.invalid, saveAs: "contact", when: (data) => data.contact_method === phone },
      { key: "email", kind: "email", prompt: texts.email.prompt, invalid: texts.email.invalid, saveAs: "contact", when: (data) => data.contact_method === email },
      // The free text is the consultation itself: questions on moving and on housing are its content.
      { key: "details", kind: "text", prompt: texts.details.prompt, maxLength: 2000, about: { asks: "message", topics: ["vacant_house"] } },
    ],
    confirm: texts.confirm,
    summary: (data) => consultationSummary(texts, data),
    submit: (context, data) => recordConsultation(texts, context, data),
  };
}

function startConsultation(texts: RelocationTexts, form: FormSpec): FlowOutcome {
  const first = askNext(form, {});
  return { messages: [{ type: "text", text: texts.intro }, ...first.messages], state: first.state };
}

function consultationSummary(texts: RelocationTexts, data: FormData): string[] {
  const labels = texts.confirm.labels;
  return [
    `${labels.topic}：${data.topic}`,
    `${labels.household}：${data.household}`,
    `${labels.residence}：${data.residence}`,
    `${labels.contact}：${data.contact_method}${data.contact ? `（${data.contact}）` : ""}`,
    `${labels.details}：${data.details}`,
  ];
}

async function recordConsultation(texts: RelocationTexts, context: FlowContext, data: FormData): Promise<FlowOutcome> {
  const reference = await recordInquiry(context.trx, {
    userId: context.userId,
    thread: context.thread,
    category: "relocation",
    department: texts.department,
    subject: String(data.topic ?? ""),
    details: data,
    at: context.at,
    fiscalYear: fiscalYearOf(context.at),
  });
  return { messages: [{ type: "text", text: texts.done.replace("{reference}", reference) }], state: null };
}

function isChoiceStep(form: FormSpec, step: string): boolean {
  return form.fields.some((field) => field.kind === "choice" && isFormStep(form, step) && field.key === step);
}
