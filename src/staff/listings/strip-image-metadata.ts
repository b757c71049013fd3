import type { ImageType } from "../../line/content-client.js";

// Listing photos are published on the city's site and in LINE. Phone cameras write the place the
// photo was taken (GPS), the camera's owner and serial number, and often a thumbnail of the
// uncropped photo into the file: none of that may go public. These functions drop the metadata
// blocks of JPEG, PNG and WebP and keep the picture's bytes untouched (no re-encoding, no quality
// lost). A JPEG's orientation is the one tag kept, re-written alone, so an upright photo stays upright.

export function stripImageMetadata(bytes: Buffer, type: ImageType): Buffer {
  switch (type) {
    case "image/jpeg":
      return stripJpeg(bytes);
    case "image/png":
      return stripPng(bytes);
    case "image/webp":
      return stripWebp(bytes);
    default:
      return bytes;
  }
}

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const COM = 0xfe;

// Segments up to the start of the image data: APP0 (JFIF), APP2 ICC_PROFILE (colours) and APP14
// (Adobe: how to read the colour channels) are needed to show the picture; other APPn segments
// (Exif, XMP, Photoshop/IPTC, maker notes) and comments are dropped. After SOS the scan data is
// copied as it is.
function stripJpeg(bytes: Buffer): Buffer {
  if (bytes[0] !== 0xff || bytes[1] !== SOI) return bytes;
  const kept: Buffer[] = [bytes.subarray(0, 2)];
  let orientation = 1;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return bytes; // not a marker where one must be: leave the file alone
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === SOS || marker === EOI) {
      kept.push(bytes.subarray(offset));
      break;
    }
    const length = bytes.readUInt16BE(offset + 2);
    const end = offset + 2 + length;
    if (length < 2 || end > bytes.length) return bytes;
    const segment = bytes.subarray(offset, end);
    const payload = bytes.subarray(offset + 4, end);
    if (marker === APP1 && payload.subarray(0, 6).toString("latin1") === "Exif\0\0") {
      orientation = exifOrientation(payload.subarray(6)) ?? orientation;
    } else if (marker === APP0 || marker === APP14 || (marker === APP2 && payload.subarray(0, 12).toString("latin1") === "ICC_PROFILE\0")) {
      kept.push(segment);
    } else if (!(marker >= APP0 && marker <= 0xef) && marker !== COM) {
      kept.push(segment);
    }
    offset = end;
  }
  if (orientation !== 1) kept.splice(1, 0, orientationSegment(orientation));
  return Buffer.concat(kept);
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

// PNG text chunks (tEXt, zTXt, iTXt: software, author, comments, sometimes GPS), eXIf and tIME go.
const PNG_METADATA_CHUNKS = new Set(["tEXt", "zTXt", "iTXt", "eXIf", "tIME"]);

function stripPng(bytes: Buffer): Buffer {
  const kept: Buffer[] = [bytes.subarray(0, 8)];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > bytes.length) return bytes;
    const type = bytes.subarray(offset + 4, offset + 8).toString("latin1");
    if (!PNG_METADATA_CHUNKS.has(type)) kept.push(bytes.subarray(offset, end));
    offset = end;
    if (type === "IEND") break;
  }
  return Buffer.concat(kept);
}

// WebP (RIFF): the EXIF and "XMP " chunks go, and the extended header (VP8X) stops announcing them.
const VP8X_EXIF_FLAG = 0x08;
const VP8X_XMP_FLAG = 0x04;

function stripWebp(bytes: Buffer): Buffer {
  const kept: Buffer[] = [];
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const type = bytes.subarray(offset, offset + 4).toString("latin1");
    const size = bytes.readUInt32LE(offset + 4);
    const end = offset + 8 + size + (size % 2); // chunks are padded to an even size
    if (end > bytes.length + (size % 2)) return bytes;
    const chunk = Buffer.from(bytes.subarray(offset, Math.min(end, bytes.length)));
    if (type === "VP8X" && chunk.length > 8) chunk[8] = chunk[8]! & ~(VP8X_EXIF_FLAG | VP8X_XMP_FLAG);
    if (type !== "EXIF" && type !== "XMP ") kept.push(chunk);
    offset = end;
  }
  const body = Buffer.concat(kept);
  const header = Buffer.from(bytes.subarray(0, 12));
  header.writeUInt32LE(body.length + 4, 4);
  return Buffer.concat([header, body]);
}
