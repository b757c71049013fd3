import type { ColumnType, Generated } from "kysely";
import type { Timestamp, NullableNumeric } from "./column-types.js";

export type ListingStatus = "draft" | "published" | "unpublished" | "contracted";

export interface VacantHouseListingsTable {
  id: Generated<string>;
  code: string;
  title: string;
  area: string;
  address: string | null;
  deal_type: "rent" | "sale";
  price_yen: number;
  layout: string | null;
  floor_area_sqm: NullableNumeric;
  land_area_sqm: NullableNumeric;
  built_year: number | null;
  description: string | null;
  photo_url: string | null;
  status: ColumnType<ListingStatus, ListingStatus | undefined, ListingStatus>;
  contracted_at: ColumnType<Date | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ListingPhotosTable {
  id: Generated<string>;
  listing_id: string;
  content_type: "image/jpeg" | "image/png" | "image/webp";
  byte_size: number;
  content: Uint8Array;
  created_at: Timestamp;
}
