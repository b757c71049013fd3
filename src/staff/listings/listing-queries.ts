import path from "node:path";
import { sql, type Kysely, type Transaction } from "kysely";
import { z } from "zod";
import { defaultSeedsDir, readSeedFile } from "../../seeds/load-seeds.js";
import type { Database } from "../../store/database.js";
import type { ListingStatus } from "../../store/tables/listings.js";
import type { ListingValues } from "./listing-form.js";
import { ACTION_FROM, ACTION_TO, type ListingAction } from "./listing-rules.js";

// Reading and writing vacant-house listings for the console.
type Db = Kysely<Database> | Transaction<Database>;

// Listings are a few hundred at most in a city's bank; the list shows them all, up to this.
export const LIST_LIMIT = 1000;

export function listingIdOf(param: unknown): string | null {
  return typeof param === "string" && /^[1-9]\d{0,17}$/.test(param) ? param : null;
}

// contracted_at is a calendar day: read as text, so no time zone moves it.
const contractedOn = sql<string | null>`to_char(vacant_house_listings.contracted_at, 'YYYY-MM-DD')`.as("contracted_on");

export async function listListings(db: Db, status: ListingStatus | undefined) {
  let query = db
    .selectFrom("vacant_house_listings")
    .leftJoin("listing_photos", "listing_photos.listing_id", "vacant_house_listings.id")
    .select([
      "vacant_house_listings.id",
      "vacant_house_listings.code",
      "vacant_house_listings.title",
      "vacant_house_listings.area",
      "vacant_house_listings.deal_type",
      "vacant_house_listings.price_yen",
      "vacant_house_listings.layout",
      "vacant_house_listings.status",
      "vacant_house_listings.updated_at",
      "listing_photos.id as photo_id",
      contractedOn,
    ]);
  if (status) query = query.where("vacant_house_listings.status", "=", status);
  return query.orderBy("vacant_house_listings.code").limit(LIST_LIMIT).execute();
}

export async function countListingsByStatus(db: Db): Promise<Record<ListingStatus, number>> {
  const rows = await db.selectFrom("vacant_house_listings").select(["status", (eb) => eb.fn.countAll().as("n")]).groupBy("status").execute();
  const counts: Record<ListingStatus, number> = { draft: 0, published: 0, unpublished: 0, contracted: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

export async function findListing(db: Db, id: string) {
  return db
    .selectFrom("vacant_house_listings")
    .leftJoin("listing_photos", "listing_photos.listing_id", "vacant_house_listings.id")
    .selectAll("vacant_house_listings")
    .select([contractedOn, "listing_photos.id as photo_id", "listing_photos.content_type as photo_type", "listing_photos.byte_size as photo_bytes", "listing_photos.created_at as photo_at"])
    .where("vacant_house_listings.id", "=", id)
    .executeTakeFirst();
}
export type ListingDetail = NonNullable<Awaited<ReturnType<typeof findListing>>>;

const areasFile = z.strictObject({ areas: z.array(z.string().min(1)) });
let seedAreas: Promise<string[]> | null = null;

// The areas a listing may be in: the town names residents' searches know (seeds/areas.yaml) and
// those of the listings already in the bank.
export async function areaChoices(db: Db): Promise<string[]> {
  seedAreas ??= readSeedFile(path.join(defaultSeedsDir, "areas.yaml"), areasFile).then(
    (file) => file.areas,
    (error: unknown) => {
      seedAreas = null;
      throw error;
    },
  );
  const [fromSeeds, inUse] = await Promise.all([seedAreas, db.selectFrom("vacant_house_listings").select("area").distinct().execute()]);
  return [...new Set([...fromSeeds, ...inUse.map((row) => row.area)])];
}

// The next free number in the bank's AK-nnn series, as a suggestion for a new listing.
export async function suggestCode(db: Db): Promise<string> {
  const rows = await db.selectFrom("vacant_house_listings").select("code").where("code", "like", "AK-%").execute();
  const highest = rows.reduce((max, row) => Math.max(max, /^AK-(\d+)$/.test(row.code) ? Number(row.code.slice(3)) : 0), 0);
  return `AK-${String(highest + 1).padStart(3, "0")}`;
}

export async function codeTaken(db: Db, code: string): Promise<boolean> {
  return Boolean(await db.selectFrom("vacant_house_listings").select("id").where("code", "=", code).executeTakeFirst());
}

// A new listing starts as a draft: residents see it once staff publish it.
export async function createListing(trx: Transaction<Database>, code: string, values: ListingValues, now: Date): Promise<string> {
  const row = await trx
    .insertInto("vacant_house_listings")
    .values({ ...values, code, status: "draft", created_at: now, updated_at: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateListing(trx: Transaction<Database>, id: string, values: ListingValues, now: Date): Promise<void> {
  await trx.updateTable("vacant_house_listings").set({ ...values, updated_at: now }).where("id", "=", id).execute();
}

// Moves a listing on if it is still in a state the action starts from (another person may have
// changed it meanwhile); false when it was not.
export async function changeStatus(trx: Transaction<Database>, id: string, action: ListingAction, now: Date, contractDate: string | null = null): Promise<boolean> {
  const result = await trx
    .updateTable("vacant_house_listings")
    .set({ status: ACTION_TO[action], contracted_at: action === "contract" ? contractDate : null, updated_at: now })
    .where("id", "=", id)
    .where("status", "in", [...ACTION_FROM[action]])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// Replaces the listing's photo (one per listing) and sets the listing's photo_url as `urlFor` says
// from the new photo's id and the current photo_url. The listing row is locked first, so two
// uploads at once end with one photo. Null when the listing does not exist.
export async function replacePhoto(
  trx: Transaction<Database>,
  listingId: string,
  photo: { contentType: "image/jpeg" | "image/png" | "image/webp"; bytes: Buffer },
  urlFor: (photoId: string, current: string | null) => string | null,
  now: Date,
): Promise<{ photoId: string; photoUrl: string | null } | null> {
  const listing = await trx.selectFrom("vacant_house_listings").select(["id", "photo_url"]).where("id", "=", listingId).forUpdate().executeTakeFirst();
  if (!listing) return null;
  await trx.deleteFrom("listing_photos").where("listing_id", "=", listingId).execute();
  const row = await trx
    .insertInto("listing_photos")
    .values({ listing_id: listingId, content_type: photo.contentType, byte_size: photo.bytes.length, content: photo.bytes, created_at: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  const photoUrl = urlFor(row.id, listing.photo_url);
  await trx.updateTable("vacant_house_listings").set({ photo_url: photoUrl, updated_at: now }).where("id", "=", listingId).execute();
  return { photoId: row.id, photoUrl };
}

export async function photoOfListing(db: Db, listingId: string) {
  return db.selectFrom("listing_photos").select(["id", "content_type", "content"]).where("listing_id", "=", listingId).executeTakeFirst();
}

// A photo residents may load: only while its listing is published.
export async function publishedPhoto(db: Db, photoId: string) {
  return db
    .selectFrom("listing_photos")
    .innerJoin("vacant_house_listings", "vacant_house_listings.id", "listing_photos.listing_id")
    .select(["listing_photos.id", "listing_photos.content_type", "listing_photos.content"])
    .where("listing_photos.id", "=", photoId)
    .where("vacant_house_listings.status", "=", "published")
    .executeTakeFirst();
}
