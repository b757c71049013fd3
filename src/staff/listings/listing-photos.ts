import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import express, { type ErrorRequestHandler, type Response, type Router } from "express";
import type { Kysely } from "kysely";
import { imageTypeOf } from "../../line/content-client.js";
import type { Database } from "../../store/database.js";
import { audit } from "../audit.js";
import { listingIdOf, photoOfListing, publishedPhoto, replacePhoto } from "./listing-queries.js";
import { canEditListings, LINE_IMAGE_TYPES, photoUrlAfterUpload, type ListingOptions } from "./listing-rules.js";
import { PHOTO_MAX_BYTES } from "./listing-views.js";
import { checkPhotoSize, UNREADABLE_PHOTO } from "./photo-size.js";
import { stripImageMetadata } from "./strip-image-metadata.js";

// Listing photos. Staff upload with /staff/assets/listing-photo.js: a PUT whose body is the file
// (a plain form cannot carry a file and pass the console's CSRF check, which reads urlencoded
// fields or the X-CSRF-Token header). Residents' LINE app loads a published listing's photo from
// the public /listing-photos/<id>, which needs no session.
const script = readFileSync(new URL("../assets/listing-photo.js", import.meta.url), "utf8");

const ACCEPTED = ["image/jpeg", "image/png", "image/webp"] as const;
type Accepted = (typeof ACCEPTED)[number];
const isAccepted = (type: string | null): type is Accepted => ACCEPTED.includes(type as Accepted);

// Published photos change only by getting a new id; the short lifetime bounds how long a cache
// may still serve one after its listing is taken down.
const PUBLIC_CACHE = "public, max-age=600";

export function listingPhotoRoutes(db: Kysely<Database>, options: ListingOptions): Router {
  const router = express.Router();

  router.get("/staff/assets/listing-photo.js", (_req, res) => {
    res.type("js").set("Cache-Control", "private, max-age=300").send(script);
  });

  router.get("/staff/listings/:id/photo", async (req, res) => {
    const id = listingIdOf(req.params.id);
    const photo = id ? await photoOfListing(db, id) : undefined;
    if (!photo) return void res.status(404).json({ error: "写真はありません。" });
    sendImage(res, photo.content_type, photo.content);
  });

  router.put("/staff/listings/:id/photo", async (req, res) => {
    const staff = req.staff!;
    if (!canEditListings(staff, options)) {
      return void res.status(403).json({ error: `空き家バンクの物件を変更できるのは、${options.department}の職員と管理者です。` });
    }
    const id = listingIdOf(req.params.id);
    if (!id) return void res.status(404).json({ error: "この物件は見つかりません。" });
    // A form body was read by the console's form parser already: a photo comes as the body itself.
    if (req.is("application/x-www-form-urlencoded")) return void res.status(415).json({ error: "写真は、物件のページの「アップロードする」から送ってください。" });
    const uploaded = await readCappedBody(req, PHOTO_MAX_BYTES);
    if (uploaded === null) return void res.status(413).json({ error: "写真が大きすぎます（5MBまで）。縮小してから選び直してください。" });
    if (uploaded.length === 0) return void res.status(400).json({ error: "ファイルが空です。写真を選び直してください。" });
    const contentType = imageTypeOf(uploaded);
    if (!isAccepted(contentType)) {
      return void res.status(415).json({ error: "JPEG・PNG・WebPの画像ファイルを選んでください。ほかの形式や画像以外のファイルは登録できません。" });
    }
    // The photo goes public: where it was taken and with which camera must not. A file that cannot
    // be walked to its end is refused (its metadata could not be found).
    const stripped = stripImageMetadata(uploaded, contentType);
    if (!stripped.ok) return void res.status(422).json({ error: UNREADABLE_PHOTO });
    const bytes = stripped.bytes;
    // Its pixel count from the header, before anything decodes it (a small file can hold a huge picture).
    const size = checkPhotoSize(bytes, contentType);
    if (!size.ok) return void res.status(size.tooLarge ? 413 : 422).json({ error: size.error });
    const now = new Date();
    const saved = await db.transaction().execute(async (trx) => {
      const urlFor = (photoId: string, current: string | null) => photoUrlAfterUpload(current, { photoId, contentType }, options.publicBaseUrl);
      const replaced = await replacePhoto(trx, id, { contentType, bytes }, urlFor, now);
      if (!replaced) return null;
      await audit(trx, staff, "listing.photo", { type: "listing", id }, { photo_id: replaced.photoId, content_type: contentType, byte_size: bytes.length, photo_url: replaced.photoUrl });
      return replaced;
    });
    if (!saved) return void res.status(404).json({ error: "この物件は見つかりません。" });
    const done = LINE_IMAGE_TYPES.includes(contentType) ? "photo" : "photo_not_for_line";
    res.json({ ok: true, photoId: saved.photoId, photoUrl: saved.photoUrl, next: `/staff/listings/${id}?done=${done}` });
  });
  return router;
}

// Mounted outside /staff (no session): residents' LINE app fetches these.
export function publicListingPhotos(db: Kysely<Database>): Router {
  const router = express.Router();
  router.get("/listing-photos/:photoId", async (req, res) => {
    const id = listingIdOf(req.params.photoId);
    const photo = id ? await publishedPhoto(db, id) : undefined;
    res.set("X-Content-Type-Options", "nosniff");
    // Photos stored before the pixel cap existed are not served beyond it either.
    if (!photo || !checkPhotoSize(asBuffer(photo.content), photo.content_type as Accepted).ok) {
      return void res.status(404).set("Cache-Control", "no-store").json({ error: "not found" });
    }
    res.set({
      "Cache-Control": PUBLIC_CACHE,
      ETag: `"listing-photo-${photo.id}"`,
      "Content-Security-Policy": "default-src 'none'",
      "Cross-Origin-Resource-Policy": "cross-origin",
    });
    sendImage(res, photo.content_type, photo.content);
  });
  // An id with broken %-escapes (express refuses to decode it, status 400) is no photo of ours.
  router.use("/listing-photos", ((error, _req, res, next) => {
    if ((error as { status?: unknown }).status !== 400) return next(error);
    res.status(404).set({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" }).json({ error: "not found" });
  }) as ErrorRequestHandler);
  return router;
}

function sendImage(res: Response, contentType: string, content: Uint8Array): void {
  res.set("X-Content-Type-Options", "nosniff").type(contentType).send(asBuffer(content));
}

const asBuffer = (content: Uint8Array): Buffer => (Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength));

// The request body, or null when it is larger than maxBytes (the rest is read and dropped, so the
// client gets the answer instead of a broken connection).
export function readCappedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) return void chunks.push(chunk);
      cleanup();
      req.resume();
      resolve(null);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error("the request ended before its body was read"));
    };
    const cleanup = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
    };
    req.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}
