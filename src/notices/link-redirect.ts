import express, { type Router } from "express";
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";

// /r/<token>: the links in a notice point here so taps can be counted per notice and per link.
// The token is random and shared by every recipient, so the count says nothing about who tapped;
// the only places it redirects to are the URLs written in a notice (looked up, never taken from the
// request), so it cannot be used as an open redirect.
export function noticeLinkRedirect(db: Kysely<Database>): Router {
  const router = express.Router();
  router.get("/r/:token", async (req, res) => {
    const token = req.params.token;
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(token)) return void res.status(404).type("text").send("このリンクは見つかりません。");
    const link = await db
      .updateTable("notice_links")
      .set({ clicks: sql`clicks + 1` })
      .where("token", "=", token)
      .returning("url")
      .executeTakeFirst();
    if (!link) return void res.status(404).type("text").send("このリンクは見つかりません。お知らせの中のリンクをもう一度押してください。");
    res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" }).redirect(302, link.url);
  });
  return router;
}
