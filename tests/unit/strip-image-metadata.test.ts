import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { stripImageMetadata } from "../../src/staff/listings/strip-image-metadata.js";
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

  it("leaves a file it cannot walk untouched rather than damaging it", () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8]), exifSegment(6, SECRET).subarray(0, 10)]);
    expect(stripImageMetadata(broken, "image/jpeg").equals(broken)).toBe(true);
  });

  it("drops a PNG's text, eXIf and time chunks and keeps the image chunks", () => {
    const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ihdr = pngChunk("IHDR", Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    const idat = pngChunk("IDAT", Buffer.from([0x78, 0x9c, 0x63, 0xf8, 0x0f, 0x00, 0x01, 0x01, 0x01, 0x00]));
    const iend = pngChunk("IEND", Buffer.alloc(0));
    const withMetadata = Buffer.concat([signature, ihdr, pngChunk("tEXt", Buffer.from(`Comment\0${SECRET}`, "latin1")), pngChunk("eXIf", exifSegment(1, SECRET).subarray(10)), idat, pngChunk("tIME", Buffer.alloc(7)), iend]);
    expect(stripImageMetadata(withMetadata, "image/png").equals(Buffer.concat([signature, ihdr, idat, iend]))).toBe(true);
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
