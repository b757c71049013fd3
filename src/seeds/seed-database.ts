import type { Kysely, Transaction } from "kysely";
import type { Database } from "../store/database.js";
import { insertSurveyQuestions } from "../store/survey-questions.js";
import type { CitySeeds, FutureCafeSessionSeed, KpiIndicatorSeed, ListingSeed, SurveySeed } from "./schemas.js";

export interface SeedSummary {
  indicators: { inserted: number; updated: number };
  kpiValues: number;
  listings: { inserted: number; kept: number };
  surveys: { inserted: number; kept: number };
  futureCafeSessions: { inserted: number; kept: number };
}

// Loads the seeds in one transaction; running it again changes nothing that is already right.
// - KPI indicators and their yearly figures are the plan's: they are always brought in line with
//   seeds/kpi.yaml (an indicator's figures are replaced by the file's set).
// - Listings, surveys and 未来カフェ sessions belong to staff once loaded (they edit, publish, close them): one is
//   inserted only when its code or slug is absent, and an existing one is never overwritten.
export async function seedDatabase(db: Kysely<Database>, seeds: CitySeeds): Promise<SeedSummary> {
  return db.transaction().execute(async (trx) => {
    const summary: SeedSummary = {
      indicators: { inserted: 0, updated: 0 },
      kpiValues: 0,
      listings: { inserted: 0, kept: 0 },
      surveys: { inserted: 0, kept: 0 },
      futureCafeSessions: { inserted: 0, kept: 0 },
    };
    for (const [position, indicator] of seeds.indicators.entries()) {
      const existed = await upsertIndicator(trx, indicator, position);
      summary.indicators[existed ? "updated" : "inserted"] += 1;
      summary.kpiValues += indicator.values.length;
    }
    for (const listing of seeds.listings) summary.listings[(await insertListingIfAbsent(trx, listing)) ? "inserted" : "kept"] += 1;
    for (const survey of seeds.surveys) summary.surveys[(await insertSurveyIfAbsent(trx, survey)) ? "inserted" : "kept"] += 1;
    for (const session of seeds.futureCafeSessions) {
      summary.futureCafeSessions[(await insertSessionIfAbsent(trx, session)) ? "inserted" : "kept"] += 1;
    }
    return summary;
  });
}

async function insertSessionIfAbsent(trx: Transaction<Database>, session: FutureCafeSessionSeed): Promise<boolean> {
  const inserted = await trx
    .insertInto("future_cafe_sessions")
    .values({
      code: session.code,
      town: session.town,
      starts_at: session.starts_at,
      place: session.place,
      capacity: session.capacity ?? null,
      status: session.status,
      note: session.note ?? null,
    })
    .onConflict((conflict) => conflict.column("code").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

async function upsertIndicator(trx: Transaction<Database>, indicator: KpiIndicatorSeed, position: number): Promise<boolean> {
  const row = {
    name: indicator.name,
    aliases: JSON.stringify(indicator.aliases),
    unit: indicator.unit,
    policy_no: indicator.policy.no,
    policy_name: indicator.policy.name,
    level: indicator.level,
    baseline_value: indicator.baseline ?? null,
    achievement_mark: indicator.mark ?? null,
    target_value: indicator.target ?? null,
    departments: JSON.stringify(indicator.departments),
    live_source: indicator.live_source ?? null,
    note: indicator.note ?? null,
    position,
  };
  const existed = await trx.selectFrom("kpi_indicators").select("id").where("id", "=", indicator.id).executeTakeFirst();
  await trx
    .insertInto("kpi_indicators")
    .values({ id: indicator.id, ...row })
    .onConflict((conflict) => conflict.column("id").doUpdateSet(row))
    .execute();
  await trx.deleteFrom("kpi_values").where("indicator_id", "=", indicator.id).execute();
  if (indicator.values.length > 0) {
    await trx
      .insertInto("kpi_values")
      .values(
        indicator.values.map((value) => ({
          indicator_id: indicator.id,
          fiscal_year: value.fy,
          kind: value.kind,
          source: value.source,
          value: value.value,
        })),
      )
      .execute();
  }
  return existed !== undefined;
}

async function insertListingIfAbsent(trx: Transaction<Database>, listing: ListingSeed): Promise<boolean> {
  const inserted = await trx
    .insertInto("vacant_house_listings")
    .values({
      code: listing.code,
      title: listing.title,
      area: listing.area,
      address: listing.address ?? null,
      deal_type: listing.deal_type,
      price_yen: listing.price_yen,
      layout: listing.layout ?? null,
      floor_area_sqm: listing.floor_area_sqm ?? null,
      land_area_sqm: listing.land_area_sqm ?? null,
      built_year: listing.built_year ?? null,
      description: listing.description ?? null,
      photo_url: listing.photo_url ?? null,
      status: listing.status,
      contracted_at: listing.contracted_at ?? null,
    })
    .onConflict((conflict) => conflict.column("code").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

async function insertSurveyIfAbsent(trx: Transaction<Database>, survey: SurveySeed): Promise<boolean> {
  const inserted = await trx
    .insertInto("surveys")
    .values({
      slug: survey.slug,
      title: survey.title,
      description: survey.description ?? null,
      department: survey.department ?? null,
      status: survey.status,
      audience: survey.audience,
    })
    .onConflict((conflict) => conflict.column("slug").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!inserted) return false;
  await insertSurveyQuestions(trx, inserted.id, survey.questions);
  return true;
}
