import { containsWithOneEdit } from "../../intents/fuzzy.js";
import { compileLanguage, normalize } from "../../intents/normalize.js";

// A typed 町内 name → the towns it can mean. Text and names go through the intent router's
// normalisation (full/half width, katakana → hiragana, small kana, long vowels), so 「かじやまち」,
// 「カジヤ町」 and 「鍛冶屋」 all find 鍛冶屋町; a name of four characters or more also matches with
// one typo (「かじやまさ」). Pure: the list comes from seeds/profile.yaml.
export interface TownEntry {
  name: string;
  reading: string;
  district?: string | undefined;
}

// Only the character rules of `normalize`: no emoji words or dialect rewrites inside a place name.
const PLAIN = compileLanguage({ emoji: {}, dialect: [] });
// What residents add around the name: 「鍛冶屋町です」「かじやまちに住んでいます」「鍛冶屋町内」.
const AROUND = /(の?町内|に(住んで|すんで)(い|お)(ます|る|ります)|在住|です|だよ|だす|たい|ばい)+$/;
const TOWN_SUFFIX = /(町|まち|ちょう)$/;

function key(text: string): string {
  return normalize(text, PLAIN).replace(/\s+/g, "");
}

function formsOf(town: TownEntry): string[] {
  const forms = [key(town.name), key(town.reading)];
  return [...new Set([...forms, ...forms.map((form) => form.replace(TOWN_SUFFIX, ""))])].filter((form) => form.length >= 2);
}

// Exact matches first (one town, normally); otherwise towns whose name contains the text or is
// contained in it; otherwise one-typo matches. Empty when nothing is close.
export function matchTowns(text: string, towns: readonly TownEntry[]): TownEntry[] {
  const typed = key(text).replace(AROUND, "");
  if (typed.length === 0) return [];
  const withForms = towns.map((town) => ({ town, forms: formsOf(town) }));
  const exact = withForms.filter(({ forms }) => forms.includes(typed) || forms.includes(typed.replace(TOWN_SUFFIX, "")));
  if (exact.length > 0) return exact.map(({ town }) => town);
  if (typed.length >= 2) {
    const partial = withForms.filter(({ forms }) => forms.some((form) => form.includes(typed) || (form.length >= 3 && typed.includes(form))));
    if (partial.length > 0) return partial.map(({ town }) => town);
  }
  if (typed.length < 4) return [];
  const chars = [...typed];
  return withForms.filter(({ forms }) => forms.some((form) => form.length >= 4 && containsWithOneEdit([...form], chars))).map(({ town }) => town);
}
