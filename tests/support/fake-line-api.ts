import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { messagingOperationId, messagingSchemaErrors } from "./line-openapi.js";

// A local stand-in for api.line.me used by the tests: it records every request, checks every body
// against LINE's OpenAPI document (a body LINE would reject is answered 400 and listed in
// `invalidBodies`, which the tests assert is empty), and can be told to fail the next requests.
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export class FakeLineApi {
  readonly requests: RecordedRequest[] = [];
  readonly invalidBodies: { path: string; errors: string[] }[] = [];
  #scripted: { path: string; status: number; body: unknown }[] = [];
  #contents = new Map<string, { bytes: Buffer; contentType: string }>();
  #richMenuAliases = new Map<string, string>();
  // The rich menu linked to each user (POST/DELETE /v2/bot/user/{userId}/richmenu…).
  readonly userRichMenus = new Map<string, string>();
  #server: Server | null = null;
  url = "";

  // The next request to `path` gets this answer instead of success (queued in order).
  failNext(path: string, status: number, body: unknown = { message: `scripted ${status}` }): void {
    this.#scripted.push({ path, status, body });
  }

  // What GET /v2/bot/message/{messageId}/content answers (as api-data.line.me does).
  setContent(messageId: string, bytes: Buffer, contentType = "image/jpeg"): void {
    this.#contents.set(messageId, { bytes, contentType });
  }

  // A deployed rich menu reachable by its alias (GET /v2/bot/richmenu/alias/{richMenuAliasId}).
  setRichMenuAlias(alias: string, richMenuId: string): void {
    this.#richMenuAliases.set(alias, richMenuId);
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
      if (req.path.includes("/richmenu")) return this.#richMenu(req, res);
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

  // Rich menu aliases and per-user links, as LINE keeps them; a path the spec lacks is invalid.
  #richMenu(req: express.Request, res: express.Response): void {
    if (!messagingOperationId(req.method, req.path)) {
      this.invalidBodies.push({ path: req.path, errors: [`${req.method} ${req.path} is not an operation of LINE's Messaging API spec`] });
      res.status(404).json({ message: "Not found" });
      return;
    }
    const alias = /^\/v2\/bot\/richmenu\/alias\/([^/]+)$/.exec(req.path);
    const link = /^\/v2\/bot\/user\/([^/]+)\/richmenu(?:\/([^/]+))?$/.exec(req.path);
    if (req.method === "GET" && alias) {
      const richMenuId = this.#richMenuAliases.get(alias[1]!);
      if (richMenuId) res.status(200).json({ richMenuAliasId: alias[1], richMenuId });
      else res.status(404).json({ message: "richmenu alias not found" });
    } else if (req.method === "POST" && link?.[2]) {
      if (![...this.#richMenuAliases.values()].includes(link[2])) {
        res.status(400).json({ message: "richmenu not found" });
        return;
      }
      this.userRichMenus.set(link[1]!, link[2]);
      res.status(200).json({});
    } else if (req.method === "DELETE" && link && !link[2]) {
      this.userRichMenus.delete(link[1]!);
      res.status(200).json({});
    } else {
      res.status(404).json({ message: "Not found: the fake implements rich menu aliases and per-user links only" });
    }
  }

  to(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
