import express, { type Router } from "express";

// The month's message quota (https://developers.line.biz/en/reference/messaging-api/#get-quota and
// #get-consumption). Locally the account is on LINE's free plan in Japan (コミュニケーションプラン:
// 200 messages a month) and the month began when the process started. Replies are free; push,
// multicast and broadcast count one message per friend reached, and a send that would go past the
// limit is refused with 429, as LINE does.
export const LOCAL_MONTHLY_LIMIT = 200;

export class MessageUsage {
  #used = 0;

  // null: no limit (LINE's "none").
  constructor(readonly limit: number | null = LOCAL_MONTHLY_LIMIT) {}

  get used(): number {
    return this.#used;
  }

  fits(count: number): boolean {
    return this.limit === null || this.#used + count <= this.limit;
  }

  add(count: number): void {
    this.#used += count;
  }
}

export function quotaRoutes(usage: MessageUsage): Router {
  const router = express.Router();
  router.get("/v2/bot/message/quota", (_req, res) => {
    res.json(usage.limit === null ? { type: "none" } : { type: "limited", value: usage.limit });
  });
  router.get("/v2/bot/message/quota/consumption", (_req, res) => {
    res.json({ totalUsage: usage.used });
  });
  return router;
}
