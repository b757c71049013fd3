import { createHash } from "node:crypto";
import { z } from "zod";

// Next to each rendered image, <name>.render.json says what it was rendered from: the SHA-256 of
// the menu's HTML (menu-html.ts, so a change of label, colour, layout or drawing code all count)
// and of the PNG itself. A PNG whose record does not match is stale: re-run npm run richmenu:render.
export const renderRecordSchema = z.strictObject({
  htmlSha256: z.string().regex(/^[0-9a-f]{64}$/),
  imageSha256: z.string().regex(/^[0-9a-f]{64}$/),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export type RenderRecord = z.infer<typeof renderRecordSchema>;

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// Width and height from a PNG's header (the IHDR chunk comes first, PNG spec §5.3), or null when
// the bytes are not a PNG.
export function pngSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE) || bytes.subarray(12, 16).toString("latin1") !== "IHDR") return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
