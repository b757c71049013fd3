import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { audit } from "./audit.js";
import { sameToken, requireStaff } from "./guard.js";
import { html } from "./html.js";
import { page } from "./layout.js";
import { dummyPasswordHash, verifyPassword } from "./password.js";
import { createSession, endSession, newToken, parseCookies, SESSION_COOKIE } from "./sessions.js";

// Login and logout. Wrong passwords are slowed (each failure past the third waits longer) and,
// at LOCK_AFTER failures in a row, lock the account for LOCK_MS; the answer never says whether
// the login id exists. The login form has its own CSRF token (a cookie and a field that must match).
const LOGIN_CSRF_COOKIE = "hs_login";
export const LOCK_AFTER = 10;
export const LOCK_MS = 15 * 60 * 1000;
const SLOW_AFTER = 3;
const SLOW_STEP_MS = 250;
const SLOW_MAX_MS = 1_500;

export function loginRoutes(db: Kysely<Database>, options: { secureCookies: boolean }): Router {
  const router = express.Router();
  const cookie = (name: string, value: string, maxAgeMs?: number) =>
    [`${name}=${encodeURIComponent(value)}`, "Path=/staff", "HttpOnly", "SameSite=Strict", ...(options.secureCookies ? ["Secure"] : []), ...(maxAgeMs !== undefined ? [`Max-Age=${Math.floor(maxAgeMs / 1000)}`] : [])].join("; ");

  const loginPage = (res: express.Response, next: string, message: string | null, status = 200) => {
    const token = newToken();
    res.status(status).set("Set-Cookie", cookie(LOGIN_CSRF_COOKIE, token, 30 * 60 * 1000)).type("html").send(
      page({
        title: "ログイン",
        body: html`${message ? html`<p class="error" role="alert">${message}</p>` : ""}
<form method="post" action="/staff/login" class="login">
  <input type="hidden" name="_csrf" value="${token}">
  <input type="hidden" name="next" value="${next}">
  <label>職員ID<input name="login_id" autocomplete="username" required autofocus></label>
  <label>パスワード<input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" class="primary">ログイン</button>
</form>`,
      }),
    );
  };

  router.get("/staff/login", (req, res) => loginPage(res, safeNext(req.query.next), null));

  router.post("/staff/login", express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    const next = safeNext(body.next);
    const expected = parseCookies(req.headers.cookie)[LOGIN_CSRF_COOKIE] ?? "";
    if (!expected || !sameToken(String(body._csrf ?? ""), expected)) {
      loginPage(res, next, "画面が古くなっています。もう一度ログインしてください。", 403);
      return;
    }
    const loginId = String(body.login_id ?? "").trim().slice(0, 100);
    const password = String(body.password ?? "").slice(0, 1000);
    const now = new Date();
    const user = await db.selectFrom("staff_users").selectAll().where("login_id", "=", loginId).executeTakeFirst();
    if (!user || user.disabled_at) {
      await verifyPassword(password, await dummyPasswordHash());
      loginPage(res, next, "職員IDまたはパスワードが違います。", 401);
      return;
    }
    if (user.locked_until && user.locked_until.getTime() > now.getTime()) {
      await audit(db, { id: user.id }, "login.locked", { type: "staff_user", id: user.id });
      loginPage(res, next, "ログインの失敗が続いたため、このアカウントはしばらくロックされています。時間をおいてから試すか、管理者に連絡してください。", 423);
      return;
    }
    if (!(await verifyPassword(password, user.password_hash))) {
      const failures = user.failed_logins + 1;
      const locked = failures >= LOCK_AFTER;
      await db
        .updateTable("staff_users")
        .set({ failed_logins: locked ? 0 : failures, locked_until: locked ? new Date(now.getTime() + LOCK_MS) : user.locked_until })
        .where("id", "=", user.id)
        .execute();
      await audit(db, { id: user.id }, locked ? "login.lock" : "login.failed", { type: "staff_user", id: user.id }, { failures });
      if (failures > SLOW_AFTER) await new Promise((resolve) => setTimeout(resolve, Math.min(SLOW_MAX_MS, (failures - SLOW_AFTER) * SLOW_STEP_MS)));
      loginPage(
        res,
        next,
        locked ? "ログインの失敗が続いたため、このアカウントをしばらくロックしました。時間をおいてから試すか、管理者に連絡してください。" : "職員IDまたはパスワードが違います。",
        locked ? 423 : 401,
      );
      return;
    }
    await db.updateTable("staff_users").set({ failed_logins: 0, locked_until: null, last_login_at: now }).where("id", "=", user.id).execute();
    const token = await createSession(db, user.id, now);
    await audit(db, { id: user.id }, "login", { type: "staff_user", id: user.id });
    res.set("Set-Cookie", [cookie(SESSION_COOKIE, token), cookie(LOGIN_CSRF_COOKIE, "", 0)]).redirect(303, next);
  });

  router.post("/staff/logout", requireStaff(db), express.urlencoded({ extended: false, limit: "16kb" }), async (req, res) => {
    const staff = req.staff!;
    if (!sameToken(String((req.body as Record<string, unknown>)._csrf ?? ""), staff.csrfToken)) {
      res.status(403).json({ error: "画面が古くなっています。ページを読み込み直してください。" });
      return;
    }
    await endSession(db, staff.sessionId);
    await audit(db, staff, "logout", { type: "staff_user", id: staff.id });
    res.set("Set-Cookie", cookie(SESSION_COOKIE, "", 0)).redirect(303, "/staff/login");
  });
  return router;
}

// Only a path inside the console: never an open redirect to another site.
function safeNext(value: unknown): string {
  const next = typeof value === "string" ? value : "";
  return /^\/staff(\/[^\s\\]*)?$/.test(next) && !next.startsWith("//") && !next.startsWith("/staff/login") ? next : "/staff/inquiries";
}
