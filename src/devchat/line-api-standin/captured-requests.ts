// What the local LINE stand-in "delivered", for the dev chat page to draw: every reply, push,
// multicast and broadcast LINE accepted, in order, and the content of images the page uploaded
// (served back as LINE's data API serves message content). In memory: one developer's process only.

export type CapturedSend =
  | { kind: "reply"; replyToken: string; messages: unknown[] }
  | { kind: "push"; to: string; messages: unknown[] }
  | { kind: "multicast"; to: string[]; messages: unknown[] }
  | { kind: "broadcast"; messages: unknown[] };

export type CapturedRequest = CapturedSend & { seq: number; at: string };

export interface StoredContent {
  bytes: Buffer;
  contentType: string;
}

const CAPTURE_LIMIT = 1_000;
// Content the page uploaded: the most recent items only, each at most this size.
export const CONTENT_ITEM_LIMIT = 50;
export const CONTENT_MAX_BYTES = 10 * 1024 * 1024;

export class CapturedRequests {
  #items: CapturedRequest[] = [];
  #seq = 0;
  // Insertion order is eviction order (a Map iterates oldest first).
  #content = new Map<string, StoredContent>();

  putContent(messageId: string, bytes: Buffer, contentType: string): void {
    if (bytes.length > CONTENT_MAX_BYTES) throw new RangeError(`content is larger than ${CONTENT_MAX_BYTES} bytes`);
    this.#content.delete(messageId);
    this.#content.set(messageId, { bytes: Buffer.from(bytes), contentType });
    while (this.#content.size > CONTENT_ITEM_LIMIT) {
      const oldest = this.#content.keys().next().value;
      if (oldest === undefined) break;
      this.#content.delete(oldest);
    }
  }

  content(messageId: string): StoredContent | undefined {
    return this.#content.get(messageId);
  }

  add(send: CapturedSend): CapturedRequest {
    this.#seq += 1;
    const item: CapturedRequest = { ...send, seq: this.#seq, at: new Date().toISOString() };
    this.#items.push(item);
    if (this.#items.length > CAPTURE_LIMIT) this.#items.splice(0, this.#items.length - CAPTURE_LIMIT);
    return item;
  }

  since(seq: number): { next: number; requests: CapturedRequest[] } {
    return { next: this.#seq, requests: this.#items.filter((item) => item.seq > seq) };
  }
}
