import { normalize, type CompiledLanguage } from "./normalize.js";
import { fiscalYearOf } from "../japan-time.js";

// What the flows need from a message, read from the normalized text (digits already digits:
// 「月三万」 arrives here as 「月30000」). Pure: `now` decides what 去年 and 今年度 mean.

export interface EntityData {
  indicators: { id: string; name: string; aliases: string[] }[];
  areas: string[];
}

export interface MoneyEntity {
  amountYen: number;
  bound: "max" | "min" | "about" | null;
  perMonth: boolean;
}

export interface Entities {
  money: MoneyEntity[];
  layouts: string[];
  dealType: "rent" | "sale" | null;
  areas: string[];
  indicators: { id: string; name: string }[];
  fiscalYears: number[];
  dates: string[];
}

// 令和1年 = 2019, so 令和N年度 starts in 2018 + N (fiscal years: src/japan-time.ts).
export const REIWA_OFFSET = 2018;

export function extractEntities(data: EntityData, language: CompiledLanguage): (normalized: string, now: Date) => Entities {
  const indicatorForms = longestFirst(
    data.indicators.flatMap((indicator) =>
      [indicator.name, indicator.name.replace(/（.*）$/, ""), ...indicator.aliases].map((form) => ({
        form: normalize(form, language),
        value: { id: indicator.id, name: indicator.name },
      })),
    ),
  );
  const areaForms = longestFirst(
    [...new Set(data.areas)].flatMap((area) => {
      const short = area.endsWith("町") && [...area].length >= 3 ? normalize(area.slice(0, -1), language) : "";
      // 五日町 without its 町 would be 「5日」, a date: short forms holding a number are not used.
      const forms = [normalize(area, language), ...(short && !/\d/.test(short) ? [short] : [])];
      return forms.map((form) => ({ form, value: area }));
    }),
  );
  return (normalized, now) => ({
    money: moneyIn(normalized),
    layouts: [...new Set([...normalized.matchAll(/(\d)\s*(s?ldk|sdk|lk|dk|k|r)(?![a-z])/g)].map((m) => `${m[1]}${m[2]!.toUpperCase()}`))],
    dealType: dealTypeIn(normalized),
    areas: uniqueBy(findAll(normalized, areaForms), (area) => area),
    indicators: uniqueBy(findAll(normalized, indicatorForms), (indicator) => indicator.id),
    fiscalYears: fiscalYearsIn(normalized, now),
    dates: datesIn(normalized, now),
  });
}

function longestFirst<T>(forms: { form: string; value: T }[]): { form: string; value: T }[] {
  return forms.filter((entry) => entry.form.length > 0).sort((a, b) => b.form.length - a.form.length);
}

// Longest names first; a name inside one already found is not found again.
function findAll<T>(text: string, forms: { form: string; value: T }[]): T[] {
  const taken: boolean[] = Array.from({ length: text.length }, () => false);
  const found: { at: number; value: T }[] = [];
  for (const { form, value } of forms) {
    let at = text.indexOf(form);
    while (at >= 0) {
      if (!taken.slice(at, at + form.length).some(Boolean)) {
        for (let i = at; i < at + form.length; i += 1) taken[i] = true;
        found.push({ at, value });
      }
      at = text.indexOf(form, at + 1);
    }
  }
  return found.sort((a, b) => a.at - b.at).map((entry) => entry.value);
}

function uniqueBy<T>(values: T[], key: (value: T) => string): T[] {
  const seen = new Set<string>();
  return values.filter((value) => !seen.has(key(value)) && seen.add(key(value)));
}

const MONEY = /(月額|月々|月|家賃|予算)?\s*(\d{1,10})\s*(円)?\s*(以内|以下|まで|未満|以上|から|程度|くらい|ぐらい|前後)?/g;
const NOT_MONEY_AFTER = /^\s*(年|月|日|件|人|歳|階|%|ldk|dk|k|r|種類|回|時|分|号|番)/;

function moneyIn(text: string): MoneyEntity[] {
  const found: MoneyEntity[] = [];
  for (const match of text.matchAll(MONEY)) {
    const [whole, prefix, digits, yen, bound] = match;
    const amount = Number(digits);
    const after = text.slice((match.index ?? 0) + whole.length);
    if (!yen && NOT_MONEY_AFTER.test(after)) continue;
    // A bare number is money only with 円, a rent/budget word before it, or a bound after it, and
    // when it is large enough to be yen (「3LDK」「R7」 never are).
    if (!yen && !prefix && !bound) continue;
    if (amount < 1000) continue;
    found.push({
      amountYen: amount,
      bound: bound === undefined ? null : /以内|以下|まで|未満/.test(bound) ? "max" : /以上|から/.test(bound) ? "min" : "about",
      perMonth: prefix !== undefined && prefix !== "予算" ? true : /家賃|月額|月々|賃貸|ちんたい/.test(text),
    });
  }
  return found;
}

const RENT = /賃貸|ちんたい|借り|かりたい|かりれ|家賃|やちん|月額|月々|れんたる|貸家|借家/;
const SALE = /購入|こうにゅう|買い|買え|買う|かいたい|かえる家|売買|中古|販売|売り物件|うりもの/;

function dealTypeIn(text: string): "rent" | "sale" | null {
  const rent = RENT.test(text);
  const sale = SALE.test(text);
  if (rent === sale) return null;
  return rent ? "rent" : "sale";
}

function fiscalYearsIn(text: string, now: Date): number[] {
  const current = fiscalYearOf(now);
  const years: number[] = [];
  for (const match of text.matchAll(/令和\s*(\d{1,2}|元)\s*年/g)) years.push(REIWA_OFFSET + (match[1] === "元" ? 1 : Number(match[1])));
  for (const match of text.matchAll(/(?<![a-z])r\s?(\d{1,2})(?![0-9a-z])/g)) years.push(REIWA_OFFSET + Number(match[1]));
  for (const match of text.matchAll(/(?<!\d)(20\d{2})\s*年度/g)) years.push(Number(match[1]));
  const relative: [RegExp, number][] = [
    [/一昨年|おととし|一昨年度/, -2],
    [/去年|昨年|きょねん|前年度|さくねん/, -1],
    [/今年|本年度|ことし|こんねんど/, 0],
    [/来年|らいねん/, 1],
  ];
  for (const [pattern, offset] of relative) if (pattern.test(text)) years.push(current + offset);
  return [...new Set(years)];
}

function datesIn(text: string, now: Date): string[] {
  const dates: string[] = [];
  const iso = (date: Date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
  for (const match of text.matchAll(/(?:(20\d{2})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日/g)) {
    const year = match[1] ? Number(match[1]) : now.getFullYear();
    dates.push(iso(new Date(year, Number(match[2]) - 1, Number(match[3]))));
  }
  const relative: [RegExp, number][] = [
    [/今日|きょう|本日/, 0],
    [/明日|あした|あす/, 1],
    [/明後日|あさって/, 2],
  ];
  for (const [pattern, offset] of relative) {
    if (pattern.test(text)) dates.push(iso(new Date(now.getFullYear(), now.getMonth(), now.getDate() + offset)));
  }
  return [...new Set(dates)];
}

