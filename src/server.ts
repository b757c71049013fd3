import express, { type Express } from "express";
import { sql, type Kysely } from "kysely";
import type { Logger } from "./logger.js";
import type { Database } from "./store/database.js";
import type { InboxWriter } from "./inbox/inbox-writer.js";
import { mountWebhook } from "./inbox/webhook-route.js";
import { devChatRouter, type DevChatParts } from "./devchat/devchat-route.js";
import { staffConsole, type StaffConsoleOptions } from "./staff/staff-router.js";
import { publicListingPhotos } from "./staff/listings/listing-photos.js";
import { noticeLinkRedirect } from "./notices/link-redirect.js";
import { storeErrorSummary } from "./store/store-errors.js";
import type { TrustProxy } from "./trust-proxy.js";

export interface AppParts {
  db: Kysely<Database>;
  log: Logger;
  channelSecret: string;
  // Absent for a worker-only process: it serves health checks and nothing else.
  inbox: InboxWriter | null;
  devChat: DevChatParts | null;
  // The staff console, where this process serves web requests.
  staff: StaffConsoleOptions | null;
  // Which proxies' X-Forwarded-* headers to believe (TRUST_PROXY): decides req.ip and req.secure.
  trustProxy: TrustProxy;
}

// Builds the express app from its parts; the parts hold the logic.
export function buildApp(parts: AppParts): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", parts.trustProxy);
  // Browsers that reached us over https keep to https (HSTS). req.secure believes X-Forwarded-Proto
  // only from a trusted proxy, so a forged header on plain http never sets this.
  app.use((req, res, next) => {
    if (req.secure) res.set("Strict-Transport-Security", "max-age=31536000");
    next();
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await withTimeout(sql`select 1`.execute(parts.db), 2_000);
      res.json({ status: "ready", database: "reachable" });
    } catch (error) {
      const reason = storeErrorSummary(error);
      parts.log.warn({ reason }, "readiness check: database unreachable");
      res.status(503).json({ status: "not ready", database: "unreachable", reason });
    }
  });

  if (parts.inbox) mountWebhook(app, { channelSecret: parts.channelSecret, inbox: parts.inbox, log: parts.log });
  if (parts.devChat) app.use(devChatRouter({ channelSecret: parts.channelSecret, ...parts.devChat }));
  if (parts.staff) app.use(staffConsole(parts.db, parts.staff));
  // Listing photos for the residents' LINE app (published listings only, no session).
  if (parts.staff) app.use(publicListingPhotos(parts.db));
  // Links in notices, counted per notice (no session, no personal data).
  if (parts.staff) app.use(noticeLinkRedirect(parts.db));

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  app.use(((error, _req, res, _next) => {
    parts.log.error({ err: error }, "unhandled error in a request");
    if (!res.headersSent) res.status(500).json({ error: "internal error" });
  }) as express.ErrorRequestHandler);
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
