import express, { type Request, type Response, type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { addressKey } from "./address-key.js";
import { audit } from "./audit.js";
import { sameToken, requireStaff } from "./guard.js";
import { html } from "./html.js";
import { page } from "./layout.js";
import { createLoginCheck, type LoginSettings } from "./login-check.js";
import { loginFormParser, readLoginForm, UNREADABLE } from "./login-form.js";
import { createSession, endSession, newToken, parseCookies, SESSION_COOKIE } from "./sessions.js";

// Login and logout. What an attempt may do is decided in login-check.ts; here: the form, the
// cookies and the answers. The login form has its own CSRF token (a cookie and a field that must
// match). Cookies are Secure in production, and whenever the request reached the proxy over https
// (req.secure, which believes X-Forwarded-Proto only from a proxy TRUST_PROXY names).
const LOGIN_CSRF_COOKIE = "hs_login";
const REFUSED =
  "職員IDまたはパスワードが違うか、ログインの失敗が続いたためアカウントが一時的にロックされています。入力を確かめてもう一度お試しいただくか、15分ほどおいてから試してください。解決しないときは管理者に連絡してください。";
const BUSY = "ただいまログインが混み合っています。数秒おいてから、もう一度ログインしてください。";
const BUSY_RETRY_AFTER_SECONDS = 5;
const addressLimited = (minutes: number) =>
  `このネットワークからのログインの失敗が続いたため、しばらくログインを受け付けていません。${minutes}分ほどおいてから試すか、管理者に連絡してください。`;

export interface LoginOptions {
  // Secure cookies whatever the request (NODE_ENV=production: README puts https in front).
  secureCookies: boolean;
  login?: LoginSettings;
}

export function loginRoutes(db: Kysely<Database>, options: LoginOptions): Router {
  const router = express.Router();
  const checkLogin = createLoginCheck(db, options.login);
  const cookie = (req: Request, name: string, value: string, maxAgeMs?: number) =>
    [
      `${name}=${encodeURIComponent(value)}`,
      "Path=/staff",
      "HttpOnly",
      "SameSite=Strict",
      ...(options.secureCookies || req.secure ? ["Secure"] : []),
      ...(maxAgeMs !== undefined ? [`Max-Age=${Math.floor(maxAgeMs / 1000)}`] : []),
    ].join("; ");

  const loginPage = (req: Request, res: Response, next: string, message: string | null, status = 200) => {
    const token = newToken();
    res.status(status).append("Set-Cookie", cookie(req, LOGIN_CSRF_COOKIE, token, 30 * 60 * 1000)).type("html").send(
      page({
        title: "ログイン",
        body: html`${message ? html`<p class="error" role="alert">${message}</p>` : ""}
<form method="post" action="/staff/login" class="login">
  <input type="hidden" name="_csrf" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <label>職員ID<input name="login_id" autocomplete="username" required autofocus maxlength="100"></label>
  <label>パスワード<input name="password" type="password" autocomplete="current-password" required maxlength="1000"></label>
  <button type="submit" class="primary">ログイン</button>
</form>`,
      }),
    );
  };

  router.get("/staff/login", (req, res) => loginPage(req, res, safeNext(req.query.next), null));

  const parseForm = loginFormParser((req, res) => loginPage(req, res, safeNext(undefined), UNREADABLE, 400));
  router.post("/staff/login", parseForm, async (req, res) => {
    const read = readLoginForm(req.body);
    if (!read.ok) {
      loginPage(req, res, safeNext(undefined), read.message, 400);
      return;
    }
    const { form } = read;
    const next = safeNext(form.next);
    const expected = parseCookies(req.headers.cookie)[LOGIN_CSRF_COOKIE] ?? "";
    if (!expected || !sameToken(form._csrf ?? "", expected)) {
      loginPage(req, res, next, "画面が古くなっています。もう一度ログインしてください。", 403);
      return;
    }
    const result = await checkLogin(form.login_id, form.password, addressKey(req.ip));
    switch (result.kind) {
      case "accepted": {
        const token = await createSession(db, result.staffId);
        res.set("Set-Cookie", [cookie(req, SESSION_COOKIE, token), cookie(req, LOGIN_CSRF_COOKIE, "", 0)]).redirect(303, next);
        return;
      }
      case "refused":
        loginPage(req, res, next, REFUSED, 401);
        return;
      case "address-limited":
        res.set("Retry-After", String(result.retryAfterSeconds));
        loginPage(req, res, next, addressLimited(Math.ceil(result.retryAfterSeconds / 60)), 429);
        return;
      case "busy":
        res.set("Retry-After", String(BUSY_RETRY_AFTER_SECONDS));
        loginPage(req, res, next, BUSY, 503);
        return;
    }
  });

  const parseLogoutForm = loginFormParser((_req, res) => res.status(400).json({ error: UNREADABLE }));
  router.post("/staff/logout", requireStaff(db), parseLogoutForm, async (req, res) => {
    const staff = req.staff!;
    if (!sameToken(String((req.body as Record<string, unknown> | undefined)?._csrf ?? ""), staff.csrfToken)) {
      res.status(403).json({ error: "画面が古くなっています。ページを読み込み直してください。" });
      return;
    }
    await endSession(db, staff.sessionId);
    await audit(db, staff, "logout", { type: "staff_user", id: staff.id });
    res.set("Set-Cookie", cookie(req, SESSION_COOKIE, "", 0)).redirect(303, "/staff/login");
  });
  return router;
}

// Only a path inside the console: never an open redirect to another site.
function safeNext(value: unknown): string {
  const next = typeof value === "string" ? value : "";
  return /^\/staff(\/[^\s\\]*)?$/.test(next) && !next.startsWith("//") && !next.startsWith("/staff/login") ? next : "/staff/inquiries";
}
