import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/store/database.js";
import type { Residence } from "../../src/store/tables/residents.js";

// Friends of the account with a 受信設定 profile, written straight into the tables the profile flow
// fills (the flow itself is tested with it). Ids sort in creation order: "U" + 32 digits.
export interface ResidentFixture {
  userId: string;
  following: boolean;
  profile: { residence: Residence | null; school_district: string | null; town: string | null; age_band: string | null; interests: string[] } | null;
}

export const residentId = (index: number) => `U${String(index).padStart(32, "0")}`;

export async function addResidents(db: Kysely<Database>, residents: ResidentFixture[]): Promise<void> {
  for (let start = 0; start < residents.length; start += 1000) {
    const chunk = residents.slice(start, start + 1000);
    await db
      .insertInto("line_users")
      .values(chunk.map((resident) => ({ user_id: resident.userId, follow_state: resident.following ? "following" : "blocked" })))
      .execute();
    const profiles = chunk.filter((resident) => resident.profile !== null);
    if (profiles.length > 0) {
      await db
        .insertInto("resident_profiles")
        .values(profiles.map((resident) => ({ user_id: resident.userId, ...resident.profile!, interests: textArray(resident.profile!.interests) })))
        .execute();
    }
  }
}

// `count` following residents who all match { residence: city, interests: [events] }, generated in
// the database (fast enough for the 100,000 of the benchmark).
export async function addEventFans(db: Kysely<Database>, count: number, firstIndex = 1): Promise<void> {
  await sql`insert into line_users (user_id, follow_state)
            select 'U' || lpad(i::text, 32, '0'), 'following' from generate_series(${firstIndex}::int, ${firstIndex + count - 1}::int) i`.execute(db);
  await sql`insert into resident_profiles (user_id, residence, interests)
            select 'U' || lpad(i::text, 32, '0'), 'city', array['events'] from generate_series(${firstIndex}::int, ${firstIndex + count - 1}::int) i`.execute(db);
}

function textArray(values: string[]): string[] {
  const literal = values.length === 0 ? sql`'{}'::text[]` : sql`array[${sql.join(values)}]::text[]`;
  return literal as unknown as string[];
}
