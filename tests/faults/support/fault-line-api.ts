import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { messagingSchemaErrors, prepareSendChecks, requestBodyKind } from "../../support/line-openapi.js";
import { mulberry32 } from "../../support/numbers.js";
import { preciseNow, sleep } from "./numbers.js";

// A fake LINE Messaging API (api.line.me and api-data.line.me on one loopback port) that behaves
// as LINE does where delivery is concerned, and fails the way LINE and networks fail when told to.
// - POST /v2/bot/message/reply: a reply token works once, within 60 s of its event
//   (https://developers.line.biz/en/reference/messaging-api/#send-reply-message); after that, or a
//   second time, 400 {"message":"Invalid reply token"}, and nothing is delivered.
// - POST /v2/bot/message/push: an X-Line-Retry-Key seen before gets 409 and is not delivered again
//   (https://developers.line.biz/en/reference/messaging-api/#retry-api-request).
// - Every JSON body is checked against LINE's OpenAPI document; one LINE would refuse is answered
//   400 and listed in `invalidBodies`.
// `deliveries` is what residents' phones show: every reply and push LINE accepted, in order.
export interface Delivery {
  seq: number;
  kind: "reply" | "push";
  userId: string;
  replyToken: string | null;
  retryKey: string | null;
  body: { messages?: { type: string; text?: string; altText?: string }[] };
  at: number;
}

const REPLY_TOKEN_LIFE_MS = 60_000;
const SEND_PATHS = new Set(["/v2/bot/message/reply", "/v2/bot/message/push"]);

interface Faults {
  // Answer one of these statuses (nothing delivered) to a share of the sends, until a time.
  failStatuses: number[];
  failFraction: number;
  failUntil: number;
  // Deliver, then destroy the connection without an answer: the next N sends, and a share of them
  // until a time.
  dropNext: number;
  dropFraction: number;
  dropUntil: number;
  // Wait before handling a send.
  latencyMs: number;
  // Wait between delivering and answering (a process killed in that window never hears back).
  holdAfterAcceptMs: number;
  // Never answer a send (nothing delivered).
  hang: boolean;
}

const noFaults = (): Faults => ({ failStatuses: [], failFraction: 0, failUntil: 0, dropNext: 0, dropFraction: 0, dropUntil: 0, latencyMs: 0, holdAfterAcceptMs: 0, hang: false });

export class FaultLineApi {
  readonly deliveries: Delivery[] = [];
  readonly invalidBodies: { path: string; errors: string[] }[] = [];
  // How each send was answered: status code, "dropped" or "hung".
  readonly outcomes = new Map<string, number>();
  // Sends delivered and not yet answered (held by holdAfterAcceptMs).
  held = 0;
  url = "";
  #faults = noFaults();
  readonly #replyTokens = new Map<string, { userId: string; issuedAt: number; used: boolean }>();
  readonly #retryKeys = new Set<string>();
  readonly #sockets = new Set<Socket>();
  readonly #random: () => number;
  #server: Server | null = null;

  constructor(seed = 12) {
    this.#random = mulberry32(seed);
  }

  // The token LINE put in an event sent to the bot now (its 60 s start here).
  issueReplyToken(replyToken: string, userId: string): void {
    if (!this.#replyTokens.has(replyToken)) this.#replyTokens.set(replyToken, { userId, issuedAt: Date.now(), used: false });
  }

  failFor(ms: number, statuses = [500, 502, 503, 429], fraction = 1): void {
    Object.assign(this.#faults, { failStatuses: statuses, failFraction: fraction, failUntil: Date.now() + ms });
  }

  dropAfterAccept(options: { next?: number; fraction?: number; forMs?: number }): void {
    this.#faults.dropNext = options.next ?? 0;
    this.#faults.dropFraction = options.fraction ?? 0;
    this.#faults.dropUntil = Date.now() + (options.forMs ?? 0);
  }

  setLatency(ms: number): void {
    this.#faults.latencyMs = ms;
  }

  holdAfterAccept(ms: number): void {
    this.#faults.holdAfterAcceptMs = ms;
  }

  hang(on: boolean): void {
    this.#faults.hang = on;
  }

  clearFaults(): void {
    this.#faults = noFaults();
  }

  async start(): Promise<this> {
    prepareSendChecks();
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    let body: any = undefined;
    if (raw.length > 0 && (req.headers["content-type"] ?? "").includes("json")) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        return answer(res, 400, { message: "The request body has 1 error(s)" });
      }
    }
    let kind: ReturnType<typeof requestBodyKind>;
    try {
      kind = requestBodyKind(req.method ?? "GET", path);
    } catch {
      return answer(res, 404, { message: "Not found" });
    }
    if (req.method === "POST" && kind === "json") {
      const errors = messagingSchemaErrors(req.method, path, body);
      if (errors.length > 0) {
        this.invalidBodies.push({ path, errors });
        return answer(res, 400, { message: "The request body has errors", details: errors });
      }
    }
    if (!(req.method === "POST" && SEND_PATHS.has(path))) return this.#other(req.method ?? "GET", path, res);
    await this.#send(path, req, body, res);
  }

  async #send(path: string, req: IncomingMessage, body: any, res: ServerResponse): Promise<void> {
    const faults = this.#faults;
    if (faults.hang) return this.#count("hung");
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (Date.now() < faults.failUntil && this.#random() < faults.failFraction) {
      const status = faults.failStatuses[Math.floor(this.#random() * faults.failStatuses.length)] ?? 500;
      this.#count(String(status));
      return answer(res, status, { message: `fault: ${status}` });
    }
    const delivered = path === "/v2/bot/message/reply" ? this.#reply(body) : this.#push(req, body);
    if (delivered.status !== 200) {
      this.#count(String(delivered.status));
      return answer(res, delivered.status, delivered.body);
    }
    if (faults.dropNext > 0 || (Date.now() < faults.dropUntil && this.#random() < faults.dropFraction)) {
      if (faults.dropNext > 0) faults.dropNext -= 1;
      this.#count("dropped");
      req.socket.destroy();
      return;
    }
    if (faults.holdAfterAcceptMs > 0) {
      this.held += 1;
      await sleep(faults.holdAfterAcceptMs);
      this.held -= 1;
    }
    this.#count("200");
    answer(res, 200, delivered.body);
  }

  #reply(body: any): { status: number; body: unknown } {
    const token = this.#replyTokens.get(body.replyToken);
    if (!token || token.used || Date.now() - token.issuedAt > REPLY_TOKEN_LIFE_MS) return { status: 400, body: { message: "Invalid reply token" } };
    token.used = true;
    this.#deliver({ kind: "reply", userId: token.userId, replyToken: body.replyToken, retryKey: null, body });
    return { status: 200, body: { sentMessages: body.messages.map((_: unknown, index: number) => ({ id: String(this.deliveries.length * 10 + index), quoteToken: "q" })) } };
  }

  #push(req: IncomingMessage, body: any): { status: number; body: unknown } {
    const retryKey = (req.headers["x-line-retry-key"] as string | undefined) ?? null;
    if (retryKey !== null && this.#retryKeys.has(retryKey)) return { status: 409, body: { message: "The retry key is already accepted" } };
    if (retryKey !== null) this.#retryKeys.add(retryKey);
    this.#deliver({ kind: "push", userId: body.to, replyToken: null, retryKey, body });
    return { status: 200, body: { sentMessages: body.messages.map((_: unknown, index: number) => ({ id: String(this.deliveries.length * 10 + index), quoteToken: "q" })) } };
  }

  #deliver(delivery: Omit<Delivery, "seq" | "at">): void {
    this.deliveries.push({ ...delivery, seq: this.deliveries.length, at: preciseNow() });
  }

  // Everything else the bot may call (quota, rich menus, profiles): a plain success.
  #other(method: string, path: string, res: ServerResponse): void {
    if (method === "GET" && path === "/v2/bot/message/quota") return answer(res, 200, { type: "none" });
    if (method === "GET" && path === "/v2/bot/message/quota/consumption") return answer(res, 200, { totalUsage: 0 });
    answer(res, 200, {});
  }

  #count(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", () => resolve(Buffer.concat(chunks)));
  });
}
