import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Router } from "express";
import type { Logger } from "../logger.js";
import type { CapturedRequests } from "./line-api-standin/captured-requests.js";
import type { FriendDirectory } from "./line-api-standin/friends.js";
import { lineError } from "./line-api-standin/line-answers.js";
import { messageContentRoutes } from "./line-api-standin/message-content.js";
import { messageRoutes } from "./line-api-standin/messages.js";
import { profileRoutes } from "./line-api-standin/profiles.js";
import { LOCAL_MONTHLY_LIMIT, MessageUsage, quotaRoutes } from "./line-api-standin/quota.js";
import { richMenuImageRoutes, richMenuRoutes, RichMenuState } from "./line-api-standin/rich-menus.js";

// An in-process stand-in for the LINE Messaging API, used in local mode: the bot's real SDK
// clients send every request they make here over HTTP, to two loopback ports as to LINE's two
// hosts: api.line.me (messages, quota, profiles, rich menus) and api-data.line.me (message content,
// rich menu images). It behaves as LINE does: the access token checked, LINE's status codes and
// error bodies, its limits (1 to 5 messages, a multicast to at most 500, rich menu rules), retry
// keys, the month's quota. What it delivered is kept for the dev chat page (CapturedRequests).
// State lives in memory: this exists for one developer's local process only.
export type StandInHost = "api" | "data";

export interface StandInRequest {
  host: StandInHost;
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

// Tests look at every request and answer (against LINE's OpenAPI documents): problems found in a
// request are answered 400, as LINE would answer a request it does not accept.
export interface StandInInspector {
  request?(request: StandInRequest): string[];
  response?(request: StandInRequest, status: number, body: unknown): void;
}

export interface LineApiStandInOptions {
  channelAccessToken: string;
  captured: CapturedRequests;
  friends: FriendDirectory;
  log: Logger;
  // The month's message limit (null: none); LINE's free plan by default.
  monthlyLimit?: number | null;
  inspector?: StandInInspector;
}

export interface RunningStandIn {
  apiUrl: string;
  dataUrl: string;
  richMenus: RichMenuState;
  usage: MessageUsage;
  stop(): Promise<void>;
}

export async function startLineApiStandIn(options: LineApiStandInOptions): Promise<RunningStandIn> {
  const richMenus = new RichMenuState();
  const usage = new MessageUsage(options.monthlyLimit === undefined ? LOCAL_MONTHLY_LIMIT : options.monthlyLimit);
  const { captured, friends } = options;
  const api = hostApp("api", options, [messageRoutes({ captured, usage, friends }), quotaRoutes(usage), profileRoutes(friends), richMenuRoutes(richMenus)]);
  const data = hostApp("data", options, [messageContentRoutes(captured), richMenuImageRoutes(richMenus)]);
  const [apiServer, dataServer] = await Promise.all([listen(api), listen(data)]);
  return {
    apiUrl: urlOf(apiServer),
    dataUrl: urlOf(dataServer),
    richMenus,
    usage,
    async stop() {
      await Promise.all([close(apiServer), close(dataServer)]);
    },
  };
}

function hostApp(host: StandInHost, options: LineApiStandInOptions, routers: Router[]): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use((_req, res, next) => {
    // Every answer of LINE carries its request id (a batch's progress is looked up by it).
    res.locals.requestId = randomUUID();
    res.set("x-line-request-id", res.locals.requestId as string);
    next();
  });
  app.use((req, res, next) => {
    if (req.headers.authorization !== `Bearer ${options.channelAccessToken}`) {
      lineError(res, 401, "Authentication failed. Confirm that the access token in the authorization header is valid.");
      return;
    }
    next();
  });
  app.use(express.json({ limit: "2mb" }));
  app.use(express.raw({ type: ["image/png", "image/jpeg"], limit: "2mb" }));
  const { inspector } = options;
  if (inspector) {
    app.use((req, res, next) => {
      const request: StandInRequest = { host, method: req.method, path: req.path, query: { ...req.query }, headers: req.headers, body: req.body };
      if (inspector.response) {
        const json = res.json.bind(res);
        res.json = (body: unknown) => {
          inspector.response!(request, res.statusCode, body);
          return json(body);
        };
      }
      const problems = inspector.request?.(request) ?? [];
      if (problems.length > 0) {
        lineError(res, 400, "The request is invalid", problems.map((message) => ({ message })));
        return;
      }
      next();
    });
  }
  for (const router of routers) app.use(router);
  app.use((req, res) => {
    options.log.warn({ host, method: req.method, path: req.path }, "the local LINE stand-in does not implement this endpoint (src/devchat/line-api-standin/)");
    lineError(res, 404, "Not found");
  });
  app.use(((error, req, res, _next) => {
    const status = (error as { status?: number } | null)?.status;
    if (status === 413) return lineError(res, 413, "Request Entity Too Large");
    if (typeof status === "number" && status >= 400 && status < 500) return lineError(res, 400, "The request body could not be read: send JSON with Content-Type application/json");
    options.log.error({ err: error, host, path: req.path }, "the local LINE stand-in failed");
    lineError(res, 500, "Internal server error");
  }) as express.ErrorRequestHandler);
  return app;
}

function listen(app: express.Express): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(server)));
    server.on("error", reject);
  });
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
