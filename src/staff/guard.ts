import { timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Database } from "../store/database.js";
import { loadSession, parseCookies, SESSION_COOKIE, type StaffPrincipal } from "./sessions.js";

// What every /staff request passes: security headers; a session (pages without one go to the login
// page, /staff/api without one answers 401); and on any state-changing request, the session's CSRF
// token in the form field `_csrf` or the header X-CSRF-Token (403 otherwise).
declare module "express-serve-static-core" {
  interface Request {
    staff?: StaffPrincipal;
  }
}

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    "Content-Security-Policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
  });
  next();
}

export const isApiPath = (req: Request) => req.originalUrl.startsWith("/staff/api/");

export function requireStaff(db: Kysely<Database>): RequestHandler {
  return async (req, res, next) => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const staff = token ? await loadSession(db, token) : null;
    if (!staff) {
      if (isApiPath(req) || req.method !== "GET") {
        res.status(401).json({ error: "ログインが必要です。ログインし直してください。" });
        return;
      }
      res.redirect(303, `/staff/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    req.staff = staff;
    next();
  };
}

export function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (["GET", "HEAD", "OPTIONS"].includes(req.method)) return next();
  const sent = String((req.body as Record<string, unknown> | undefined)?._csrf ?? req.get("x-csrf-token") ?? "");
  const expected = req.staff?.csrfToken ?? "";
  if (!expected || !sameToken(sent, expected)) {
    res.status(403).json({ error: "画面が古くなっています。ページを読み込み直してから、もう一度操作してください。" });
    return;
  }
  next();
}

export function requireAdmin(req: Request, res: Response, next: NextFunction): void {
  if (req.staff?.role !== "admin") {
    res.status(403).json({ error: "この操作は管理者だけができます。" });
    return;
  }
  next();
}

export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
