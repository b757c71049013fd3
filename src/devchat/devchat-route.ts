import { readFile } from "node:fs/promises";
import express, { type Router } from "express";
import { CONTENT_MAX_BYTES, type CapturedRequests } from "./line-api-standin/captured-requests.js";
import { chatRichMenuRoutes, type LineApiAddress } from "./chat-rich-menu.js";

const pageFile = new URL("./chat-page.html", import.meta.url);

// The bot's own LINE user id as the dev chat page puts it in `destination` (any U + 32 hex will do).
export const LOCAL_DESTINATION = "U00000000000000000000000000000000";

export interface DevChatParts {
  botName: string;
  captured: CapturedRequests;
  // The LINE API the bot talks to, where the page's rich menu is read.
  line: LineApiAddress;
}

// /dev/chat: a page that talks to the bot as a LINE user would (see chat-page.html). It gets the
// channel secret to sign its webhook events, so it is only mounted in local mode or with DEV_CHAT=1.
export function devChatRouter(options: DevChatParts & { channelSecret: string }): Router {
  const router = express.Router();
  router.get("/dev/chat", async (_req, res) => {
    res.type("html").set("Cache-Control", "no-store").send(await readFile(pageFile, "utf8"));
  });
  router.get("/dev/chat/api/config", (_req, res) => {
    res.json({ channelSecret: options.channelSecret, destination: LOCAL_DESTINATION, botName: options.botName });
  });
  router.get("/dev/chat/api/captured", (req, res) => {
    const since = Number.parseInt(String(req.query.since ?? "0"), 10);
    res.json(options.captured.since(Number.isFinite(since) ? since : 0));
  });

  router.use(chatRichMenuRoutes(options.line));

  // The page uploads an image's bytes here before it sends the image's webhook event; the bot then
  // downloads them from the LINE API stand-in's data host (GET /v2/bot/message/{id}/content), as from LINE.
  const contentPath = "/dev/chat/api/content/:messageId";
  router.put(
    contentPath,
    (req, res, next) => {
      if (!/^[0-9]{1,32}$/.test(req.params.messageId ?? "")) {
        res.status(400).json({ message: "The message id must be 1 to 32 digits." });
        return;
      }
      if (!req.is("image/*")) {
        res.status(400).json({ message: "Only image content is accepted: send the bytes with an image/* Content-Type." });
        return;
      }
      next();
    },
    express.raw({ type: () => true, limit: CONTENT_MAX_BYTES }),
    (req, res) => {
      const bytes: unknown = req.body;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
        res.status(400).json({ message: "The request body is empty: send the image bytes." });
        return;
      }
      const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      options.captured.putContent(req.params.messageId!, bytes, contentType);
      res.status(200).json({ messageId: req.params.messageId, size: bytes.length, contentType });
    },
  );
  router.use(contentPath, ((error, _req, res, next) => {
    const status = (error as { status?: number } | null)?.status;
    if (status === 413) {
      res.status(413).json({ message: `The image is too large: at most ${CONTENT_MAX_BYTES / 1024 / 1024} MiB.` });
      return;
    }
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ message: "The request body could not be read." });
      return;
    }
    next(error);
  }) as express.ErrorRequestHandler);
  return router;
}
