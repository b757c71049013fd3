import { foldKana } from "../../intents/normalize.js";
import type { PostbackData } from "../../line/postback-data.js";
import { FIELDS, type ProfileField } from "./profile-messages.js";
import type { ProfileSeeds } from "./profile-seeds.js";
import { matchTowns, type TownEntry } from "./town-match.js";

// What a tap or a typed text means in the 受信設定 flow, read against the step's buttons. Pure.
export type ProfileAnswer =
  | { kind: "edit"; field: ProfileField }
  | { kind: "about" | "delete" | "delete_yes" | "delete_no" | "close" | "done" }
  | { kind: "set"; field: ProfileField; value: string; town?: TownEntry }
  | { kind: "skip"; field: ProfileField }
  | { kind: "toggle"; code: string }
  | { kind: "town_page"; page: number }
  | { kind: "town_typed"; text: string; candidates: TownEntry[] };

const RESIDENCE_CODES = ["city", "outside"] as const;

export const isField = (value: string): value is ProfileField => (FIELDS as readonly string[]).includes(value);

export function answerFromPostback(seeds: ProfileSeeds, { action, argument }: PostbackData): ProfileAnswer | null {
  const [first = "", second = ""] = argument.split(":");
  switch (action) {
    case "edit":
    case "skip":
      return isField(first) ? { kind: action, field: first } : null;
    case "about":
    case "delete":
    case "delete_yes":
    case "delete_no":
    case "close":
    case "done":
      return { kind: action };
    case "toggle": {
      const interest = seeds.lists.interests[Number(first)];
      return interest ? { kind: "toggle", code: interest.code } : null;
    }
    case "town_page":
      return Number.isInteger(Number(first)) && Number(first) >= 0 ? { kind: "town_page", page: Number(first) } : null;
    case "set":
      return isField(first) ? valueAt(seeds, first, Number(second)) : null;
    default:
      return null;
  }
}

// Typed text at a step: one of that step's buttons, by its label, or a 町内 name.
export function answerFromText(seeds: ProfileSeeds, step: string, raw: string): ProfileAnswer | null {
  const { texts } = seeds;
  const text = raw.trim();
  if (step === "menu") return menuAnswer(seeds, text);
  if (step === "delete") return byLabel(text, [texts.delete.yes, texts.delete.no], (index) => ({ kind: index === 0 ? "delete_yes" : "delete_no" }));
  if (!isField(step)) return null;
  if (text === texts.skip) return { kind: "skip", field: step };
  return fieldAnswer(seeds, step, text);
}

export function asksDeletion(seeds: ProfileSeeds, text: string): boolean {
  const typed = foldKana(text.normalize("NFKC"));
  return seeds.texts.delete.words.some((word) => typed.includes(foldKana(word.normalize("NFKC"))));
}

function menuAnswer(seeds: ProfileSeeds, text: string): ProfileAnswer | null {
  const menu = seeds.texts.menu;
  const field = FIELDS.find((candidate) => menu[candidate === "school_district" ? "district" : candidate] === text);
  if (field) return { kind: "edit", field };
  if (asksDeletion(seeds, text)) return { kind: "delete" };
  return byLabel(text, [menu.about, menu.delete, menu.close], (index) => ({ kind: (["about", "delete", "close"] as const)[index]! }));
}

function fieldAnswer(seeds: ProfileSeeds, step: ProfileField, text: string): ProfileAnswer | null {
  const { texts, lists } = seeds;
  const chosen = (index: number) => valueAt(seeds, step, index);
  switch (step) {
    case "residence":
      return byLabel(text, [texts.residence.city, texts.residence.outside], chosen);
    case "school_district":
      return byLabel(text, lists.school_districts, chosen) ?? byLabel(text, lists.school_districts.map((name) => name.replace(/校区$/, "")), chosen);
    case "age_band":
      return byLabel(text, lists.age_bands.map((band) => band.label), chosen);
    case "interests": {
      if (text === texts.interests.done) return { kind: "done" };
      const interest = lists.interests.find((candidate) => candidate.label === text.replace(/^✓\s*/, ""));
      return interest ? { kind: "toggle", code: interest.code } : null;
    }
    case "town": {
      if (text === texts.town.list) return { kind: "town_page", page: 0 };
      const candidates = matchTowns(text, lists.towns);
      return candidates.length > 0 ? { kind: "town_typed", text, candidates } : null;
    }
  }
}

function byLabel(text: string, labels: readonly string[], make: (index: number) => ProfileAnswer | null): ProfileAnswer | null {
  const index = labels.indexOf(text);
  return index >= 0 ? make(index) : null;
}

// The stored value of the index-th choice of a field (a postback names choices by position).
function valueAt(seeds: ProfileSeeds, field: ProfileField, index: number): ProfileAnswer | null {
  const { lists } = seeds;
  if (field === "town") {
    const town = lists.towns[index];
    return town ? { kind: "set", field, value: town.name, town } : null;
  }
  const value =
    field === "residence" ? RESIDENCE_CODES[index] : field === "school_district" ? lists.school_districts[index] : field === "age_band" ? lists.age_bands[index]?.code : undefined;
  return value === undefined ? null : { kind: "set", field, value };
}
