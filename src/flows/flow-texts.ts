import path from "node:path";
import { z } from "zod";
import { defaultSeedsDir, readSeedFile } from "../seeds/load-seeds.js";
import { loadProfileSeeds, type ProfileSeeds } from "./profile/profile-seeds.js";

// The words of each conversation flow, from seeds/flows/*.yaml.
const answer = z.string().min(1).max(5000);
const label = z.string().min(1).max(20);
const choiceQuestion = z.strictObject({ prompt: answer, choices: z.array(label).min(2).max(12) });
const freeQuestion = z.strictObject({ prompt: answer });
const checkedQuestion = z.strictObject({ prompt: answer, invalid: answer });

export const relocationTextsSchema = z.strictObject({
  department: z.string().min(1),
  start_button: label,
  intro: answer,
  topic: choiceQuestion,
  household: choiceQuestion,
  residence: freeQuestion,
  contact_method: choiceQuestion,
  phone: checkedQuestion,
  email: checkedQuestion,
  details: freeQuestion,
  confirm: z.strictObject({
    prompt: answer,
    send: label,
    restart: label,
    labels: z.strictObject({ topic: label, household: label, residence: label, contact: label, details: label }),
  }),
  done: answer.refine((text) => text.includes("{reference}"), "must contain {reference}"),
});

const withPlaceholder = (...names: string[]) =>
  answer.refine((text) => names.every((name) => text.includes(`{${name}}`)), `must contain ${names.map((name) => `{${name}}`).join(" and ")}`);
const confirmTexts = z.strictObject({ prompt: answer, send: label, restart: label });
const contactQuestions = {
  contact_method: choiceQuestion,
  phone: checkedQuestion,
  email: checkedQuestion,
};

export const vacantHouseTextsSchema = z.strictObject({
  department: z.string().min(1),
  page_size: z.number().int().min(1).max(9),
  found: withPlaceholder("count", "criteria"),
  found_all: withPlaceholder("count"),
  no_match: withPlaceholder("criteria"),
  nothing_listed: answer,
  alt_text: z.string().min(1).max(400),
  criteria: z.strictObject({ rent: label, sale: label, max: answer, min: answer, rooms: answer, area: answer }),
  buttons: z.strictObject({ more: label, rent_only: label, sale_only: label, widen: label, register: label }),
  card: z.strictObject({
    rent_price: withPlaceholder("price"),
    sale_price: withPlaceholder("price"),
    rent: label,
    sale: label,
    layout: label,
    area: label,
    built: label,
    built_value: withPlaceholder("year"),
    floor: label,
    floor_value: withPlaceholder("sqm"),
    no_photo: answer,
    inquire: label,
    more_title: label,
    more_text: withPlaceholder("count"),
  }),
  listing_gone: answer,
  inquiry: z.strictObject({
    intro: withPlaceholder("title", "code"),
    message: freeQuestion,
    ...contactQuestions,
    labels: z.strictObject({ listing: label, message: label, contact: label }),
    done: withPlaceholder("reference"),
  }),
  registration: z.strictObject({
    intro: answer,
    location: freeQuestion,
    intent: choiceQuestion,
    details: z.strictObject({ prompt: answer, skip: label }),
    ...contactQuestions,
    labels: z.strictObject({ location: label, intent: label, details: label, contact: label }),
    done: withPlaceholder("reference"),
  }),
  confirm: confirmTexts,
});

export const reportTextsSchema = z.strictObject({
  categories: z.array(z.strictObject({ label, department: z.string().min(1) })).min(2).max(12),
  max_photos: z.number().int().min(0).max(10),
  max_photo_bytes: z.number().int().min(1024).max(50 * 1024 * 1024),
  intro: answer,
  category: answer,
  location: z.strictObject({ prompt: answer, button: label }),
  photos: z.strictObject({
    prompt: withPlaceholder("max"),
    camera: label,
    camera_roll: label,
    none: label,
    next: label,
    received: withPlaceholder("count", "max"),
    too_large: withPlaceholder("limit"),
    not_image: answer,
    gone: answer,
  }),
  description: freeQuestion,
  confirm: confirmTexts.extend({
    labels: z.strictObject({ category: label, location: label, photos: label, description: label }),
    photos_value: withPlaceholder("count"),
    location_pin: withPlaceholder("lat", "lng"),
  }),
  done: withPlaceholder("reference", "department"),
  status: z.strictObject({
    heading: answer,
    none: answer,
    line: withPlaceholder("reference", "status"),
    labels: z.strictObject({ new: label, in_progress: label, closed: label }),
  }),
  // Pushed to the resident when staff move the report to 対応中 / 完了.
  status_pushes: z.strictObject({ in_progress: withPlaceholder("reference"), closed: withPlaceholder("reference") }),
});

export const surveyTextsSchema = z.strictObject({
  list: answer,
  none: answer,
  not_open: answer,
  intro: withPlaceholder("title", "count"),
  already_answered: withPlaceholder("title", "date"),
  redo: label,
  keep: label,
  kept: answer,
  progress: withPlaceholder("number", "count"),
  single_hint: answer,
  scale_hint: answer,
  multiple_hint: answer,
  multiple_selected: withPlaceholder("selected"),
  multiple_done: label,
  multiple_required: answer,
  text_hint: answer,
  skip: label,
  invalid: answer,
  thanks: answer,
  replaced: answer,
});

export const futureCafeTextsSchema = z.strictObject({
  department: z.string().min(1),
  reminder_hour: z.number().int().min(0).max(23),
  upcoming: answer,
  none_upcoming: answer,
  session_line: withPlaceholder("date", "town"),
  signup_button: z.string().min(1),
  signed_up_line: withPlaceholder("town"),
  withdraw_button: z.string().min(1),
  party_size: choiceQuestion,
  confirm: confirmTexts.extend({ labels: z.strictObject({ session: label, place: label, party_size: label }) }),
  done: withPlaceholder("date", "place"),
  done_soon: withPlaceholder("date", "place"),
  already: withPlaceholder("count"),
  full: answer,
  gone: answer,
  withdrawn: withPlaceholder("town"),
  reminder: withPlaceholder("date", "place"),
});

export const humanTextsSchema = z.strictObject({
  department: z.string().min(1),
  opened: answer.refine((text) => text.includes("{reference}"), "must contain {reference}"),
});

export type RelocationTexts = z.infer<typeof relocationTextsSchema>;
export type HumanTexts = z.infer<typeof humanTextsSchema>;
export type VacantHouseTexts = z.infer<typeof vacantHouseTextsSchema>;
export type ReportTexts = z.infer<typeof reportTextsSchema>;
export type SurveyTexts = z.infer<typeof surveyTextsSchema>;
export type FutureCafeTexts = z.infer<typeof futureCafeTextsSchema>;
export interface FlowTexts {
  report: ReportTexts;
  survey: SurveyTexts;
  futureCafe: FutureCafeTexts;
  relocation: RelocationTexts;
  human: HumanTexts;
  vacantHouse: VacantHouseTexts;
  profile: ProfileSeeds;
}

export async function loadFlowTexts(dir = defaultSeedsDir): Promise<FlowTexts> {
  return {
    relocation: await readSeedFile(path.join(dir, "flows", "relocation.yaml"), relocationTextsSchema),
    human: await readSeedFile(path.join(dir, "flows", "human.yaml"), humanTextsSchema),
    vacantHouse: await readSeedFile(path.join(dir, "flows", "vacant_house.yaml"), vacantHouseTextsSchema),
    report: await readSeedFile(path.join(dir, "flows", "report.yaml"), reportTextsSchema),
    survey: await readSeedFile(path.join(dir, "flows", "survey.yaml"), surveyTextsSchema),
    futureCafe: await readSeedFile(path.join(dir, "flows", "future_cafe.yaml"), futureCafeTextsSchema),
    profile: await loadProfileSeeds(dir),
  };
}
