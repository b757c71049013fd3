import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import { fiscalYearOf } from "../../intents/entities.js";
import { nextInquiryReference } from "../../store/conversations.js";
import type { Database } from "../../store/database.js";
import type { VacantHouseTexts } from "../flow-texts.js";
import { quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { askNext, formFreeText, formRecognizes, handleForm, isFormStep, type FormData, type FormSpec } from "../form.js";
import type { FreeTextStep } from "../free-text-question.js";
import { postbackData } from "../postback-data.js";
import { listingCarousel, type ListingCard } from "./listing-carousel.js";
import { criteriaFrom, decodeSearch, describeCriteria, encodeSearch, hasCriteria, mergeCriteria, roomsOf, type ListingCriteria } from "./listing-criteria.js";

// 空き家バンク: search from free text or buttons (results as a Flex carousel, page by page), an
// inquiry on one listing, and an owner's request to register a house. Both forms end in an
// inquiry for 地域コミュニティ課. After a search the flow remembers the criteria ("browse"), so
// 「4LDK」 sent next narrows the same search; anything else ends it quietly.
const FLOW = "vacant_house";

// An owner speaking: 貸したい・売りたい・登録したい・持っている. 「登録されている物件」 is a seeker.
const OWNER_WORDS = /(貸したい|かしたい|売りたい|うりたい|手放|てばな|登録(?!され|物件|済)|とうろく(?!され)|持ち主|もちぬし|所有|しょゆう|空き家を持|あきやをも|管理に困)/;

// The questions and wishes a resident writes about a house: on the house, or on moving to the city
// to live in it.
const ABOUT_THE_HOUSE: FreeTextStep = { asks: "message", topics: ["relocation"] };

export function vacantHouseFlow(texts: VacantHouseTexts): Flow {
  const inquiryForm: FormSpec = {
    flow: FLOW,
    name: "inquiry",
    fields: [
      { key: "message", kind: "text", prompt: texts.inquiry.message.prompt, maxLength: 2000, about: ABOUT_THE_HOUSE },
      ...contactFields(texts.inquiry),
    ],
    confirm: texts.confirm,
    summary: (data) =>
      [
        `${texts.inquiry.labels.listing}：${data._title}（${data._code}）`,
        `${texts.inquiry.labels.message}：${data.message}`,
        `${texts.inquiry.labels.contact}：${contactLabel(data)}`,
      ],
    submit: (context, data) => saveInquiry(context, "vacant_house", `${data._code} ${data._title}`, data, texts.inquiry.done),
  };
  const registrationForm: FormSpec = {
    flow: FLOW,
    name: "registration",
    fields: [
      { key: "location", kind: "text", prompt: texts.registration.location.prompt, maxLength: 200 },
      { key: "intent", kind: "choice", prompt: texts.registration.intent.prompt, choices: texts.registration.intent.choices },
      { key: "details", kind: "text", prompt: texts.registration.details.prompt, maxLength: 2000, skip: texts.registration.details.skip, about: ABOUT_THE_HOUSE },
      ...contactFields(texts.registration),
    ],
    confirm: texts.confirm,
    summary: (data) =>
      [
        `${texts.registration.labels.location}：${data.location}`,
        `${texts.registration.labels.intent}：${data.intent}`,
        `${texts.registration.labels.details}：${data.details ?? texts.registration.details.skip}`,
        `${texts.registration.labels.contact}：${contactLabel(data)}`,
      ],
    submit: (context, data) => saveInquiry(context, "vacant_house_registration", `空き家の登録 ${data.location}`, data, texts.registration.done),
  };
  const forms = [inquiryForm, registrationForm];
  const formOf = (step: string) => forms.find((form) => isFormStep(form, step));

  return {
    name: FLOW,
    title: "空き家バンクのお問い合わせ",
    procedures: ["空き家バンク物件への問い合わせ", "空き家バンクへの登録の申し込み"],
    opens: ["search", "inquire", "register"],
    recognizes(step, text, understood) {
      const form = formOf(step);
      if (form) return formRecognizes(form, step, text);
      return OWNER_WORDS.test(understood.normalized) || hasCriteria(criteriaFrom(understood.entities));
    },
    freeText(step) {
      const form = formOf(step);
      return form ? formFreeText(form, step) : null;
    },
    lingers: (step) => step === "browse",
    async fromIntent(context, understood) {
      if (OWNER_WORDS.test(understood.normalized)) return startRegistration();
      return search(context.trx, criteriaFrom(understood.entities), 0);
    },
    async start(context) {
      return search(context.trx, {}, 0);
    },
    async handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
      const form = formOf(state.step);
      if (input.kind === "postback") {
        const { action, argument } = input.postback;
        if (action === "search") {
          const decoded = decodeSearch(argument);
          return decoded ? search(context.trx, decoded.criteria, decoded.offset) : search(context.trx, {}, 0);
        }
        if (action === "inquire") return startInquiry(context.trx, argument);
        if (action === "register") return startRegistration();
        if (form) return handleForm(form, context, state, input);
        return search(context.trx, (state.data.criteria as ListingCriteria | undefined) ?? {}, 0);
      }
      if (form) return handleForm(form, context, state, input);
      if (input.kind !== "text") return { messages: [], state };
      if (OWNER_WORDS.test(input.understood.normalized)) return startRegistration();
      const previous = (state.data.criteria as ListingCriteria | undefined) ?? {};
      return search(context.trx, mergeCriteria(previous, criteriaFrom(input.understood.entities)), 0);
    },
  };

  async function search(trx: Transaction<Database>, criteria: ListingCriteria, offset: number): Promise<FlowOutcome> {
    const all = await matchingListings(trx, {});
    const matching = hasCriteria(criteria) ? await matchingListings(trx, criteria) : all;
    const state = { step: "browse", data: { criteria } };
    const described = describeCriteria(criteria, texts.criteria);
    if (all.length === 0) {
      return { messages: [quickReplyText(texts.nothing_listed, [{ label: texts.buttons.register, data: postbackData(FLOW, "register") }])], state: null };
    }
    if (matching.length === 0) {
      return { messages: [quickReplyText(texts.no_match.replace("{criteria}", described), refineButtons(criteria))], state };
    }
    const start = offset < matching.length ? offset : 0;
    const page = matching.slice(start, start + texts.page_size);
    const remaining = matching.length - start - page.length;
    const moreData = remaining > 0 ? postbackData(FLOW, "search", encodeSearch(criteria, start + page.length)) : null;
    const intro = hasCriteria(criteria)
      ? texts.found.replace("{count}", String(matching.length)).replace("{criteria}", described)
      : texts.found_all.replace("{count}", String(matching.length));
    const carousel = listingCarousel(page, texts, moreData ? { remaining, data: moreData } : null);
    const buttons = [...(moreData ? [{ label: texts.buttons.more, data: moreData }] : []), ...refineButtons(criteria)];
    carousel.quickReply = quickReplyText("", buttons).quickReply!;
    const messages: messagingApi.Message[] = start === 0 ? [{ type: "text", text: intro }, carousel] : [carousel];
    return { messages, state };
  }

  function refineButtons(criteria: ListingCriteria): { label: string; data: string }[] {
    const buttons: { label: string; data: string }[] = [];
    if (criteria.deal !== "rent") buttons.push({ label: texts.buttons.rent_only, data: postbackData(FLOW, "search", encodeSearch({ ...withoutBudget(criteria), deal: "rent" }, 0)) });
    if (criteria.deal !== "sale") buttons.push({ label: texts.buttons.sale_only, data: postbackData(FLOW, "search", encodeSearch({ ...withoutBudget(criteria), deal: "sale" }, 0)) });
    if (hasCriteria(criteria)) buttons.push({ label: texts.buttons.widen, data: postbackData(FLOW, "search", "") });
    buttons.push({ label: texts.buttons.register, data: postbackData(FLOW, "register") });
    return buttons;
  }

  async function startInquiry(trx: Transaction<Database>, code: string): Promise<FlowOutcome> {
    const listing = await trx
      .selectFrom("vacant_house_listings")
      .select(["id", "code", "title"])
      .where("code", "=", code)
      .where("status", "=", "published")
      .executeTakeFirst();
    if (!listing) return { messages: [quickReplyText(texts.listing_gone, refineButtons({}))], state: null };
    const first = askNext(inquiryForm, { _listing_id: listing.id, _code: listing.code, _title: listing.title });
    const intro = texts.inquiry.intro.replace("{title}", listing.title).replace("{code}", listing.code);
    return { messages: [{ type: "text", text: intro }, ...first.messages], state: first.state };
  }

  function startRegistration(): FlowOutcome {
    const first = askNext(registrationForm, {});
    return { messages: [{ type: "text", text: texts.registration.intro }, ...first.messages], state: first.state };
  }

  async function saveInquiry(context: FlowContext, category: string, subject: string, data: FormData, done: string): Promise<FlowOutcome> {
    const reference = await nextInquiryReference(context.trx, fiscalYearOf(context.at));
    const details = Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith("_")));
    await context.trx
      .insertInto("inquiries")
      .values({
        reference_no: reference,
        user_id: context.userId,
        thread_id: context.thread,
        category,
        department: texts.department,
        subject: subject.slice(0, 200),
        details: JSON.stringify(typeof data._code === "string" ? { ...details, listing_code: data._code } : details),
        listing_id: typeof data._listing_id === "string" ? data._listing_id : null,
        created_at: context.at,
        updated_at: context.at,
      })
      .execute();
    return { messages: [{ type: "text", text: done.replace("{reference}", reference) }], state: null };
  }
}

async function matchingListings(trx: Transaction<Database>, criteria: ListingCriteria): Promise<ListingCard[]> {
  let query = trx
    .selectFrom("vacant_house_listings")
    .select(["code", "title", "area", "deal_type", "price_yen", "layout", "floor_area_sqm", "built_year", "photo_url"])
    .where("status", "=", "published");
  if (criteria.deal) query = query.where("deal_type", "=", criteria.deal);
  if (criteria.maxYen !== undefined) query = query.where("price_yen", "<=", criteria.maxYen);
  if (criteria.minYen !== undefined) query = query.where("price_yen", ">=", criteria.minYen);
  if (criteria.area) query = query.where("area", "=", criteria.area);
  const rows = await query.orderBy("price_yen").orderBy("code").execute();
  return criteria.rooms === undefined ? rows : rows.filter((row) => (roomsOf(row.layout) ?? 0) >= criteria.rooms!);
}

function withoutBudget(criteria: ListingCriteria): ListingCriteria {
  const { maxYen: _max, minYen: _min, ...rest } = criteria;
  return rest;
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
