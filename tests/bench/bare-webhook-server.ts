import express from "express";
import { middleware } from "@line/bot-sdk";

// The baseline for bench:webhook: express + the SDK's signature middleware, acking without storing.
const app = express();
app.post("/webhook", middleware({ channelSecret: process.env.LINE_CHANNEL_SECRET ?? "" }), (_req, res) => {
  res.status(200).json({});
});
app.get("/readyz", (_req, res) => {
  res.json({ status: "ready" });
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1");
server.keepAliveTimeout = 65_000;
