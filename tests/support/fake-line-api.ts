import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { messagingSchemaErrors } from "./line-openapi.js";

// A local stand-in for api.line.me used by the tests: it records every request, checks every body
// against LINE's OpenAPI document (a body LINE would reject is answered 400 and listed in
// `invalidBodies`, which the tests assert is empty), and can be told to fail the next requests.
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

// A request LINE accepted (its retry key seen for the first time): who it went to.
export interface AcceptedSend {
  path: string;
  retryKey: string | null;
  to: string[] | null;
}

const RETRY_KEY_PATHS = new Set(["/v2/bot/message/push", "/v2/bot/message/multicast", "/v2/bot/message/broadcast"]);

export class FakeLineApi {
  readonly requests: RecordedRequest[] = [];
  readonly invalidBodies: { path: string; errors: string[] }[] = [];
  // Sends LINE accepted, each retry key once: what residents actually received.
  readonly accepted: AcceptedSend[] = [];
  #acceptedKeys = new Set<string>();
  #scripted: { path: string; status: number; body: unknown }[] = [];
  #holdAfter = new Map<string, number>();
  #held: (() => void)[] = [];
  #quota: { limit: number | null; used: number } = { limit: null, used: 0 };
  #contents = new Map<string, { bytes: Buffer; contentType: string }>();
  #server: Server | null = null;
  url = "";

  // The next request to `path` gets this answer instead of success (queued in order).
  failNext(path: string, status: number, body: unknown = { message: `scripted ${status}` }): void {
    this.#scripted.push({ path, status, body });
  }

  // Requests to `path` after the first `count` are accepted (as LINE would) but never answered, as
  // when the sending process dies with its requests in flight.
  holdAfter(path: string, count: number): void {
    this.#holdAfter.set(path, count);
  }

  // This month's target limit (null: none) and the messages used before this test's sends; GET
  // /v2/bot/message/quota/consumption adds every recipient accepted since.
  setQuota(limit: number | null, used = 0): void {
    this.#quota = { limit, used };
  }

  recipientsReached(): string[] {
    return this.accepted.flatMap((send) => send.to ?? []);
  }

  // What GET /v2/bot/message/{messageId}/content answers (as api-data.line.me does).
  setContent(messageId: string, bytes: Buffer, contentType = "image/jpeg"): void {
    this.#contents.set(messageId, { bytes, contentType });
  }

  async start(): Promise<this> {
    const app = express();
    app.use(express.json({ limit: "5mb" }));
    app.use((req, res) => {
      const recorded = { method: req.method, path: req.path, headers: req.headers, body: req.body };
      this.requests.push(recorded);
      const errors = req.method === "POST" ? messagingSchemaErrors(req.method, req.path, req.body) : [];
      if (errors.length > 0) {
        this.invalidBodies.push({ path: req.path, errors });
        res.status(400).json({ message: "The request body is invalid", details: errors });
        return;
      }
      const scriptedIndex = this.#scripted.findIndex((entry) => entry.path === req.path);
      if (scriptedIndex >= 0) {
        const [entry] = this.#scripted.splice(scriptedIndex, 1);
        res.status(entry!.status).json(entry!.body);
        return;
      }
      if (req.method === "GET" && req.path === "/v2/bot/message/quota") {
        res.status(200).json(this.#quota.limit === null ? { type: "none" } : { type: "limited", value: this.#quota.limit });
        return;
      }
      if (req.method === "GET" && req.path === "/v2/bot/message/quota/consumption") {
        res.status(200).json({ totalUsage: this.#quota.used + this.recipientsReached().length });
        return;
      }
      if (req.method === "POST" && RETRY_KEY_PATHS.has(req.path)) {
        // https://developers.line.biz/en/reference/messaging-api/#retry-api-request : a key LINE
        // accepted before gets 409 Conflict and the first request's id; nothing is sent again.
        const retryKey = req.get("x-line-retry-key") ?? null;
        if (retryKey !== null && this.#acceptedKeys.has(retryKey)) {
          res.status(409).set("x-line-accepted-request-id", retryKey).json({ message: "The retry key is already accepted" });
          return;
        }
        if (retryKey !== null) this.#acceptedKeys.add(retryKey);
        const to = req.path === "/v2/bot/message/broadcast" ? null : req.path === "/v2/bot/message/push" ? [req.body.to as string] : (req.body.to as string[]);
        this.accepted.push({ path: req.path, retryKey, to });
        const holdAfter = this.#holdAfter.get(req.path);
        if (holdAfter !== undefined && this.accepted.filter((send) => send.path === req.path).length > holdAfter) {
          this.#held.push(() => res.destroy());
          return;
        }
        res.status(200).json(req.path === "/v2/bot/message/push" ? { sentMessages: [{ id: "1", quoteToken: "q" }] } : {});
        return;
      }
      const content = /^\/v2\/bot\/message\/(\d+)\/content$/.exec(req.path);
      if (req.method === "GET" && content) {
        const stored = this.#contents.get(content[1]!);
        if (!stored) res.status(404).json({ message: "Not found" });
        else res.status(200).type(stored.contentType).send(stored.bytes);
        return;
      }
      res.status(200).json({ sentMessages: [{ id: "1", quoteToken: "q" }] });
    });
    await new Promise<void>((resolve) => {
      this.#server = app.listen(0, "127.0.0.1", () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
    return this;
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    for (const release of this.#held.splice(0)) release();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
