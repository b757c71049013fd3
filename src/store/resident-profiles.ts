import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database } from "./database.js";
import type { Residence, ResidentProfilesTable } from "./tables/residents.js";

type Db = Kysely<Database> | Transaction<Database>;

export type ResidentProfile = Pick<Selectable<ResidentProfilesTable>, "residence" | "school_district" | "town" | "age_band" | "interests">;
export type ProfileChange = Partial<ResidentProfile>;

export const EMPTY_PROFILE: ResidentProfile = { residence: null, school_district: null, town: null, age_band: null, interests: [] };

export async function loadProfile(db: Db, userId: string): Promise<ResidentProfile | null> {
  const row = await db
    .selectFrom("resident_profiles")
    .select(["residence", "school_district", "town", "age_band", "interests"])
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row ?? null;
}

// Writes the changed fields (creating the profile on the first answer) and returns the whole
// profile as saved. Someone who lives elsewhere has no 校区 or 町内 here: choosing 'outside' clears them.
export async function saveProfile(db: Db, userId: string, change: ProfileChange, at: Date): Promise<ResidentProfile> {
  const values = change.residence === ("outside" satisfies Residence) ? { ...change, school_district: null, town: null } : change;
  const row = await db
    .insertInto("resident_profiles")
    .values({ user_id: userId, ...values, created_at: at, updated_at: at })
    .onConflict((conflict) => conflict.column("user_id").doUpdateSet({ ...values, updated_at: sql`greatest(resident_profiles.updated_at, excluded.updated_at)` }))
    .returning(["residence", "school_district", "town", "age_band", "interests"])
    .executeTakeFirstOrThrow();
  return row;
}

export async function deleteProfile(db: Db, userId: string): Promise<boolean> {
  const result = await db.deleteFrom("resident_profiles").where("user_id", "=", userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
