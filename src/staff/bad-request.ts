import type { ErrorRequestHandler } from "express";
import { isApiPath } from "./guard.js";
import { html } from "./html.js";
import { page } from "./layout.js";

// The console's last error handler: a request the console could not even read (a body too large or
// not urlencoded, an address with broken %-escapes) or a value the database refused as data (a NUL,
// a date or number out of range: Postgres error class 22) is the sender's mistake, so it gets a 4xx
// with what to do, never a 500. Everything else goes on to the app's handler (500, logged).
// Pages check their own input first (zod at the edge); this is the net under them.
const MESSAGES: Record<number, string> = {
  413: "送られた内容が大きすぎます。内容を短くしてから、もう一度送ってください。",
  415: "この形式の送信は受け付けていません。管理画面のボタンから操作してください。",
};
const DEFAULT_MESSAGE = "送られた値を読み取れませんでした。入力した内容（日付・数字・記号）を確かめて、管理画面からもう一度操作してください。";

export const answerBadRequests: ErrorRequestHandler = (error, req, res, next) => {
  const status = clientErrorStatus(error);
  if (status === null || res.headersSent) return next(error);
  const message = MESSAGES[status] ?? DEFAULT_MESSAGE;
  if (isApiPath(req) || req.method !== "GET") return void res.status(status).json({ error: message });
  res
    .status(status)
    .type("html")
    .send(page({ title: "読み取れない値です", staff: req.staff, body: html`<p class="error">${message}</p><p><a href="/staff">管理画面のはじめに戻る</a></p>` }));
};

export function clientErrorStatus(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const { status, statusCode, code } = error as { status?: unknown; statusCode?: unknown; code?: unknown };
  const declared = typeof status === "number" ? status : typeof statusCode === "number" ? statusCode : null;
  if (declared !== null && declared >= 400 && declared < 500) return declared;
  // 22xxx: data exception (invalid_text_representation, datetime_field_overflow,
  // character_not_in_repertoire, numeric_value_out_of_range, …): the value sent, not the server.
  if (typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code)) return 400;
  return null;
}
