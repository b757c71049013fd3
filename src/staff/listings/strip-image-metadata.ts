import type { ImageType } from "../../line/content-client.js";

// Listing photos are published on the city's site and in LINE. Phone cameras write the place the
// photo was taken (GPS), the camera's owner and serial number, and often a thumbnail of the
// uncropped photo into the file: none of that may go public. These functions walk the blocks of a
// JPEG, PNG or WebP, keep those a viewer needs to draw the picture (untouched: no re-encoding, no
// quality lost) and drop the rest. A JPEG's orientation is the one tag kept, re-written alone, so an
// upright photo stays upright.
//
// A file whose blocks cannot be walked to the end (truncated, a length pointing past the end, a
// block where the format has none) is refused, not passed on as it is: its metadata could not be
// found, so it cannot be said to be gone. Every walk moves forward on each step and reads nothing
// past the buffer, so its time is linear in the file's size, whatever the lengths inside claim
// (tests/unit/strip-image-metadata-fuzz.test.ts).

export type StripResult = { ok: true; bytes: Buffer } | { ok: false; reason: string };

export function stripImageMetadata(bytes: Buffer, type: ImageType): StripResult {
  switch (type) {
    case "image/jpeg":
      return stripJpeg(bytes);
    case "image/png":
      return stripPng(bytes);
    case "image/webp":
      return stripWebp(bytes);
    default:
      return refuse(`${type} is not a photo format the console takes`);
  }
}

const refuse = (reason: string): StripResult => ({ ok: false, reason });

// ---- JPEG (ITU T.81 Annex B; JFIF; Exif 2.3 §4.5.4) ----

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const APP15 = 0xef;
const COM = 0xfe;
const TEM = 0x01;
const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7;

// Kept: the tables and frame/scan headers (every non-APP marker but COM), JFIF APP0 without its
// thumbnail, APP2 ICC_PROFILE (colours) and APP14 Adobe (how to read the colour channels). Dropped:
// every other APPn (Exif, XMP, Photoshop/IPTC, maker notes, MPF second images), comments, and
// whatever follows EOI (the video of a "motion photo", appended previews).
function stripJpeg(bytes: Buffer): StripResult {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== SOI) return refuse("JPEG without its start marker");
  const kept: Buffer[] = [bytes.subarray(0, 2)];
  let orientation = 1;
  let sawFrame = false;
  let sawScan = false;
  let offset = 2;
  for (;;) {
    if (offset + 2 > bytes.length) return refuse("JPEG ends before its end marker");
    if (bytes[offset] !== 0xff) return refuse(`JPEG without a marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === EOI) {
      if (!sawFrame || !sawScan) return refuse("JPEG without a picture");
      kept.push(bytes.subarray(offset, offset + 2));
      break;
    }
    if (marker === SOI || marker === 0x00 || marker === TEM || isRestart(marker)) return refuse(`JPEG marker 0x${marker.toString(16)} where a segment must be`);
    if (offset + 4 > bytes.length) return refuse("JPEG ends inside a segment header");
    const length = bytes.readUInt16BE(offset + 2);
    const end = offset + 2 + length;
    if (length < 2 || end > bytes.length) return refuse(`JPEG segment 0x${marker.toString(16)} longer than the file`);
    const payload = bytes.subarray(offset + 4, end);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) sawFrame = true;
    if (marker === APP1 && payload.subarray(0, 6).toString("latin1") === "Exif\0\0") {
      orientation = exifOrientation(payload.subarray(6)) ?? orientation;
    } else if (marker === APP0) {
      if (payload.subarray(0, 5).toString("latin1") === "JFIF\0" && payload.length >= 14) kept.push(jfifWithoutThumbnail(payload));
    } else if (marker === APP14 || (marker === APP2 && payload.subarray(0, 12).toString("latin1") === "ICC_PROFILE\0")) {
      kept.push(bytes.subarray(offset, end));
    } else if (!(marker >= APP0 && marker <= APP15) && marker !== COM) {
      kept.push(bytes.subarray(offset, end));
    }
    offset = end;
    if (marker === SOS) {
      sawScan = true;
      // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or a restart marker inside it;
      // any other marker ends it (the next table or scan of a progressive JPEG, or EOI).
      const scanEnd = endOfScan(bytes, offset);
      if (scanEnd === null) return refuse("JPEG ends inside its picture data");
      kept.push(bytes.subarray(offset, scanEnd));
      offset = scanEnd;
    }
  }
  if (orientation !== 1) kept.splice(1, 0, orientationSegment(orientation));
  return { ok: true, bytes: Buffer.concat(kept) };
}

function endOfScan(bytes: Buffer, from: number): number | null {
  let at = from;
  for (;;) {
    const next = bytes.indexOf(0xff, at);
    if (next === -1 || next + 1 >= bytes.length) return null;
    const marker = bytes[next + 1]!;
    if (marker === 0x00 || isRestart(marker)) at = next + 2;
    else if (marker === 0xff) at = next + 1;
    else return next;
  }
}

// A JFIF APP0 segment as it was, less the uncropped thumbnail it may carry (width and height 0).
function jfifWithoutThumbnail(payload: Buffer): Buffer {
  const header = Buffer.from(payload.subarray(0, 14));
  header[12] = 0;
  header[13] = 0;
  return Buffer.concat([Buffer.from([0xff, APP0, 0, header.length + 2]), header]);
}

// The Orientation tag (0x0112) of IFD0 in an Exif TIFF block, or undefined when absent or unreadable.
function exifOrientation(tiff: Buffer): number | undefined {
  if (tiff.length < 8) return undefined;
  const order = tiff.subarray(0, 2).toString("latin1");
  if (order !== "II" && order !== "MM") return undefined;
  const little = order === "II";
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let index = 0; index < count; index += 1) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

// An APP1 Exif segment holding IFD0 with the Orientation tag only (big-endian TIFF).
function orientationSegment(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write("MM", 0, "latin1");
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, APP1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

// ---- PNG (PNG 3rd edition §5, §11) ----

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// What a viewer uses to draw the picture: the critical chunks, transparency, colour, and the chunks
// of an animated PNG. Text (tEXt, zTXt, iTXt), eXIf, tIME, C2PA manifests (caBX) and any chunk not
// listed are dropped: an unknown ancillary chunk may be left out by definition (§5.4).
const PNG_KEPT_CHUNKS = new Set(["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", "cICP", "mDCV", "cLLI", "acTL", "fcTL", "fdAT", "hIST", "sPLT"]);
const PNG_MAX_CHUNK = 0x7fffffff; // §5.3: a length above 2^31 − 1 is invalid

function stripPng(bytes: Buffer): StripResult {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return refuse("PNG without its signature");
  const kept: Buffer[] = [bytes.subarray(0, 8)];
  let offset = 8;
  let first = true;
  for (;;) {
    if (offset + 12 > bytes.length) return refuse("PNG ends before IEND");
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString("latin1");
    const end = offset + 12 + length;
    if (length > PNG_MAX_CHUNK || end > bytes.length) return refuse(`PNG chunk ${JSON.stringify(type)} longer than the file`);
    if (!/^[A-Za-z]{4}$/.test(type)) return refuse("PNG chunk with an invalid type");
    if (first && (type !== "IHDR" || length !== 13)) return refuse("PNG that does not start with IHDR");
    first = false;
    const critical = type[0]! >= "A" && type[0]! <= "Z";
    if (PNG_KEPT_CHUNKS.has(type)) kept.push(bytes.subarray(offset, end));
    else if (critical) return refuse(`PNG with an unknown critical chunk ${JSON.stringify(type)}`);
    offset = end;
    if (type === "IEND") break; // anything after IEND is not part of the picture
  }
  return { ok: true, bytes: Buffer.concat(kept) };
}

// ---- WebP (RIFF container, RFC 9649 §2.5–2.7) ----

const VP8X_EXIF_FLAG = 0x08;
const VP8X_XMP_FLAG = 0x04;
const WEBP_KEPT_CHUNKS = new Set(["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]);

// The EXIF and "XMP " chunks (and any unknown chunk) go, and the extended header (VP8X) stops
// announcing them; the RIFF size is written anew. Bytes after the RIFF size are dropped.
function stripWebp(bytes: Buffer): StripResult {
  if (bytes.length < 20 || bytes.subarray(0, 4).toString("latin1") !== "RIFF" || bytes.subarray(8, 12).toString("latin1") !== "WEBP") {
    return refuse("WebP without its RIFF header");
  }
  const riffEnd = 8 + bytes.readUInt32LE(4);
  if (riffEnd > bytes.length + 1 || riffEnd < 20) return refuse("WebP whose RIFF size does not match the file");
  const end = Math.min(riffEnd, bytes.length);
  const kept: Buffer[] = [];
  let hasPicture = false;
  let offset = 12;
  while (offset + 8 <= end) {
    const type = bytes.subarray(offset, offset + 4).toString("latin1");
    const size = bytes.readUInt32LE(offset + 4);
    const dataEnd = offset + 8 + size;
    if (dataEnd > end) return refuse(`WebP chunk ${JSON.stringify(type)} longer than the file`);
    if (offset === 12 && type !== "VP8 " && type !== "VP8L" && type !== "VP8X") return refuse("WebP that does not start with an image header");
    const chunkEnd = Math.min(dataEnd + (size % 2), end); // chunks are padded to an even size
    if (WEBP_KEPT_CHUNKS.has(type)) {
      const chunk = Buffer.from(bytes.subarray(offset, chunkEnd));
      if (type === "VP8X" && chunk.length > 8) chunk[8] = chunk[8]! & ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG);
      if (chunk.length < 8 + size + (size % 2)) kept.push(chunk, Buffer.alloc(8 + size + (size % 2) - chunk.length));
      else kept.push(chunk);
      if (type === "VP8 " || type === "VP8L" || type === "ANMF") hasPicture = true;
    }
    offset = chunkEnd;
  }
  if (offset !== end) return refuse("WebP ends inside a chunk header");
  if (!hasPicture) return refuse("WebP without a picture");
  const body = Buffer.concat(kept);
  const header = Buffer.from(bytes.subarray(0, 12));
  header.writeUInt32LE(body.length + 4, 4);
  return { ok: true, bytes: Buffer.concat([header, body]) };
}
