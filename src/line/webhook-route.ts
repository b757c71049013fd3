import express, { type ErrorRequestHandler, type Router } from "express";
import { JSONParseError, SignatureValidationFailed, middleware } from "@line/bot-sdk";
import type { Logger } from "../logger.js";
import type { InboxWriter } from "../inbox/inbox-writer.js";
import { parseWebhookBody } from "./webhook-body.js";

// LINE sends small bodies; 1 MiB is far above any real one and stops a flood before it is parsed.
export const WEBHOOK_BODY_LIMIT = "1mb";

// POST /webhook: read the raw body (413 past the limit), check X-Line-Signature over those exact
// bytes with the SDK's middleware (401), parse and check the shape (400), store every event in the
// inbox and only then answer 200. Nothing touches the store before the signature is checked.
export function webhookRouter(options: { channelSecret: string; inbox: InboxWriter; log: Logger }): Router {
  const { inbox, log } = options;
  const router = express.Router();
  router.post(
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
      const eventIds = parsed.value.events.map((event) => event.webhookEventId);
      try {
        await inbox.store(parsed.value.events);
      } catch (error) {
        log.error({ err: error, eventIds }, "could not store webhook events; answering 500 so LINE redelivers");
        res.status(500).json({ error: "events could not be stored; please redeliver" });
        return;
      }
      log.info({ eventIds }, "webhook events stored");
      res.status(200).json({});
    },
  );
  router.use("/webhook", webhookErrors(log));
  return router;
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
