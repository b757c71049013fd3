import { crc32, deflateSync } from "node:zlib";

// Real, decodable images for the photo tests: PNGs drawn here (any size, grey or RGB) and two WebPs
// (1×1 lossy and lossless, the files browsers' WebP support checks use).

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// A valid PNG of width × height: 8-bit RGB with a gradient, or (bitDepth 1) black-and-white, which
// keeps a huge picture small on disk: 16000×16000 is 32 MB of rows, a few tens of KB deflated.
export function png(width: number, height: number, options: { bitDepth?: 1 | 8; chunksBeforeIdat?: Buffer[] } = {}): Buffer {
  const bitDepth = options.bitDepth ?? 8;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = bitDepth === 1 ? 0 : 2; // greyscale or RGB
  const rowBytes = bitDepth === 1 ? Math.ceil(width / 8) : width * 3;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  if (bitDepth === 8) {
    for (let y = 0; y < height; y += 1) for (let x = 0; x < rowBytes; x += 1) raw[y * (rowBytes + 1) + 1 + x] = (x * 7 + y * 13) & 0xff;
  }
  return Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr), ...(options.chunksBeforeIdat ?? []), pngChunk("IDAT", deflateSync(raw)), pngChunk("IEND", Buffer.alloc(0))]);
}

export const WEBP_LOSSY = Buffer.from("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA", "base64");
export const WEBP_LOSSLESS = Buffer.from("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==", "base64");
