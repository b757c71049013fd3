// Downloads what a resident sent (a photo for a report) from LINE's content endpoint:
// GET {LINE_DATA_API_BASE_URL}/v2/bot/message/{messageId}/content (Messaging API reference,
// "Get content"). The body is read with a size cap, and the bytes must be an image we accept by
// their first bytes, not only by the header.
// Answers:
// - ok / too_large / not_image: the resident is told what happened;
// - gone (404 or 410: LINE keeps content for a limited time): asked to send it again;
// - anything else (network error, 429, 5xx) throws, so the inbox worker retries the event later.

export type ContentResult =
  | { kind: "ok"; bytes: Buffer; contentType: ImageType }
  | { kind: "too_large"; limitBytes: number }
  | { kind: "not_image" }
  | { kind: "gone" };

export type ImageType = "image/jpeg" | "image/png" | "image/gif" | "image/webp";

export interface ContentFetcher {
  image(messageId: string, maxBytes: number): Promise<ContentResult>;
}

const TIMEOUT_MS = 15_000;

export function createContentFetcher(options: { dataApiBaseUrl: string; channelAccessToken: string }): ContentFetcher {
  const base = options.dataApiBaseUrl.replace(/\/+$/, "");
  return {
    async image(messageId, maxBytes) {
      if (!/^\d{1,30}$/.test(messageId)) return { kind: "gone" };
      const response = await fetch(`${base}/v2/bot/message/${messageId}/content`, {
        headers: { authorization: `Bearer ${options.channelAccessToken}` },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (response.status === 404 || response.status === 410) {
        await response.body?.cancel();
        return { kind: "gone" };
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`LINE content API answered ${response.status} for a message's content; will retry`);
      }
      const declared = Number(response.headers.get("content-length"));
      if (Number.isFinite(declared) && declared > maxBytes) {
        await response.body?.cancel();
        return { kind: "too_large", limitBytes: maxBytes };
      }
      const bytes = await readCapped(response, maxBytes);
      if (!bytes) return { kind: "too_large", limitBytes: maxBytes };
      const contentType = imageTypeOf(bytes);
      return contentType ? { kind: "ok", bytes, contentType } : { kind: "not_image" };
    },
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer | null> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

// The image formats LINE delivers and staff's browsers show, told by their signatures.
export function imageTypeOf(bytes: Buffer): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString("latin1"))) return "image/gif";
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP") return "image/webp";
  return null;
}
