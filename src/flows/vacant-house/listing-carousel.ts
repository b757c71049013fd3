import type { messagingApi } from "@line/bot-sdk";
import type { VacantHouseTexts } from "../flow-texts.js";
import { postbackData } from "../../line/postback-data.js";
import { yenLabel } from "./listing-criteria.js";

// One page of listings as a Flex carousel: photo (or a grey box saying the photo is coming),
// price, layout, area, year built, floor area, and a 「問い合わせる」 button per house; when more
// remain, a last bubble that shows the next page.
export interface ListingCard {
  code: string;
  title: string;
  area: string;
  deal_type: "rent" | "sale";
  price_yen: number;
  layout: string | null;
  floor_area_sqm: string | null;
  built_year: number | null;
  photo_url: string | null;
}

const GREEN = "#06c755";
const MUTED = "#666666";

export function listingCarousel(
  listings: ListingCard[],
  texts: VacantHouseTexts,
  more: { remaining: number; data: string } | null,
): messagingApi.FlexMessage {
  const bubbles = listings.map((listing) => listingBubble(listing, texts));
  if (more) bubbles.push(moreBubble(more, texts));
  return { type: "flex", altText: texts.alt_text, contents: { type: "carousel", contents: bubbles } };
}

function listingBubble(listing: ListingCard, texts: VacantHouseTexts): messagingApi.FlexBubble {
  const card = texts.card;
  const price = (listing.deal_type === "rent" ? card.rent_price : card.sale_price).replace("{price}", yenLabel(listing.price_yen));
  const rows: [string, string | null][] = [
    [card.layout, listing.layout],
    [card.area, listing.area],
    [card.built, listing.built_year ? card.built_value.replace("{year}", String(listing.built_year)) : null],
    [card.floor, listing.floor_area_sqm ? card.floor_value.replace("{sqm}", trimDecimal(listing.floor_area_sqm)) : null],
  ];
  const body: messagingApi.FlexComponent[] = [
    { type: "text", text: `${listing.deal_type === "rent" ? card.rent : card.sale}｜${listing.code}`, size: "sm", color: MUTED },
    { type: "text", text: listing.title, weight: "bold", size: "lg", wrap: true },
    { type: "text", text: price, weight: "bold", size: "xl", color: GREEN, wrap: true },
    ...rows.filter((row): row is [string, string] => row[1] !== null).map(([name, value]) => infoRow(name, value)),
  ];
  const bubble: messagingApi.FlexBubble = {
    type: "bubble",
    body: { type: "box", layout: "vertical", spacing: "sm", contents: body },
    footer: {
      type: "box",
      layout: "vertical",
      contents: [
        {
          type: "button",
          style: "primary",
          color: GREEN,
          action: { type: "postback", label: card.inquire, data: postbackData("vacant_house", "inquire", listing.code), displayText: `${listing.title}について${card.inquire}` },
        },
      ],
    },
  };
  if (listing.photo_url?.startsWith("https://")) {
    bubble.hero = { type: "image", url: listing.photo_url, size: "full", aspectRatio: "20:13", aspectMode: "cover" };
  } else {
    bubble.hero = {
      type: "box",
      layout: "vertical",
      height: "120px",
      backgroundColor: "#dde3ea",
      justifyContent: "center",
      contents: [{ type: "text", text: card.no_photo, align: "center", color: MUTED, size: "sm" }],
    };
  }
  return bubble;
}

function moreBubble(more: { remaining: number; data: string }, texts: VacantHouseTexts): messagingApi.FlexBubble {
  return {
    type: "bubble",
    body: {
      type: "box",
      layout: "vertical",
      spacing: "md",
      justifyContent: "center",
      contents: [
        { type: "text", text: texts.card.more_title, weight: "bold", size: "lg", align: "center" },
        { type: "text", text: texts.card.more_text.replace("{count}", String(more.remaining)), align: "center", wrap: true },
        {
          type: "button",
          style: "secondary",
          action: { type: "postback", label: texts.buttons.more, data: more.data, displayText: texts.buttons.more },
        },
      ],
    },
  };
}

function infoRow(name: string, value: string): messagingApi.FlexBox {
  return {
    type: "box",
    layout: "baseline",
    spacing: "sm",
    contents: [
      { type: "text", text: name, size: "sm", color: MUTED, flex: 2 },
      { type: "text", text: value, size: "md", flex: 4, wrap: true },
    ],
  };
}

function trimDecimal(value: string): string {
  return String(Number(value));
}
