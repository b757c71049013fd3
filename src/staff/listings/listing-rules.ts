import type { ListingStatus } from "../../store/tables/listings.js";
import type { StaffPrincipal } from "../sessions.js";

// What may happen to a listing, and who may do it. Pure: no database here.
export interface ListingOptions {
  // PUBLIC_BASE_URL: an uploaded photo becomes the listing's photo_url only when this is set.
  publicBaseUrl: string | null;
  // The department that runs the 空き家バンク (seeds/flows/vacant_house.yaml).
  department: string;
}

export const LISTING_STATUS_LABELS: Record<ListingStatus, string> = {
  draft: "下書き",
  published: "公開中",
  unpublished: "非公開",
  contracted: "成約済み",
};

export const DEAL_LABELS: Record<"rent" | "sale", string> = { rent: "賃貸", sale: "売買" };

// Everyone signed in may look; the 空き家バンク's department and admins may change.
export function canEditListings(staff: Pick<StaffPrincipal, "role" | "department">, options: Pick<ListingOptions, "department">): boolean {
  return staff.role === "admin" || staff.department === options.department;
}

export type ListingAction = "publish" | "unpublish" | "contract" | "uncontract";

// From which states each action starts. A contracted listing is not published again by mistake:
// the contract is withdrawn first (it goes back to 非公開). Contracting a contracted listing
// corrects its date.
export const ACTION_FROM: Record<ListingAction, readonly ListingStatus[]> = {
  publish: ["draft", "unpublished"],
  unpublish: ["published"],
  contract: ["draft", "published", "unpublished", "contracted"],
  uncontract: ["contracted"],
};

export const ACTION_TO: Record<ListingAction, ListingStatus> = {
  publish: "published",
  unpublish: "unpublished",
  contract: "contracted",
  uncontract: "unpublished",
};

export function allowed(action: ListingAction, status: ListingStatus): boolean {
  return ACTION_FROM[action].includes(status);
}

// The calendar day in Japan, as YYYY-MM-DD (contract dates are Japanese calendar days).
const JAPAN_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" });
export function japanToday(now: Date): string {
  return JAPAN_DAY.format(now);
}

export const EARLIEST_CONTRACT_DATE = "2000-01-01";

// The date a contract was signed: YYYY-MM-DD, a real calendar day, not after today in Japan.
export function parseContractDate(input: unknown, now: Date): { ok: true; date: string } | { ok: false; error: string } {
  const text = typeof input === "string" ? input.normalize("NFKC").trim() : "";
  if (!text) return { ok: false, error: "成約日を入力してください。" };
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!day || day.toISOString().slice(0, 10) !== text) return { ok: false, error: "成約日は「2025-09-30」のように、年-月-日の形で正しい日付を入力してください。" };
  if (text > japanToday(now)) return { ok: false, error: "成約日に未来の日付は入力できません。契約した日を入力してください。" };
  if (text < EARLIEST_CONTRACT_DATE) return { ok: false, error: "成約日が古すぎます。2000年1月1日以降の日付を入力してください。" };
  return { ok: true, date: text };
}

// LINE shows a Flex image only as JPEG or PNG (Messaging API reference, Flex image "url").
export const LINE_IMAGE_TYPES: readonly string[] = ["image/jpeg", "image/png"];
const OWN_PHOTO_URL = /\/listing-photos\/\d+$/;

// What a listing's photo_url becomes once a photo is uploaded: this server's public address of the
// new photo when PUBLIC_BASE_URL is set and LINE can show its format; otherwise no address of ours
// (the photo an old one named is gone), while an address elsewhere stays as it was.
export function photoUrlAfterUpload(current: string | null, upload: { photoId: string; contentType: string }, publicBaseUrl: string | null): string | null {
  if (publicBaseUrl && LINE_IMAGE_TYPES.includes(upload.contentType)) return `${publicBaseUrl}/listing-photos/${upload.photoId}`;
  return current && OWN_PHOTO_URL.test(current) ? null : current;
}
