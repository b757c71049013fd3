import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { defaultSeedsDir, loadSeeds, readSeedFile } from "../seeds/load-seeds.js";
import { INTENTS } from "./intent-names.js";
import type { RouterData } from "./router.js";

// Reads everything the router knows from seeds/: one file per intent in seeds/intents, the
// language data (emoji, dialect), the KPI indicators' names and aliases, and the area names.

const intentFileSchema = z.strictObject({
  intent: z.enum(INTENTS),
  label: z.string().min(1).max(20),
  answer: z.string().min(1).max(5000),
  keywords: z.array(z.strictObject({ term: z.string().min(1), reading: z.string().regex(/^[ぁ-ゖー]+$/, "hiragana only").optional(), weight: z.number().positive().max(10) })),
  examples: z.array(z.string().min(1)).min(1),
});

const languageSchema = z.strictObject({
  emoji: z.record(z.string(), z.string()),
  dialect: z.array(z.strictObject({ from: z.string().min(1), to: z.string() })),
});

const areasSchema = z.strictObject({ areas: z.array(z.string().min(1)) });

export async function loadRouterData(dir = defaultSeedsDir): Promise<RouterData> {
  const intentDir = path.join(dir, "intents");
  const files = (await readdir(intentDir)).filter((file) => file.endsWith(".yaml")).sort();
  const intents: z.infer<typeof intentFileSchema>[] = [];
  for (const file of files) {
    const seed = await readSeedFile(path.join(intentDir, file), intentFileSchema);
    if (`${seed.intent}.yaml` !== file) throw new Error(`${path.join(intentDir, file)}: holds intent "${seed.intent}"; name the file ${seed.intent}.yaml`);
    intents.push(seed);
  }
  const missing = INTENTS.filter((intent) => !intents.some((seed) => seed.intent === intent));
  if (missing.length > 0) throw new Error(`${intentDir}: no file for intent(s) ${missing.join(", ")}`);
  const language = await readSeedFile(path.join(dir, "language", "normalization.yaml"), languageSchema);
  const areas = await readSeedFile(path.join(dir, "areas.yaml"), areasSchema);
  const seeds = await loadSeeds(dir);
  return {
    intents,
    language,
    entities: {
      indicators: seeds.indicators.map((indicator) => ({ id: indicator.id, name: indicator.name, aliases: indicator.aliases })),
      areas: [...areas.areas, ...seeds.listings.map((listing) => listing.area)],
    },
  };
}
