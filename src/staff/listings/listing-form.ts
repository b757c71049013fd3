import { z } from "zod";
import type { VacantHouseListingsTable } from "../../store/tables/listings.js";
import type { Selectable } from "kysely";
import { japanToday } from "./listing-rules.js";

// The listing form: what staff typed (kept as typed, to show again with the errors) and what it
// means once checked. Numbers are read the way people type them in Japan: full-width digits,
// 「35,000円」, 「72.5㎡」, 「1978年」.
export const FORM_FIELDS = ["code", "title", "area", "address", "deal_type", "price_yen", "layout", "floor_area_sqm", "land_area_sqm", "built_year", "description"] as const;
export type FormField = (typeof FORM_FIELDS)[number];
export type ListingFormInput = Record<FormField, string>;
export type FormErrors = Partial<Record<FormField, string>>;

export const LIMITS = { code: 20, title: 80, address: 200, description: 2000, priceMax: 1_000_000_000, sqmMax: 1_000_000, yearMin: 1800 } as const;

export interface ListingValues {
  title: string;
  area: string;
  address: string | null;
  deal_type: "rent" | "sale";
  price_yen: number;
  layout: string | null;
  floor_area_sqm: string | null;
  land_area_sqm: string | null;
  built_year: number | null;
  description: string | null;
}

type Ctx = z.core.$RefinementCtx<string>;
const fail = (ctx: Ctx, value: string, message: string) => {
  ctx.issues.push({ code: "custom", message, input: value });
  return z.NEVER;
};
const narrow = (value: string) => value.normalize("NFKC").replace(/\s+/g, "");

const requiredText = (label: string, max: number) =>
  z.string().transform((raw, ctx) => {
    const value = raw.trim();
    if (!value) return fail(ctx, raw, `${label}を入力してください。`);
    if (value.length > max) return fail(ctx, raw, `${label}は${max}文字以内で入力してください（いま${value.length}文字）。`);
    return value;
  });

const optionalText = (label: string, max: number) =>
  z.string().transform((raw, ctx) => {
    const value = raw.trim();
    if (value.length > max) return fail(ctx, raw, `${label}は${max}文字以内で入力してください（いま${value.length}文字）。`);
    return value === "" ? null : value;
  });

const sqm = (label: string, example: string) =>
  z.string().transform((raw, ctx) => {
    const value = narrow(raw).replace(/(m2|平米|平方メートル)$/i, "");
    if (!value) return null;
    if (!/^\d+(\.\d{1,2})?$/.test(value)) return fail(ctx, raw, `${label}は平方メートルの数字で入力してください（例：${example}）。小数は2桁までです。`);
    const number = Number(value);
    if (number <= 0 || number >= LIMITS.sqmMax) return fail(ctx, raw, `${label}は0より大きく、${LIMITS.sqmMax.toLocaleString("ja-JP")}㎡より小さい数字で入力してください。`);
    return String(number);
  });

export function listingFormSchema(options: { withCode: boolean; areas: readonly string[]; now: Date }) {
  const thisYear = Number(japanToday(options.now).slice(0, 4));
  return z.object({
    code: options.withCode
      ? z.string().transform((raw, ctx) => {
          const value = narrow(raw).toUpperCase();
          if (!value) return fail(ctx, raw, "物件番号を入力してください（例：AK-011）。");
          if (value.length > LIMITS.code || !/^[A-Z0-9][A-Z0-9-]*$/.test(value)) {
            return fail(ctx, raw, `物件番号は半角英数字とハイフンで、${LIMITS.code}文字以内で入力してください（例：AK-011）。`);
          }
          return value;
        })
      : z.string().optional(),
    title: requiredText("物件名", LIMITS.title),
    area: z.string().transform((raw, ctx) => {
      const value = raw.trim();
      if (!value) return fail(ctx, raw, "地区を選んでください。");
      // Residents search by these names (seeds/areas.yaml): a name outside the list is never found.
      if (!options.areas.includes(value)) return fail(ctx, raw, "地区は一覧から選んでください。");
      return value;
    }),
    address: optionalText("所在地", LIMITS.address),
    deal_type: z.string().transform((raw, ctx) => (raw === "rent" || raw === "sale" ? raw : fail(ctx, raw, "種別（賃貸・売買）を選んでください。"))),
    price_yen: z.string().transform((raw, ctx) => {
      const value = narrow(raw).replace(/,/g, "").replace(/円$/, "");
      if (!value) return fail(ctx, raw, "価格を入力してください（賃貸は月額、売買は売買価格。円単位の整数）。");
      if (!/^\d+$/.test(value)) return fail(ctx, raw, "価格は円単位の整数で入力してください（例：35000）。「万」や小数は使えません。");
      const yen = Number(value);
      if (yen < 1 || yen > LIMITS.priceMax) return fail(ctx, raw, `価格は1円から${LIMITS.priceMax.toLocaleString("ja-JP")}円までで入力してください。`);
      return yen;
    }),
    layout: z.string().transform((raw, ctx) => {
      const value = narrow(raw).toUpperCase();
      if (!value) return null;
      if (!/^[1-9]\d?(R|K|DK|LDK|SK|SDK|SLDK)$/.test(value)) return fail(ctx, raw, "間取りは「3LDK」「5K」「1R」のように、部屋数と記号で入力してください。");
      return value;
    }),
    floor_area_sqm: sqm("延床面積", "72.5"),
    land_area_sqm: sqm("土地面積", "210"),
    built_year: z.string().transform((raw, ctx) => {
      const value = narrow(raw).replace(/年$/, "");
      if (!value) return null;
      if (!/^\d{4}$/.test(value)) return fail(ctx, raw, "建築年は西暦4桁で入力してください（例：1978）。");
      const year = Number(value);
      if (year < LIMITS.yearMin || year > thisYear) return fail(ctx, raw, `建築年は${LIMITS.yearMin}年から${thisYear}年までで入力してください。`);
      return year;
    }),
    description: optionalText("紹介文", LIMITS.description),
  });
}

// Only the form's own fields, each as one string (a repeated field counts as empty).
export function formInput(body: unknown): ListingFormInput {
  const record = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  return Object.fromEntries(FORM_FIELDS.map((field) => [field, typeof record[field] === "string" ? record[field] : ""])) as ListingFormInput;
}

export function parseListingForm(
  input: ListingFormInput,
  options: { withCode: boolean; areas: readonly string[]; now: Date },
): { ok: true; code: string | null; values: ListingValues } | { ok: false; errors: FormErrors } {
  const parsed = listingFormSchema(options).safeParse(input);
  if (!parsed.success) {
    const errors: FormErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as FormField;
      errors[field] ??= issue.message;
    }
    return { ok: false, errors };
  }
  const { code, ...values } = parsed.data;
  const checked: ListingValues = values;
  return { ok: true, code: options.withCode ? (code ?? null) : null, values: checked };
}

// A stored listing as the form shows it.
export function inputFromListing(listing: Selectable<VacantHouseListingsTable>): ListingFormInput {
  return {
    code: listing.code,
    title: listing.title,
    area: listing.area,
    address: listing.address ?? "",
    deal_type: listing.deal_type,
    price_yen: String(listing.price_yen),
    layout: listing.layout ?? "",
    floor_area_sqm: listing.floor_area_sqm === null ? "" : String(Number(listing.floor_area_sqm)),
    land_area_sqm: listing.land_area_sqm === null ? "" : String(Number(listing.land_area_sqm)),
    built_year: listing.built_year === null ? "" : String(listing.built_year),
    description: listing.description ?? "",
  };
}

export function emptyInput(code: string): ListingFormInput {
  return { ...(Object.fromEntries(FORM_FIELDS.map((field) => [field, ""])) as ListingFormInput), code, deal_type: "rent" };
}
