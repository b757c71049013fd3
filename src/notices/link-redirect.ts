import express, { type ErrorRequestHandler, type Response, type Router } from "express";
import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { LINKS_LIVE } from "./notice-permissions.js";

// /r/<token>: the links in a notice point here so taps can be counted per notice and per link.
// The token is random and shared by every recipient, so the count says nothing about who tapped;
// the only places it redirects to are the URLs written in a notice (looked up, never taken from the
// request), and only once an administrator approved that notice (LINKS_LIVE), so it cannot be used
// as an open redirect by whoever writes a draft. A link that does not lead anywhere is not counted.
export function noticeLinkRedirect(db: Kysely<Database>): Router {
  const router = express.Router();
  router.get("/r/:token", async (req, res) => {
    const token = req.params.token;
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(token)) return notFound(res);
    const link = await db
      .updateTable("notice_links")
      .set({ clicks: sql`clicks + 1` })
      .where("token", "=", token)
      .where("notice_id", "in", db.selectFrom("notices").select("id").where("status", "in", [...LINKS_LIVE]))
      .returning("url")
      .executeTakeFirst();
    if (!link) return notFound(res);
    res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" }).redirect(302, link.url);
  });
  // A token with broken %-escapes (express refuses to decode it, status 400) is no link of ours.
  router.use("/r", ((error, _req, res, next) => {
    if ((error as { status?: unknown }).status === 400) return notFound(res);
    next(error);
  }) as ErrorRequestHandler);
  return router;
}

const NOT_FOUND_PAGE = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>リンクが見つかりません</title></head>
<body><h1>リンクが見つかりません</h1><p>このリンクは見つからないか、まだ使えません。お知らせの中のリンクをもう一度押すか、人吉市のホームページをご覧ください。</p></body></html>
`;

function notFound(res: Response): void {
  res
    .status(404)
    .set({ "Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff" })
    .type("html")
    .send(NOT_FOUND_PAGE);
}
