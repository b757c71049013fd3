import path from "node:path";
import { z } from "zod";
import { defaultSeedsDir, readSeedFile } from "../../seeds/load-seeds.js";

// The 受信設定 lists (seeds/profile.yaml) and the flow's words (seeds/flows/profile.yaml).
const answer = z.string().min(1).max(5000);
// LINE's limit for a quick-reply label.
const label = z.string().min(1).max(20);
const code = z.string().regex(/^[a-z0-9_]{1,32}$/, "lower-case letters, digits and _ only");
const withPlaceholder = (...names: string[]) =>
  answer.refine((text) => names.every((name) => text.includes(`{${name}}`)), `must contain ${names.map((name) => `{${name}}`).join(" and ")}`);

export const INTEREST_CODES = ["relocation", "childcare", "disaster", "events", "furusato", "city_info"] as const;

const distinctBy = <T>(key: (item: T) => string, what: string) => (items: T[], context: z.RefinementCtx) => {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(key(item))) context.addIssue({ code: "custom", message: `${what} "${key(item)}" is listed twice` });
    seen.add(key(item));
  }
};

export const profileListsSchema = z
  .strictObject({
    statement: answer,
    relocation_menu_alias: z.string().regex(/^[a-z0-9_-]{1,32}$/, "a rich menu alias: a-z, 0-9, _ and - only, up to 32"),
    school_districts: z.array(label).min(1).max(12).superRefine(distinctBy((name) => name, "校区")),
    towns: z
      .array(z.strictObject({ name: label, reading: z.string().regex(/^[ぁ-ゖー]+$/, "hiragana only"), district: label.optional() }))
      .min(1)
      .superRefine(distinctBy((town) => town.name, "町内")),
    age_bands: z.array(z.strictObject({ code, label })).min(2).max(12).superRefine(distinctBy((band) => band.code, "age band")),
    interests: z
      .array(z.strictObject({ code: z.enum(INTEREST_CODES), label }))
      .length(INTEREST_CODES.length)
      .superRefine(distinctBy((interest) => interest.code, "interest")),
  })
  .superRefine((lists, context) => {
    for (const town of lists.towns) {
      if (town.district && !lists.school_districts.includes(town.district)) {
        context.addIssue({ code: "custom", message: `town ${town.name}: district "${town.district}" is not in school_districts` });
      }
    }
  });

export const profileTextsSchema = z.strictObject({
  intro: answer,
  progress: withPlaceholder("number", "count"),
  residence: z.strictObject({ prompt: answer, city: label, outside: label }),
  district: z.strictObject({ prompt: answer }),
  town: z.strictObject({
    prompt: answer,
    list: label,
    next_page: label,
    candidates: withPlaceholder("text"),
    not_found: withPlaceholder("text"),
    page: withPlaceholder("from", "to", "count"),
  }),
  age_band: z.strictObject({ prompt: answer }),
  interests: z.strictObject({ prompt: answer, selected: withPlaceholder("selected"), done: label }),
  skip: label,
  saved: answer,
  summary: z.strictObject({ heading: answer, residence: label, district: label, town: label, age_band: label, interests: label, empty: label, none: label }),
  menu: z.strictObject({ prompt: answer, residence: label, district: label, town: label, age_band: label, interests: label, about: label, delete: label, close: label }),
  closed: answer,
  delete: z.strictObject({ words: z.array(z.string().min(1)).min(1), confirm: answer, yes: label, no: label, done: answer, nothing: answer }),
  outside_note: answer,
});

export type ProfileLists = z.infer<typeof profileListsSchema>;
export type ProfileTexts = z.infer<typeof profileTextsSchema>;
export interface ProfileSeeds {
  lists: ProfileLists;
  texts: ProfileTexts;
}

export async function loadProfileSeeds(dir = defaultSeedsDir): Promise<ProfileSeeds> {
  return {
    lists: await readSeedFile(path.join(dir, "profile.yaml"), profileListsSchema),
    texts: await readSeedFile(path.join(dir, "flows", "profile.yaml"), profileTextsSchema),
  };
}
