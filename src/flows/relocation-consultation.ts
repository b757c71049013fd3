import { fiscalYearOf } from "../intents/entities.js";
import { nextInquiryReference } from "../store/conversations.js";
import type { RelocationTexts } from "./flow-texts.js";
import { confirmQuestion, quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "./flow.js";
import { postbackData } from "./postback-data.js";

// 移住相談 form: topic → household → where they live now → how to contact them (phone or e-mail,
// validated, or this LINE) → free text → confirm → an inquiry for 商工観光課 with a reference number.
const FLOW = "relocation";
type ChoiceStep = "topic" | "household" | "contact_method";

export function relocationConsultationFlow(texts: RelocationTexts): Flow {
  const ask = (step: string, data: Record<string, unknown>): FlowOutcome => {
    if (step === "topic" || step === "household" || step === "contact_method") {
      const question = texts[step];
      return {
        messages: [quickReplyText(question.prompt, question.choices.map((choice, index) => ({ label: choice, data: postbackData(FLOW, "choose", `${step}:${index}`) })))],
        state: { step, data },
      };
    }
    if (step === "confirm") {
      const labels = texts.confirm.labels;
      const summary = [
        `${labels.topic}：${data.topic}`,
        `${labels.household}：${data.household}`,
        `${labels.residence}：${data.residence}`,
        `${labels.contact}：${data.contact_method}${data.contact ? `（${data.contact}）` : ""}`,
        `${labels.details}：${data.details}`,
      ];
      return {
        messages: [confirmQuestion(texts.confirm, summary, { send: postbackData(FLOW, "send"), restart: postbackData(FLOW, "restart") })],
        state: { step, data },
      };
    }
    const prompt = step === "residence" ? texts.residence.prompt : step === "phone" ? texts.phone.prompt : step === "email" ? texts.email.prompt : texts.details.prompt;
    return { messages: [{ type: "text", text: prompt }], state: { step, data } };
  };

  const afterChoice = (step: ChoiceStep, choice: string, data: Record<string, unknown>): FlowOutcome => {
    if (step === "topic") return ask("household", { ...data, topic: choice });
    if (step === "household") return ask("residence", { ...data, household: choice });
    const method = texts.contact_method.choices.indexOf(choice);
    const next = method === 0 ? "phone" : method === 1 ? "email" : "details";
    return ask(next, { ...data, contact_method: choice });
  };

  return {
    name: FLOW,
    title: "移住のご相談",
    procedures: ["移住相談の申し込み"],
    recognizes: (step, text) => (isChoiceStep(step) ? texts[step].choices.includes(text.trim()) : true),
    // The free text is the consultation itself: questions on moving and on housing are its content.
    freeText: (step) =>
      step === "details" ? { asks: "message", topics: ["vacant_house"] } : step === "residence" || step === "phone" || step === "email" ? { asks: "fact" } : null,
    async start() {
      const first = ask("topic", {});
      return { messages: [{ type: "text", text: texts.intro }, ...first.messages], state: first.state };
    },
    async handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
      const { step, data } = state;
      if (input.kind === "postback") {
        const { action, argument } = input.postback;
        if (action === "restart") return ask("topic", {});
        if (action === "send" && step === "confirm") return submit(context, data);
        const [choiceStep, index] = argument.split(":");
        if (action === "choose" && choiceStep === step && isChoiceStep(step)) {
          const choice = texts[step].choices[Number(index)];
          if (choice !== undefined) return afterChoice(step, choice, data);
        }
        return ask(step, data);
      }
      if (input.kind !== "text") return ask(step, data);
      const text = input.text.trim();
      if (isChoiceStep(step)) {
        const choice = texts[step].choices.find((candidate) => candidate === text);
        return choice ? afterChoice(step, choice, data) : ask(step, data);
      }
      switch (step) {
        case "residence":
          return ask("contact_method", { ...data, residence: text.slice(0, 100) });
        case "phone": {
          const phone = validPhone(text);
          return phone ? ask("details", { ...data, contact: phone }) : { messages: [{ type: "text", text: texts.phone.invalid }], state };
        }
        case "email": {
          const email = validEmail(text);
          return email ? ask("details", { ...data, contact: email }) : { messages: [{ type: "text", text: texts.email.invalid }], state };
        }
        case "details":
          return ask("confirm", { ...data, details: text.slice(0, 2000) });
        default:
          return ask(step, data);
      }
    },
  };

  async function submit(context: FlowContext, data: Record<string, unknown>): Promise<FlowOutcome> {
    const reference = await nextInquiryReference(context.trx, fiscalYearOf(context.at));
    await context.trx
      .insertInto("inquiries")
      .values({
        reference_no: reference,
        user_id: context.userId,
        thread_id: context.thread,
        category: "relocation",
        department: texts.department,
        subject: String(data.topic ?? ""),
        details: JSON.stringify(data),
        created_at: context.at,
        updated_at: context.at,
      })
      .execute();
    return { messages: [{ type: "text", text: texts.done.replace("{reference}", reference) }], state: null };
  }

  function isChoiceStep(step: string): step is ChoiceStep {
    return step === "topic" || step === "household" || step === "contact_method";
  }
}

// Japanese phone numbers: 10 digits (landline) or 11 (mobile, IP), starting with 0.
export function validPhone(text: string): string | null {
  const digits = text.normalize("NFKC").replace(/[\s\-‐－ー()（）]/g, "");
  return /^0\d{9,10}$/.test(digits) ? digits : null;
}

export function validEmail(text: string): string | null {
  const email = text.normalize("NFKC").trim();
  return email.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}
