import express, { type Router } from "express";
import type { FriendDirectory } from "./friends.js";
import { lineError, USER_ID } from "./line-answers.js";

// GET /v2/bot/profile/{userId} (https://developers.line.biz/en/reference/messaging-api/#get-profile):
// LINE answers for friends of the account only, 404 for anyone else (never added, or blocked).
// A chat page user has no LINE profile: the name says where they come from, with the end of their
// id to tell several apart.
export function profileRoutes(friends: FriendDirectory): Router {
  const router = express.Router();
  router.get("/v2/bot/profile/:userId", async (req, res) => {
    const { userId } = req.params;
    if (!USER_ID.test(userId) || !(await friends.isFriend(userId))) {
      lineError(res, 404, "Not found");
      return;
    }
    res.json(localProfile(userId));
  });
  return router;
}

export function localProfile(userId: string): { userId: string; displayName: string; language: string } {
  return { userId, displayName: `開発用チャット利用者 ${userId.slice(-4)}`, language: "ja" };
}
