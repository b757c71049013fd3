import { describe, expect, it } from "vitest";
import type { ImageType } from "../../src/line/content-client.js";
import { checkPhotoSize } from "../../src/staff/listings/photo-size.js";
import { stripImageMetadata } from "../../src/staff/listings/strip-image-metadata.js";
import { exifSegment, jpegWithMetadata, TINY_JPEG } from "../support/image-metadata.js";
import { mulberry32 } from "../support/numbers.js";
import { png, pngChunk, WEBP_LOSSLESS, WEBP_LOSSY } from "../support/test-images.js";

// The metadata stripper and the header size check on malformed files: real photos mutated (bits
// flipped, bytes set to 0x00/0xFF, cut short, blocks repeated, lengths set huge), random bytes behind
// a right signature. Each file must be either stripped into one that strips to itself again (so it
// walks to the end) or refused with a reason, never throw, and take bounded time. Seeded: the same
// cases on every run.
const SECRET = "GPS 32.21N 130.76E SerialNo 12345";
const CASES_PER_SEED = 700;

function riff(chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(body.length + 4, 4);
  header.write("WEBP", 8, "latin1");
  return Buffer.concat([header, body]);
}

function riffChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, "latin1");
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, data.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

const SEEDS: { type: ImageType; bytes: Buffer }[] = [
  { type: "image/jpeg", bytes: TINY_JPEG },
  { type: "image/jpeg", bytes: jpegWithMetadata(TINY_JPEG, 6, SECRET) },
  { type: "image/png", bytes: png(7, 5) },
  { type: "image/png", bytes: png(3, 3, { chunksBeforeIdat: [pngChunk("tEXt", Buffer.from(`Comment\0${SECRET}`, "latin1")), pngChunk("eXIf", exifSegment(1, SECRET).subarray(10))] }) },
  { type: "image/webp", bytes: WEBP_LOSSY },
  { type: "image/webp", bytes: WEBP_LOSSLESS },
  {
    type: "image/webp",
    bytes: riff([riffChunk("VP8X", Buffer.from([0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0])), WEBP_LOSSY.subarray(12), riffChunk("EXIF", exifSegment(1, SECRET).subarray(10))]),
  },
];

type Mutation = (bytes: Buffer, random: () => number) => Buffer;
const at = (random: () => number, length: number) => Math.floor(random() * Math.max(1, length));

const MUTATIONS: Mutation[] = [
  (bytes, random) => {
    const copy = Buffer.from(bytes);
    for (let n = 1 + at(random, 4); n > 0; n -= 1) copy[at(random, copy.length)]! ^= 1 << at(random, 8);
    return copy;
  },
  (bytes, random) => {
    const copy = Buffer.from(bytes);
    copy[at(random, copy.length)] = random() < 0.5 ? 0x00 : 0xff;
    return copy;
  },
  (bytes, random) => bytes.subarray(0, at(random, bytes.length)),
  (bytes, random) => {
    // A block repeated: the same segment or chunk again and again (loops in naive walkers).
    const from = at(random, bytes.length);
    const piece = bytes.subarray(from, from + 4 + at(random, 40));
    return Buffer.concat([bytes.subarray(0, from), ...Array.from({ length: 2 + at(random, 50) }, () => piece), bytes.subarray(from)]);
  },
  (bytes, random) => {
    // A 2- or 4-byte length set to its largest value, or zero, at any place.
    const copy = Buffer.from(bytes);
    if (copy.length < 4) return copy;
    const where = at(random, copy.length - 4);
    const value = [0xffffffff, 0x7fffffff, 0x80000000, 0, 0xffff0000][at(random, 5)]!;
    copy.writeUInt32BE(value >>> 0, where);
    return copy;
  },
  (bytes, random) => {
    const insert = Buffer.from(Array.from({ length: 1 + at(random, 64) }, () => at(random, 256)));
    const where = at(random, bytes.length);
    return Buffer.concat([bytes.subarray(0, where), insert, bytes.subarray(where)]);
  },
  (bytes, random) => Buffer.concat([bytes.subarray(0, 12), Buffer.from(Array.from({ length: at(random, 400) }, () => at(random, 256)))]),
];

function checkOne(bytes: Buffer, type: ImageType): void {
  const started = performance.now();
  const result = stripImageMetadata(bytes, type);
  if (result.ok) {
    // What was kept walks to the end again and loses nothing more: the output is well-formed.
    const again = stripImageMetadata(result.bytes, type);
    expect(again.ok ? again.bytes.equals(result.bytes) : again.reason).toBe(true);
    expect(result.bytes.length).toBeLessThanOrEqual(bytes.length + 64);
  } else {
    expect(result.reason).toMatch(/\w/);
  }
  const size = checkPhotoSize(bytes, type);
  if (!size.ok) expect(size.error).toMatch(/[ぁ-ん]/);
  // One small file in far less than a frame; the bound is loose for a loaded CI machine.
  expect(performance.now() - started).toBeLessThan(250);
}

describe("fuzzing the photo metadata stripper and the size check", () => {
  it("never throws, hangs or passes on a broken file, over thousands of mutated photos", () => {
    const started = performance.now();
    let cases = 0;
    let refused = 0;
    for (const [index, seed] of SEEDS.entries()) {
      const random = mulberry32(1000 + index);
      for (let n = 0; n < CASES_PER_SEED; n += 1) {
        let bytes = seed.bytes;
        for (let steps = 1 + at(random, 3); steps > 0; steps -= 1) bytes = MUTATIONS[at(random, MUTATIONS.length)]!(bytes, random);
        checkOne(bytes, seed.type);
        cases += 1;
        if (!stripImageMetadata(bytes, seed.type).ok) refused += 1;
      }
    }
    expect(cases).toBe(SEEDS.length * CASES_PER_SEED);
    // The mutations do break files: a good share is refused, and the rest stays well-formed.
    expect(refused).toBeGreaterThan(cases / 4);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("refuses cut-short files at every length instead of returning them as they were", () => {
    for (const seed of SEEDS) {
      for (let length = 0; length < seed.bytes.length; length += 1) {
        const result = stripImageMetadata(seed.bytes.subarray(0, length), seed.type);
        // Only a cut inside what follows the picture's end (a WebP's last pad byte) may pass.
        if (result.ok) expect(seed.bytes.length - length).toBeLessThanOrEqual(1);
      }
    }
  });

  it("walks a 5 MB file of worst-case content in bounded time", () => {
    const scan = Buffer.alloc(5 * 1024 * 1024, 0xff); // fill bytes only: no marker ever ends the scan
    const sos = TINY_JPEG.indexOf(Buffer.from([0xff, 0xda]));
    const jpeg = Buffer.concat([TINY_JPEG.subarray(0, sos + 2 + TINY_JPEG.readUInt16BE(sos + 2)), scan]);
    const stuffed = Buffer.concat([jpeg.subarray(0, sos + 2 + TINY_JPEG.readUInt16BE(sos + 2)), Buffer.alloc(5 * 1024 * 1024).fill(Buffer.from([0xff, 0x00]))]);
    const manyChunks = Buffer.concat([png(1, 1).subarray(0, 33), ...Array.from({ length: 400_000 }, () => pngChunk("zzZz", Buffer.alloc(0)))]);
    const manyRiff = riff([WEBP_LOSSY.subarray(12), ...Array.from({ length: 600_000 }, () => riffChunk("JUNK", Buffer.alloc(0)))]);
    for (const [bytes, type] of [
      [jpeg, "image/jpeg"],
      [stuffed, "image/jpeg"],
      [Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(5 * 1024 * 1024, 0xff)]), "image/jpeg"],
      [manyChunks, "image/png"],
      [manyRiff, "image/webp"],
    ] as const) {
      const started = performance.now();
      const result = stripImageMetadata(bytes, type);
      checkPhotoSize(bytes, type);
      expect(performance.now() - started).toBeLessThan(5_000);
      if (type === "image/jpeg") expect(result.ok).toBe(false);
    }
    // A file of only empty junk chunks after its picture comes out as the picture alone.
    const webpResult = stripImageMetadata(manyRiff, "image/webp");
    expect(webpResult.ok && webpResult.bytes.equals(WEBP_LOSSY)).toBe(true);
  });

  it("reads the pixel count from the header and refuses a 16000×16000 PNG before decoding it", () => {
    const huge = png(16_000, 16_000, { bitDepth: 1 });
    expect(huge.length).toBeLessThan(100_000);
    const refused = checkPhotoSize(huge, "image/png");
    expect(refused).toMatchObject({ ok: false, tooLarge: true });
    expect(!refused.ok && refused.error).toContain("16,000×16,000ピクセル");
    expect(checkPhotoSize(png(5000, 5000, { bitDepth: 1 }), "image/png")).toEqual({ ok: true, width: 5000, height: 5000 });
    expect(checkPhotoSize(TINY_JPEG, "image/jpeg")).toEqual({ ok: true, width: 2, height: 2 });
    expect(checkPhotoSize(WEBP_LOSSLESS, "image/webp")).toEqual({ ok: true, width: 1, height: 1 });
    // A PNG signature in front of a JPEG's header is not a PNG.
    expect(checkPhotoSize(TINY_JPEG, "image/png")).toMatchObject({ ok: false, tooLarge: false });
  });
});
