import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { z } from "zod";
import { futureCafeFileSchema, kpiFileSchema, listingsFileSchema, surveySchema, type CitySeeds } from "./schemas.js";

export const defaultSeedsDir = fileURLToPath(new URL("../../seeds", import.meta.url));

// Reads and checks every seed file. An error names the file and the path of the bad value, so a
// clerk who edited the YAML knows where to look.
export async function loadSeeds(dir = defaultSeedsDir): Promise<CitySeeds> {
  const kpi = await readSeedFile(path.join(dir, "kpi.yaml"), kpiFileSchema);
  const listings = await readSeedFile(path.join(dir, "listings.yaml"), listingsFileSchema);
  const surveyDir = path.join(dir, "surveys");
  const surveyFiles = (await readdir(surveyDir)).filter((name) => name.endsWith(".yaml") || name.endsWith(".yml")).sort();
  const surveys = [];
  for (const name of surveyFiles) surveys.push(await readSeedFile(path.join(surveyDir, name), surveySchema));
  const futureCafe = await readSeedFile(path.join(dir, "future-cafe.yaml"), futureCafeFileSchema);
  assertUnique(futureCafe.sessions.map((session) => session.code), "future-cafe.yaml: session code");
  assertUnique(kpi.indicators.map((indicator) => indicator.id), "kpi.yaml: indicator id");
  assertUnique(listings.listings.map((listing) => listing.code), "listings.yaml: listing code");
  assertUnique(surveys.map((survey) => survey.slug), "surveys/: survey slug");
  return { indicators: kpi.indicators, listings: listings.listings, surveys, futureCafeSessions: futureCafe.sessions };
}

// Reads one YAML seed file and checks it against its schema; the error names the file and the
// path of every bad value.
export async function readSeedFile<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  let data: unknown;
  try {
    data = parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: cannot be read as YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`);
    throw new Error(`${file} is not valid:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

function assertUnique(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new Error(`${what} "${value}" appears twice`);
    seen.add(value);
  }
}
