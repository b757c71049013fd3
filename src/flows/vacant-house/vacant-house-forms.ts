import { fiscalYearOf } from "../../japan-time.js";
import { recordInquiry } from "../../store/cases.js";
import type { VacantHouseTexts } from "../flow-texts.js";
import type { FlowContext, FlowOutcome } from "../flow.js";
import type { FormData, FormSpec } from "../form.js";
import type { FreeTextStep } from "../free-text-question.js";

// The two forms of the 空き家バンク flow: an inquiry on one listing, and an owner's request to
// register a house. Both end in an inquiry for 地域コミュニティ課.
export const FLOW = "vacant_house";

// The questions and wishes a resident writes about a house: on the house, or on moving to the city
// to live in it.
const ABOUT_THE_HOUSE: FreeTextStep = { asks: "message", topics: ["relocation"] };

export interface VacantHouseForms {
  inquiry: FormSpec;
  registration: FormSpec;
}

export function vacantHouseForms(texts: VacantHouseTexts): VacantHouseForms {
  return { inquiry: inquiryForm(texts), registration: registrationForm(texts) };
}

// Opened with the listing's id, code and title (`_listing_id`, `_code`, `_title`).
function inquiryForm(texts: VacantHouseTexts): FormSpec {
  const { inquiry } = texts;
  return {
    flow: FLOW,
    name: "inquiry",
    fields: [{ key: "message", kind: "text", prompt: inquiry.message.prompt, maxLength: 2000, about: ABOUT_THE_HOUSE }, ...contactFields(inquiry)],
    confirm: texts.confirm,
    summary: (data) => [
      `${inquiry.labels.listing}：${data._title}（${data._code}）`,
      `${inquiry.labels.message}：${data.message}`,
      `${inquiry.labels.contact}：${contactLabel(data)}`,
    ],
    submit: (context, data) => saveInquiry(texts, context, { category: "vacant_house", subject: `${data._code} ${data._title}`, data, done: inquiry.done }),
  };
}

function registrationForm(texts: VacantHouseTexts): FormSpec {
  const { registration } = texts;
  return {
    flow: FLOW,
    name: "registration",
    fields: [
      { key: "location", kind: "text", prompt: registration.location.prompt, maxLength: 200 },
      { key: "intent", kind: "choice", prompt: registration.intent.prompt, choices: registration.intent.choices },
      { key: "details", kind: "text", prompt: registration.details.prompt, maxLength: 2000, skip: registration.details.skip, about: ABOUT_THE_HOUSE },
      ...contactFields(registration),
    ],
    confirm: texts.confirm,
    summary: (data) => [
      `${registration.labels.location}：${data.location}`,
      `${registration.labels.intent}：${data.intent}`,
      `${registration.labels.details}：${data.details ?? registration.details.skip}`,
      `${registration.labels.contact}：${contactLabel(data)}`,
    ],
    submit: (context, data) =>
      saveInquiry(texts, context, { category: "vacant_house_registration", subject: `空き家の登録 ${data.location}`, data, done: registration.done }),
  };
}

function contactFields(texts: Pick<VacantHouseTexts["inquiry"], "contact_method" | "phone" | "email">): FormSpec["fields"] {
  const [line, phone, email] = texts.contact_method.choices;
  return [
    { key: "contact_method", kind: "choice", prompt: texts.contact_method.prompt, choices: texts.contact_method.choices },
    { key: "phone", kind: "phone", prompt: texts.phone.prompt, invalid: texts.phone.invalid, when: (data) => data.contact_method === phone && phone !== line },
    { key: "email", kind: "email", prompt: texts.email.prompt, invalid: texts.email.invalid, when: (data) => data.contact_method === email && email !== line },
  ];
}

function contactLabel(data: FormData): string {
  const contact = typeof data.phone === "string" ? data.phone : typeof data.email === "string" ? data.email : null;
  return `${data.contact_method}${contact ? `（${contact}）` : ""}`;
}

interface InquiryRecord {
  category: string;
  subject: string;
  data: FormData;
  done: string;
}

async function saveInquiry(texts: VacantHouseTexts, context: FlowContext, { category, subject, data, done }: InquiryRecord): Promise<FlowOutcome> {
  const details = Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith("_")));
  const reference = await recordInquiry(context.trx, {
    userId: context.userId,
    thread: context.thread,
    category,
    department: texts.department,
    subject: subject.slice(0, 200),
    details: typeof data._code === "string" ? { ...details, listing_code: data._code } : details,
    listingId: typeof data._listing_id === "string" ? data._listing_id : null,
    at: context.at,
    fiscalYear: fiscalYearOf(context.at),
  });
  return { messages: [{ type: "text", text: done.replace("{reference}", reference) }], state: null };
}
