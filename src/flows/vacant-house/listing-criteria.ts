import { z } from "zod";
import type { Entities } from "../../intents/entities.js";
import type { VacantHouseTexts } from "../flow-texts.js";

// What a resident is looking for in the 空き家バンク, read from free text (「月3万以内の賃貸」,
// 「4LDK」, 「下林町で500万円まで」). Pure: no database here.
export interface ListingCriteria {
  deal?: "rent" | "sale";
  maxYen?: number;
  minYen?: number;
  // 4LDK asks for at least 4 rooms; a 5K house answers it too.
  rooms?: number;
  area?: string;
}

// A price said with no bound (「5万円で」) is a budget: an upper limit. 「5万くらい」 is ±20%.
const ABOUT = 0.2;
// A monthly figure means renting; a sum this large without 「月」 means buying.
const SALE_THRESHOLD_YEN = 300_000;

export function criteriaFrom(entities: Entities): ListingCriteria {
  const criteria: ListingCriteria = {};
  const money = entities.money[0];
  const deal = entities.dealType ?? (money ? (money.perMonth || money.amountYen < SALE_THRESHOLD_YEN ? "rent" : "sale") : undefined);
  if (deal) criteria.deal = deal;
  if (money) {
    if (money.bound === "min") criteria.minYen = money.amountYen;
    else if (money.bound === "about") {
      criteria.minYen = Math.round(money.amountYen * (1 - ABOUT));
      criteria.maxYen = Math.round(money.amountYen * (1 + ABOUT));
    } else criteria.maxYen = money.amountYen;
  }
  const layout = entities.layouts[0];
  if (layout) criteria.rooms = Number(layout[0]);
  if (entities.areas[0]) criteria.area = entities.areas[0];
  return criteria;
}

export function hasCriteria(criteria: ListingCriteria): boolean {
  return Object.values(criteria).some((value) => value !== undefined);
}

// Newer words win: 「4LDK」 after 「月3万以内の賃貸」 keeps the rent and the budget. A new deal type
// drops a budget meant for the other one (a monthly rent is no price for a house to buy).
export function mergeCriteria(previous: ListingCriteria, next: ListingCriteria): ListingCriteria {
  const merged: ListingCriteria = { ...previous, ...stripUndefined(next) };
  if (next.deal && previous.deal && next.deal !== previous.deal && next.maxYen === undefined && next.minYen === undefined) {
    delete merged.maxYen;
    delete merged.minYen;
  }
  return merged;
}

export function describeCriteria(criteria: ListingCriteria, texts: VacantHouseTexts["criteria"]): string {
  const parts: string[] = [];
  if (criteria.area) parts.push(texts.area.replace("{area}", criteria.area));
  if (criteria.deal) parts.push(texts[criteria.deal]);
  if (criteria.minYen !== undefined) parts.push(texts.min.replace("{amount}", yenLabel(criteria.minYen)));
  if (criteria.maxYen !== undefined) parts.push(texts.max.replace("{amount}", yenLabel(criteria.maxYen)));
  if (criteria.rooms !== undefined) parts.push(texts.rooms.replace("{rooms}", String(criteria.rooms)));
  return parts.join("・");
}

// 35000 → 3.5万円, 4800000 → 480万円, 8000 → 8,000円.
export function yenLabel(yen: number): string {
  if (yen < 10_000) return `${yen.toLocaleString("ja-JP")}円`;
  const man = Math.round(yen / 1_000) / 10;
  return `${man.toLocaleString("ja-JP", { maximumFractionDigits: 1 })}万円`;
}

// The rooms of a layout: 3DK → 3, 6K → 6; none for a layout we cannot read.
export function roomsOf(layout: string | null): number | null {
  const match = layout?.normalize("NFKC").match(/^(\d+)/);
  return match ? Number(match[1]) : null;
}

// Criteria travel in postback data so that paging works in any process, after any pause:
// "d=rent;x=30000;n=;r=4;a=下林町;o=5". Parsed with zod, since postback data can be forged.
const encodedSchema = z.object({
  d: z.enum(["rent", "sale"]).optional(),
  x: z.coerce.number().int().nonnegative().max(10_000_000_000).optional(),
  n: z.coerce.number().int().nonnegative().max(10_000_000_000).optional(),
  r: z.coerce.number().int().min(1).max(9).optional(),
  a: z.string().min(1).max(30).optional(),
  o: z.coerce.number().int().min(0).max(10_000).optional(),
});

export function encodeSearch(criteria: ListingCriteria, offset: number): string {
  const entries: [string, string | number | undefined][] = [
    ["d", criteria.deal],
    ["x", criteria.maxYen],
    ["n", criteria.minYen],
    ["r", criteria.rooms],
    ["a", criteria.area?.replace(/[;=|]/g, "")],
    ["o", offset || undefined],
  ];
  return entries.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}=${value}`).join(";");
}

export function decodeSearch(encoded: string): { criteria: ListingCriteria; offset: number } | null {
  const pairs = encoded ? encoded.split(";").map((pair) => pair.split("=")) : [];
  if (pairs.some((pair) => pair.length !== 2)) return null;
  const parsed = encodedSchema.safeParse(Object.fromEntries(pairs));
  if (!parsed.success) return null;
  const { d, x, n, r, a, o } = parsed.data;
  const criteria: ListingCriteria = stripUndefined({ deal: d, maxYen: x, minYen: n, rooms: r, area: a });
  return { criteria, offset: o ?? 0 };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
