import type { messagingApi } from "@line/bot-sdk";
import type { ResidentProfile } from "../../store/resident-profiles.js";
import { quickReplyText } from "../flow.js";
import { postbackData } from "../../line/postback-data.js";
import type { ProfileSeeds } from "./profile-seeds.js";
import type { TownEntry } from "./town-match.js";

// What the 受信設定 flow says: the summary of a profile, the menu of changes, one question per
// field. Pure: data in, LINE messages out.
export const FLOW = "profile";
export const FIELDS = ["residence", "school_district", "town", "age_band", "interests"] as const;
export type ProfileField = (typeof FIELDS)[number];

const QUICK_REPLY_LIMIT = 13;
// Towns per page of the list: with 「次の町内」 and 「答えない」, thirteen buttons at most.
export const TOWNS_PER_PAGE = QUICK_REPLY_LIMIT - 2;

type Button = { label: string; data: string };
const button = (label: string, action: string, argument = ""): Button => ({ label, data: postbackData(FLOW, action, argument) });

// The text key of each field in seeds/flows/profile.yaml.
const TEXT_KEY = { residence: "residence", school_district: "district", town: "town", age_band: "age_band", interests: "interests" } as const;

export function summaryText(seeds: ProfileSeeds, profile: ResidentProfile | null): string {
  const { texts, lists } = seeds;
  const labels = texts.summary;
  const shown = (value: string | null | undefined) => value ?? labels.empty;
  const residence = profile?.residence === "city" ? texts.residence.city : profile?.residence === "outside" ? texts.residence.outside : null;
  const age = lists.age_bands.find((band) => band.code === profile?.age_band)?.label;
  const interests = (profile?.interests ?? []).map((code) => lists.interests.find((interest) => interest.code === code)?.label ?? code);
  const lines = [
    `【${labels.heading}】`,
    `・${labels.residence}：${shown(residence)}`,
    ...(profile?.residence === "outside" ? [] : [`・${labels.district}：${shown(profile?.school_district)}`, `・${labels.town}：${shown(profile?.town)}`]),
    `・${labels.age_band}：${shown(age)}`,
    `・${labels.interests}：${profile === null ? labels.empty : interests.length > 0 ? interests.join("、") : labels.none}`,
  ];
  return lines.join("\n");
}

// The profile and what can be done with it, as quick replies.
export function menuMessage(seeds: ProfileSeeds, profile: ResidentProfile | null, lead: string | null): messagingApi.TextMessage {
  const menu = seeds.texts.menu;
  const fields = FIELDS.filter((field) => profile?.residence !== "outside" || (field !== "school_district" && field !== "town"));
  const text = [lead, summaryText(seeds, profile), menu.prompt].filter((part) => part !== null).join("\n\n");
  return quickReplyText(text, [
    ...fields.map((field) => button(menu[TEXT_KEY[field]], "edit", field)),
    button(menu.about, "about"),
    ...(profile ? [button(menu.delete, "delete")] : []),
    button(menu.close, "close"),
  ]);
}

export function deleteQuestion(seeds: ProfileSeeds): messagingApi.TextMessage {
  const texts = seeds.texts.delete;
  return quickReplyText(texts.confirm, [button(texts.yes, "delete_yes"), button(texts.no, "delete_no")]);
}

// One field's question; `lead` goes before it (a progress mark, a note).
export function fieldQuestion(seeds: ProfileSeeds, field: ProfileField, profile: ResidentProfile | null, picked: readonly string[], lead: string | null): messagingApi.TextMessage {
  const { texts, lists } = seeds;
  const skip = button(texts.skip, "skip", field);
  const withLead = (prompt: string) => (lead ? `${lead}\n${prompt}` : prompt);
  switch (field) {
    case "residence":
      return quickReplyText(withLead(texts.residence.prompt), [button(texts.residence.city, "set", "residence:0"), button(texts.residence.outside, "set", "residence:1"), skip]);
    case "school_district":
      return quickReplyText(withLead(texts.district.prompt), [...lists.school_districts.map((name, index) => button(name, "set", `school_district:${index}`)), skip].slice(0, QUICK_REPLY_LIMIT));
    case "town": {
      // A 校区 whose towns the list names offers them as buttons; otherwise the resident types.
      const inDistrict = profile?.school_district ? lists.towns.filter((town) => town.district === profile.school_district) : [];
      const offered = inDistrict.length <= TOWNS_PER_PAGE ? inDistrict : [];
      return quickReplyText(withLead(texts.town.prompt), [...offered.map((town) => townButton(lists.towns, town)), button(texts.town.list, "town_page", "0"), skip]);
    }
    case "age_band":
      return quickReplyText(withLead(texts.age_band.prompt), [...lists.age_bands.map((band, index) => button(band.label, "set", `age_band:${index}`)), skip]);
    case "interests": {
      const selected = picked.length > 0 ? `\n${texts.interests.selected.replace("{selected}", picked.map((code) => lists.interests.find((interest) => interest.code === code)?.label ?? code).join("、"))}` : "";
      return quickReplyText(withLead(`${texts.interests.prompt}${selected}`), [
        ...lists.interests.map((interest, index) => button(`${picked.includes(interest.code) ? "✓ " : ""}${interest.label}`.slice(0, 20), "toggle", String(index))),
        button(texts.interests.done, "done"),
        skip,
      ]);
    }
  }
}

// A page of the whole 町内 list (for a resident who would rather pick than type).
export function townPage(seeds: ProfileSeeds, page: number): messagingApi.TextMessage {
  const { texts, lists } = seeds;
  const from = page * TOWNS_PER_PAGE;
  const shown = lists.towns.slice(from, from + TOWNS_PER_PAGE);
  const more = from + TOWNS_PER_PAGE < lists.towns.length;
  const text = texts.town.page.replace("{from}", String(from + 1)).replace("{to}", String(from + shown.length)).replace("{count}", String(lists.towns.length));
  return quickReplyText(text, [
    ...shown.map((town) => townButton(lists.towns, town)),
    ...(more ? [button(texts.town.next_page, "town_page", String(page + 1))] : []),
    button(texts.skip, "skip", "town"),
  ]);
}

// Towns a typed name could mean, to choose from.
export function townCandidates(seeds: ProfileSeeds, typed: string, candidates: readonly TownEntry[]): messagingApi.TextMessage {
  const { texts, lists } = seeds;
  const buttons = candidates.slice(0, TOWNS_PER_PAGE).map((town) => townButton(lists.towns, town));
  return quickReplyText(texts.town.candidates.replace("{text}", typed.slice(0, 40)), [...buttons, button(texts.town.list, "town_page", "0")]);
}

export function townNotFound(seeds: ProfileSeeds, typed: string): messagingApi.TextMessage {
  const { texts } = seeds;
  return quickReplyText(texts.town.not_found.replace("{text}", typed.slice(0, 40)), [button(texts.town.list, "town_page", "0"), button(texts.skip, "skip", "town")]);
}

function townButton(towns: readonly TownEntry[], town: TownEntry): Button {
  return button(town.name, "set", `town:${towns.indexOf(town)}`);
}
