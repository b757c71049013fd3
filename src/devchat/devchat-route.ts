import { readFile } from "node:fs/promises";
import express, { type Router } from "express";
import type { CapturedRequests } from "./line-api-standin.js";

const pageFile = new URL("./chat-page.html", import.meta.url);

// The bot's own LINE user id as the dev chat page puts it in `destination` (any U + 32 hex will do).
export const LOCAL_DESTINATION = "U00000000000000000000000000000000";

// /dev/chat: a page that talks to the bot as a LINE user would (see chat-page.html). It gets the
// channel secret to sign its webhook events, so it is only mounted in local mode or with DEV_CHAT=1.
export function devChatRouter(options: { channelSecret: string; botName: string; captured: CapturedRequests }): Router {
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
  return router;
}
