import type { Transaction } from "kysely";
import type { Database } from "../../store/database.js";
import type { VacantHouseTexts } from "../flow-texts.js";
import { quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { askNext, formFreeText, formRecognizes, handleForm, isFormStep, type FormSpec } from "../form.js";
import { criteriaFrom, decodeSearch, hasCriteria, mergeCriteria, type ListingCriteria } from "./listing-criteria.js";
import { refineButtons, searchListings } from "./listing-search.js";
import { FLOW, vacantHouseForms, type VacantHouseForms } from "./vacant-house-forms.js";

// 空き家バンク: search from free text or buttons (results as a Flex carousel, page by page), an
// inquiry on one listing, and an owner's request to register a house. Both forms end in an
// inquiry for 地域コミュニティ課. After a search the flow remembers the criteria ("browse"), so
// 「4LDK」 sent next narrows the same search; anything else ends it quietly.

// An owner speaking: 貸したい・売りたい・登録したい・持っている. 「登録されている物件」 is a seeker.
const OWNER_WORDS = /(貸したい|かしたい|売りたい|うりたい|手放|てばな|登録(?!され|物件|済)|とうろく(?!され)|持ち主|もちぬし|所有|しょゆう|空き家を持|あきやをも|管理に困)/;

interface VacantHouseSetup {
  texts: VacantHouseTexts;
  forms: VacantHouseForms;
}

export function vacantHouseFlow(texts: VacantHouseTexts): Flow {
  const setup: VacantHouseSetup = { texts, forms: vacantHouseForms(texts) };
  const formOf = (step: string) => formAt(setup, step);
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
      if (OWNER_WORDS.test(understood.normalized)) return startRegistration(setup);
      return searchListings(texts, context.trx, criteriaFrom(understood.entities), 0);
    },
    start: (context) => searchListings(texts, context.trx, {}, 0),
    handle: (context, state, input) => handleVacantHouse(setup, context, state, input),
  };
}

function formAt(setup: VacantHouseSetup, step: string): FormSpec | undefined {
  return [setup.forms.inquiry, setup.forms.registration].find((form) => isFormStep(form, step));
}

async function handleVacantHouse(setup: VacantHouseSetup, context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
  const { texts } = setup;
  const form = formAt(setup, state.step);
  const remembered = (state.data.criteria as ListingCriteria | undefined) ?? {};
  if (input.kind === "postback") {
    const { action, argument } = input.postback;
    if (action === "search") {
      const decoded = decodeSearch(argument);
      return decoded ? searchListings(texts, context.trx, decoded.criteria, decoded.offset) : searchListings(texts, context.trx, {}, 0);
    }
    if (action === "inquire") return startInquiry(setup, context.trx, argument);
    if (action === "register") return startRegistration(setup);
    if (form) return handleForm(form, context, state, input);
    return searchListings(texts, context.trx, remembered, 0);
  }
  if (form) return handleForm(form, context, state, input);
  if (input.kind !== "text") return { messages: [], state };
  if (OWNER_WORDS.test(input.understood.normalized)) return startRegistration(setup);
  return searchListings(texts, context.trx, mergeCriteria(remembered, criteriaFrom(input.understood.entities)), 0);
}

// 「問い合わせる」 on a listing's card: the inquiry form, opened with the listing.
async function startInquiry(setup: VacantHouseSetup, trx: Transaction<Database>, code: string): Promise<FlowOutcome> {
  const { texts } = setup;
  const listing = await trx
    .selectFrom("vacant_house_listings")
    .select(["id", "code", "title"])
    .where("code", "=", code)
    .where("status", "=", "published")
    .executeTakeFirst();
  if (!listing) return { messages: [quickReplyText(texts.listing_gone, refineButtons(texts, {}))], state: null };
  const first = askNext(setup.forms.inquiry, { _listing_id: listing.id, _code: listing.code, _title: listing.title });
  const intro = texts.inquiry.intro.replace("{title}", listing.title).replace("{code}", listing.code);
  return { messages: [{ type: "text", text: intro }, ...first.messages], state: first.state };
}

function startRegistration(setup: VacantHouseSetup): FlowOutcome {
  const first = askNext(setup.forms.registration, {});
  return { messages: [{ type: "text", text: setup.texts.registration.intro }, ...first.messages], state: first.state };
}
