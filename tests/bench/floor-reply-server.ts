import express from "express";
import { messagingApi, middleware, type webhook } from "@line/bot-sdk";

// The floor of the ack → reply part of bench:webhook: the least a LINE bot can do on this machine.
// express + the SDK's signature middleware, ack 200 at once, then reply to every event through the
// SDK's client, to the same LINE API stand-in the bot under test uses: no database, no state, no
// understanding. Whatever latency this shows is the cost of the machine, the load generator and the
// HTTP stack, not of the bot.
const client = new messagingApi.MessagingApiClient({
  channelAccessToken: "bench-access-token",
  baseURL: process.env.LINE_API_BASE_URL ?? "",
});
const app = express();
app.post("/webhook", middleware({ channelSecret: process.env.LINE_CHANNEL_SECRET ?? "" }), (req, res) => {
  res.status(200).json({});
  for (const event of (req.body as webhook.CallbackRequest).events) {
    if (!("replyToken" in event) || !event.replyToken) continue;
    client.replyMessage({ replyToken: event.replyToken, messages: [{ type: "text", text: "受け付けました" }] }).catch((error: unknown) => {
      process.stderr.write(`floor server: reply failed: ${String(error)}\n`);
    });
  }
});
app.get("/readyz", (_req, res) => {
  res.json({ status: "ready" });
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1");
server.keepAliveTimeout = 65_000;
