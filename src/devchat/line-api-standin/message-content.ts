import express, { type Router } from "express";
import type { CapturedRequests } from "./captured-requests.js";
import { lineError } from "./line-answers.js";

// LINE's data API (api-data.line.me): the content of a message the user sent, here the bytes of an
// image the dev chat page uploaded before it sent the image's webhook event.
export function messageContentRoutes(captured: CapturedRequests): Router {
  const router = express.Router();
  router.get("/v2/bot/message/:messageId/content", (req, res) => {
    const stored = captured.content(req.params.messageId);
    if (!stored) {
      lineError(res, 404, "Not found");
      return;
    }
    res.status(200).type(stored.contentType).set("Content-Length", String(stored.bytes.length)).send(stored.bytes);
  });
  return router;
}
