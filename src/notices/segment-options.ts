import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import { parse } from "yaml";
import { z } from "zod";
import { defaultSeedsDir, readSeedFile } from "../seeds/load-seeds.js";
import type { Database } from "../store/database.js";
import { INTEREST_CODES, type SegmentField } from "./segments.js";

// The values staff can choose for a segment, field by field, in one place: the compose form, the
// live count and the results page all read them from here. 校区, 町内 and age bands come from
// seeds/profile.yaml (the lists residents choose from) when it exists, else from the distinct
// values stored in resident_profiles; labels for residence and interests from seeds/notice-audience.yaml.
export interface Option {
  value: string;
  label: string;
}
export type SegmentOptions = Record<SegmentField, Option[]>;

const audienceLabelsSchema = z.strictObject({
  residence: z.strictObject({ city: z.string(), outside: z.string() }),
  interests: z.record(z.enum(INTEREST_CODES), z.string()),
});

const LIST_FIELDS = ["school_district", "town", "age_band"] as const;
// The names seeds/profile.yaml may use for each list (its own schema is the profile flow's).
const PROFILE_KEYS: Record<(typeof LIST_FIELDS)[number], string[]> = {
  school_district: ["school_districts", "school_district", "districts"],
  town: ["towns", "town"],
  age_band: ["age_bands", "age_band", "ages"],
};

export async function loadSegmentOptions(db: Kysely<Database>, seedsDir = defaultSeedsDir): Promise<SegmentOptions> {
  const labels = await readSeedFile(path.join(seedsDir, "notice-audience.yaml"), audienceLabelsSchema);
  const fromProfile = await profileLists(path.join(seedsDir, "profile.yaml"));
  const lists = {} as Record<(typeof LIST_FIELDS)[number], Option[]>;
  for (const field of LIST_FIELDS) {
    lists[field] = fromProfile?.[field] ?? (await storedValues(db, field));
  }
  return {
    residence: (["city", "outside"] as const).map((value) => ({ value, label: labels.residence[value] })),
    ...lists,
    interests: INTEREST_CODES.map((value) => ({ value, label: labels.interests[value] ?? value })),
  };
}

async function storedValues(db: Kysely<Database>, field: (typeof LIST_FIELDS)[number]): Promise<Option[]> {
  const rows = await db.selectFrom("resident_profiles").select(field).distinct().where(field, "is not", null).orderBy(field).execute();
  return rows.map((row) => ({ value: row[field]!, label: row[field]! }));
}

// Reads the lists out of seeds/profile.yaml: each a list of names, or of objects naming a value
// (value / id / code / name) and a label. Null when the file is absent or holds none of them.
async function profileLists(file: string): Promise<Partial<Record<(typeof LIST_FIELDS)[number], Option[]>> | null> {
  if (!existsSync(file)) return null;
  const data = parse(await readFile(file, "utf8")) as unknown;
  const found: Partial<Record<(typeof LIST_FIELDS)[number], Option[]>> = {};
  for (const field of LIST_FIELDS) {
    const list = findList(data, PROFILE_KEYS[field]);
    if (list) found[field] = list.map(toOption).filter((option): option is Option => option !== null);
  }
  return Object.keys(found).length > 0 ? found : null;
}

function findList(data: unknown, keys: string[]): unknown[] | null {
  if (!data || typeof data !== "object") return null;
  for (const [key, value] of Object.entries(data)) {
    if (keys.includes(key) && Array.isArray(value)) return value;
  }
  for (const value of Object.values(data)) {
    const nested = Array.isArray(value) ? null : findList(value, keys);
    if (nested) return nested;
  }
  return null;
}

function toOption(item: unknown): Option | null {
  if (typeof item === "string" || typeof item === "number") return { value: String(item), label: String(item) };
  if (!item || typeof item !== "object") return null;
  const record = item as Record<string, unknown>;
  const value = [record.value, record.id, record.code, record.name, record.label].find((candidate) => typeof candidate === "string") as string | undefined;
  if (!value) return null;
  const label = [record.label, record.name].find((candidate) => typeof candidate === "string") as string | undefined;
  return { value, label: label ?? value };
}
