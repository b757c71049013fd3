import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { FakeRichMenus } from "./fake-rich-menus.js";
import { messagingSchemaErrors, prepareSendChecks, requestBodyKind } from "./line-openapi.js";

// A local stand-in for api.line.me (at `url`) and api-data.line.me (at `dataUrl`) used by the
// tests: it records every request, checks every JSON body against LINE's OpenAPI document (a body
// LINE would reject is answered 400 and listed in `invalidBodies`, which the tests assert is
// empty), keeps rich menus as LINE does (`richMenus`), and can be told to fail the next requests.
export interface RecordedRequest {
  method: string;
  host: "api" | "data";
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

// A request LINE accepted (its retry key seen for the first time): who it went to.
export interface AcceptedSend {
  path: string;
  retryKey: string | null;
  to: string[] | null;
  // A reply's token (replies reach the user who sent the event).
  replyToken?: string;
  messages?: unknown[];
}

const RETRY_KEY_PATHS = new Set(["/v2/bot/message/push", "/v2/bot/message/multicast", "/v2/bot/message/broadcast"]);

export class FakeLineApi {
  readonly requests: RecordedRequest[] = [];
  readonly invalidBodies: { path: string; errors: string[] }[] = [];
  readonly richMenus = new FakeRichMenus();
  #scripted: { path: string | RegExp; status: number; body: unknown; passes: number }[] = [];
  // Sends LINE accepted, each retry key once: what residents actually received.
  readonly accepted: AcceptedSend[] = [];
  #acceptedKeys = new Set<string>();
  #holdAfter = new Map<string, number>();
  #dropAfterAccept = new Map<string, number>();
  #usedReplyTokens = new Set<string>();
  #held: (() => void)[] = [];
  #quota: { limit: number | null; used: number } = { limit: null, used: 0 };
  #contents = new Map<string, { bytes: Buffer; contentType: string }>();
  #servers: Server[] = [];
  url = "";
  dataUrl = "";

  // The next request to `path` (or to a path the pattern matches) gets this answer instead of
  // success (queued in order); with `afterMatches`, that many matching requests pass first.
  failNext(path: string | RegExp, status: number, body: unknown = { message: `scripted ${status}` }, afterMatches = 0): void {
    this.#scripted.push({ path, status, body, passes: afterMatches });
  }

  // Requests to `path` after the first `count` are accepted (as LINE would) but never answered, as
  // when the sending process dies with its requests in flight.
  holdAfter(path: string, count: number): void {
    this.#holdAfter.set(path, count);
  }

  // The next `count` requests to `path` that LINE accepts lose their answer: the connection is
  // cut after the send was recorded, as when the network drops between LINE and the bot.
  dropAfterAccept(path: string, count = 1): void {
    this.#dropAfterAccept.set(path, (this.#dropAfterAccept.get(path) ?? 0) + count);
  }

  // Replies LINE accepted, in order (each reply token is accepted once).
  acceptedReplies(): AcceptedSend[] {
    return this.accepted.filter((send) => send.path === "/v2/bot/message/reply");
  }

  #dropsAnswer(path: string): boolean {
    const left = this.#dropAfterAccept.get(path) ?? 0;
    if (left <= 0) return false;
    this.#dropAfterAccept.set(path, left - 1);
    return true;
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

  // A deployed rich menu (with its image) reachable by its alias, as `npm run richmenu:deploy` leaves it.
  setRichMenuAlias(alias: string, richMenuId: string): void {
    this.richMenus.addDeployed(alias, richMenuId);
  }

  // The rich menu linked to each user (POST/DELETE /v2/bot/user/{userId}/richmenu…).
  get userRichMenus(): ReadonlyMap<string, string> {
    return this.richMenus.userLinks;
  }

  async start(): Promise<this> {
    prepareSendChecks();
    this.url = await this.#listen("api");
    this.dataUrl = await this.#listen("data");
    return this;
  }

  async #listen(host: "api" | "data"): Promise<string> {
    const app = express();
    app.use(express.raw({ type: ["image/png", "image/jpeg"], limit: "5mb" }));
    app.use(express.json({ limit: "5mb" }));
    app.use((req, res) => {
      const recorded = { method: req.method, host, path: req.path, headers: req.headers, body: req.body };
      this.requests.push(recorded);
      const errors = req.method === "POST" && requestBodyKind(req.method, req.path) === "json" ? messagingSchemaErrors(req.method, req.path, req.body) : [];
      if (errors.length > 0) {
        this.invalidBodies.push({ path: req.path, errors });
        res.status(400).json({ message: "The request body is invalid", details: errors });
        return;
      }
      const scriptedIndex = this.#scripted.findIndex((entry) => (typeof entry.path === "string" ? entry.path === req.path : entry.path.test(req.path)));
      if (scriptedIndex >= 0 && this.#scripted[scriptedIndex]!.passes > 0) this.#scripted[scriptedIndex]!.passes -= 1;
      else if (scriptedIndex >= 0) {
        const [entry] = this.#scripted.splice(scriptedIndex, 1);
        res.status(entry!.status).json(entry!.body);
        return;
      }
      if (this.richMenus.handle(req, res, host)) return;
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
        this.accepted.push({ path: req.path, retryKey, to, messages: req.body.messages });
        if (this.#dropsAnswer(req.path)) {
          res.destroy();
          return;
        }
        const holdAfter = this.#holdAfter.get(req.path);
        if (holdAfter !== undefined && this.accepted.filter((send) => send.path === req.path).length > holdAfter) {
          this.#held.push(() => res.destroy());
          return;
        }
        res.status(200).json(req.path === "/v2/bot/message/push" ? { sentMessages: [{ id: "1", quoteToken: "q" }] } : {});
        return;
      }
      if (req.method === "POST" && req.path === "/v2/bot/message/reply") {
        // A reply token is single-use: LINE refuses it the second time.
        const replyToken = String(req.body.replyToken);
        if (this.#usedReplyTokens.has(replyToken)) {
          res.status(400).json({ message: "Invalid reply token" });
          return;
        }
        this.#usedReplyTokens.add(replyToken);
        this.accepted.push({ path: req.path, retryKey: null, to: null, replyToken, messages: req.body.messages });
        if (this.#dropsAnswer(req.path)) {
          res.destroy();
          return;
        }
        res.status(200).json({ sentMessages: [{ id: "1", quoteToken: "q" }] });
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
    const server = await new Promise<Server>((resolve) => {
      const listening: Server = app.listen(0, "127.0.0.1", () => resolve(listening));
    });
    this.#servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    for (const release of this.#held.splice(0)) release();
    await Promise.all(this.#servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
