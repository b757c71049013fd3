import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { stripImageMetadata as strip } from "../../src/staff/listings/strip-image-metadata.js";
import { exifSegment, jpegWithMetadata, TINY_JPEG as JPEG } from "../support/image-metadata.js";

const SECRET = "GPS 32.21N 130.76E SerialNo 12345";

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function riffChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, "latin1");
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function webp(chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(body.length + 4, 4);
  header.write("WEBP", 8, "latin1");
  return Buffer.concat([header, body]);
}

// The stripped bytes; the test fails when the stripper refused the file.
function stripImageMetadata(bytes: Buffer, type: Parameters<typeof strip>[1]): Buffer {
  const result = strip(bytes, type);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.bytes;
}

describe("removing a photo's metadata before it goes public", () => {
  it("drops a JPEG's Exif and comments, keeps the picture's bytes, and keeps only its orientation", () => {
    const stripped = stripImageMetadata(jpegWithMetadata(JPEG, 6, SECRET), "image/jpeg");
    expect(stripped.toString("latin1")).not.toContain("GPS");
    expect(stripped.toString("latin1")).not.toContain("SerialNo");
    expect(stripped.subarray(0, 2).equals(JPEG.subarray(0, 2))).toBe(true);
    // What follows the new orientation-only Exif segment is the original file without its SOI.
    const orientationOnly = stripped.subarray(2, 2 + 2 + stripped.readUInt16BE(4));
    expect(orientationOnly.subarray(4, 10).toString("latin1")).toBe("Exif\0\0");
    expect(orientationOnly.readUInt16BE(4 + 6 + 18)).toBe(6);
    expect(stripped.subarray(2 + orientationOnly.length).equals(JPEG.subarray(2))).toBe(true);
  });

  it("leaves a JPEG without metadata as it was, and writes no Exif for an upright photo", () => {
    expect(stripImageMetadata(JPEG, "image/jpeg").equals(JPEG)).toBe(true);
    expect(stripImageMetadata(jpegWithMetadata(JPEG, 1, SECRET), "image/jpeg").equals(JPEG)).toBe(true);
  });

  it("refuses a file it cannot walk to the end instead of publishing it with its metadata", () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8]), exifSegment(6, SECRET).subarray(0, 10)]);
    expect(strip(broken, "image/jpeg")).toEqual({ ok: false, reason: "JPEG segment 0xe1 longer than the file" });
    // Cut inside the picture data: no end marker.
    expect(strip(JPEG.subarray(0, JPEG.length - 2), "image/jpeg")).toMatchObject({ ok: false, reason: "JPEG ends inside its picture data" });
  });

  it("drops what follows a JPEG's end (a motion photo's video) and a JFIF thumbnail", () => {
    const trailer = Buffer.from(`ftypmp42 ${SECRET}`, "latin1");
    expect(stripImageMetadata(Buffer.concat([JPEG, trailer]), "image/jpeg").equals(JPEG)).toBe(true);
    // JFIF APP0 with a 1×1 RGB thumbnail of the uncropped photo.
    const jfif = Buffer.concat([Buffer.from("JFIF\0", "latin1"), Buffer.from([1, 1, 0, 0, 1, 0, 1, 1, 1]), Buffer.from([0xaa, 0xbb, 0xcc])]);
    const app0 = Buffer.concat([Buffer.from([0xff, 0xe0, 0, jfif.length + 2]), jfif]);
    const original = Buffer.concat([JPEG.subarray(0, 2), app0, JPEG.subarray(2)]);
    const stripped = stripImageMetadata(original, "image/jpeg");
    expect(stripped.includes(Buffer.from([0xaa, 0xbb, 0xcc]))).toBe(false);
    expect(stripped.subarray(2, 20).equals(Buffer.concat([Buffer.from([0xff, 0xe0, 0, 16]), jfif.subarray(0, 12), Buffer.from([0, 0])]))).toBe(true);
  });

  it("drops a PNG's text, eXIf and time chunks and keeps the image chunks", () => {
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ihdr = pngChunk("IHDR", Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    const idat = pngChunk("IDAT", Buffer.from([0x78, 0x9c, 0x63, 0xf8, 0x0f, 0x00, 0x01, 0x01, 0x01, 0x00]));
    const iend = pngChunk("IEND", Buffer.alloc(0));
    const withMetadata = Buffer.concat([signature, ihdr, pngChunk("tEXt", Buffer.from(`Comment\0${SECRET}`, "latin1")), pngChunk("eXIf", exifSegment(1, SECRET).subarray(10)), idat, pngChunk("tIME", Buffer.alloc(7)), iend]);
    expect(stripImageMetadata(withMetadata, "image/png").equals(Buffer.concat([signature, ihdr, idat, iend]))).toBe(true);
    // An unknown ancillary chunk (it could hold anything) goes; an unknown critical one is refused.
    expect(stripImageMetadata(Buffer.concat([signature, ihdr, pngChunk("gpSx", Buffer.from(SECRET)), idat, iend]), "image/png").equals(Buffer.concat([signature, ihdr, idat, iend]))).toBe(true);
    expect(strip(Buffer.concat([signature, ihdr, pngChunk("GPSX", Buffer.from(SECRET)), idat, iend]), "image/png").ok).toBe(false);
    // No IEND: cut short.
    expect(strip(Buffer.concat([signature, ihdr, idat]), "image/png")).toEqual({ ok: false, reason: "PNG ends before IEND" });
  });

  it("drops a WebP's EXIF and XMP chunks, clears their flags and fixes the RIFF size", () => {
    const vp8x = Buffer.alloc(10);
    vp8x[0] = 0x08 | 0x04 | 0x10; // EXIF, XMP and alpha announced
    const image = riffChunk("VP8 ", Buffer.alloc(21, 3));
    const withMetadata = webp([riffChunk("VP8X", vp8x), image, riffChunk("EXIF", exifSegment(1, SECRET).subarray(10)), riffChunk("XMP ", Buffer.from(`<x:xmpmeta>${SECRET}</x:xmpmeta>`))]);
    const stripped = stripImageMetadata(withMetadata, "image/webp");
    const cleared = Buffer.from(vp8x);
    cleared[0] = 0x10;
    expect(stripped.equals(webp([riffChunk("VP8X", cleared), image]))).toBe(true);
    expect(stripped.readUInt32LE(4)).toBe(stripped.length - 8);
  });
});
