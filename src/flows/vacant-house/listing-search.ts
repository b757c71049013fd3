import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import { postbackData } from "../../line/postback-data.js";
import type { Database } from "../../store/database.js";
import type { VacantHouseTexts } from "../flow-texts.js";
import { quickReplyText, type FlowOutcome } from "../flow.js";
import { listingCarousel, type ListingCard } from "./listing-carousel.js";
import { describeCriteria, encodeSearch, hasCriteria, roomsOf, type ListingCriteria } from "./listing-criteria.js";
import { FLOW } from "./vacant-house-forms.js";

type Button = { label: string; data: string };

// A search of the published listings: the page from `offset` as a Flex carousel, with buttons to
// see more, narrow (rent or sale only) or widen it. The flow then remembers the criteria ("browse").
export async function searchListings(texts: VacantHouseTexts, trx: Transaction<Database>, criteria: ListingCriteria, offset: number): Promise<FlowOutcome> {
  const all = await matchingListings(trx, {});
  const matching = hasCriteria(criteria) ? await matchingListings(trx, criteria) : all;
  const state = { step: "browse", data: { criteria } };
  const described = describeCriteria(criteria, texts.criteria);
  if (all.length === 0) {
    return { messages: [quickReplyText(texts.nothing_listed, [{ label: texts.buttons.register, data: postbackData(FLOW, "register") }])], state: null };
  }
  if (matching.length === 0) {
    return { messages: [quickReplyText(texts.no_match.replace("{criteria}", described), refineButtons(texts, criteria))], state };
  }
  const start = offset < matching.length ? offset : 0;
  const page = matching.slice(start, start + texts.page_size);
  const remaining = matching.length - start - page.length;
  const moreData = remaining > 0 ? postbackData(FLOW, "search", encodeSearch(criteria, start + page.length)) : null;
  const intro = hasCriteria(criteria)
    ? texts.found.replace("{count}", String(matching.length)).replace("{criteria}", described)
    : texts.found_all.replace("{count}", String(matching.length));
  const carousel = listingCarousel(page, texts, moreData ? { remaining, data: moreData } : null);
  const buttons = [...(moreData ? [{ label: texts.buttons.more, data: moreData }] : []), ...refineButtons(texts, criteria)];
  carousel.quickReply = quickReplyText("", buttons).quickReply!;
  const messages: messagingApi.Message[] = start === 0 ? [{ type: "text", text: intro }, carousel] : [carousel];
  return { messages, state };
}

export function refineButtons(texts: VacantHouseTexts, criteria: ListingCriteria): Button[] {
  const buttons: Button[] = [];
  const search = (narrowed: ListingCriteria) => postbackData(FLOW, "search", encodeSearch(narrowed, 0));
  if (criteria.deal !== "rent") buttons.push({ label: texts.buttons.rent_only, data: search({ ...withoutBudget(criteria), deal: "rent" }) });
  if (criteria.deal !== "sale") buttons.push({ label: texts.buttons.sale_only, data: search({ ...withoutBudget(criteria), deal: "sale" }) });
  if (hasCriteria(criteria)) buttons.push({ label: texts.buttons.widen, data: postbackData(FLOW, "search", "") });
  buttons.push({ label: texts.buttons.register, data: postbackData(FLOW, "register") });
  return buttons;
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
