import express, { type ErrorRequestHandler, type Express } from "express";
import { JSONParseError, SignatureValidationFailed, middleware } from "@line/bot-sdk";
import type { Logger } from "../logger.js";
import type { InboxWriter } from "./inbox-writer.js";
import { parseWebhookBody } from "../line/webhook-body.js";
import { storeErrorSummary } from "../store/store-errors.js";

// LINE sends small bodies; 1 MiB is far above any real one and stops a flood before it is parsed.
export const WEBHOOK_BODY_LIMIT = "1mb";

// How long a webhook waits for its events to be stored. A database that hangs (a network
// partition, a server that stopped answering) would otherwise hold LINE's request open until the
// statement's own time limit; past this the answer is 503 and LINE redelivers. Should the insert
// still commit afterwards, the redelivered events are no-ops (same webhookEventId).
export const WEBHOOK_STORE_TIMEOUT_MS = 5_000;

// POST /webhook: read the raw body (413 past the limit), check X-Line-Signature over those exact
// bytes with the SDK's middleware (401), parse and check the shape (400), store every event in the
// inbox and only then answer 200. Nothing touches the store before the signature is checked.
// Mounted on the app itself, not through a sub-router: every event passes here, and a router's
// own matching is a measurable share of the ack's CPU (bench:webhook).
export function mountWebhook(app: Express, options: { channelSecret: string; inbox: InboxWriter; log: Logger }): void {
  const { inbox, log } = options;
  app.post(
    "/webhook",
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    (req, _res, next) => {
      // With no body at all the raw parser leaves req.body unset; the SDK needs a buffer to verify.
      if (!Buffer.isBuffer(req.body)) req.body = Buffer.alloc(0);
      next();
    },
    middleware({ channelSecret: options.channelSecret }),
    async (req, res) => {
      const parsed = parseWebhookBody(req.body);
      if (!parsed.ok) {
        res.status(400).json({ error: parsed.error });
        return;
      }
      const { events, refusals, cleanedStrings } = parsed.value;
      const eventIds = events.map((event) => event.webhookEventId);
      if (refusals.size > 0 || cleanedStrings > 0) {
        // Stored all the same (webhook-body.ts): refused ones as failed, with these reasons.
        log.warn({ refusals: Object.fromEntries(refusals), cleanedStrings }, "webhook events with values the store refuses: cleaned, or stored as failed");
      }
      try {
        await withinTime(inbox.store(events, new Date(), refusals), WEBHOOK_STORE_TIMEOUT_MS);
      } catch (error) {
        // Events the store refuses for what they hold are stored as failed by the inbox itself, so
        // what reaches here is a store that cannot be reached: 503, and LINE redelivers later
        // (never 200 for an event that was not stored).
        log.error({ reason: storeErrorSummary(error), eventIds }, "could not store webhook events; answering 503 so LINE redelivers");
        res.status(503).set("Retry-After", "5").json({ error: "events could not be stored now; please redeliver" });
        return;
      }
      log.info({ eventIds }, "webhook events stored");
      res.status(200).json({});
    },
  );
  app.use("/webhook", webhookErrors(log));
}

function webhookErrors(log: Logger): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (error instanceof SignatureValidationFailed) {
      log.warn({ reason: error.message }, "webhook rejected: signature");
      res.status(401).json({ error: "missing or invalid X-Line-Signature: check LINE_CHANNEL_SECRET" });
      return;
    }
    if (error instanceof JSONParseError) {
      res.status(400).json({ error: "body is not valid JSON" });
      return;
    }
    const status = (error as { status?: number; type?: string }).status;
    if (status === 413) {
      res.status(413).json({ error: `body is larger than ${WEBHOOK_BODY_LIMIT}` });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: (error as Error).message });
      return;
    }
    next(error);
  };
}

function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not store the events within ${ms} ms (timed out after ${ms} ms)`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
