import { timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Database } from "../store/database.js";
import { html } from "./html.js";
import { page } from "./layout.js";
import { loadSession, parseCookies, SESSION_COOKIE, type StaffPrincipal } from "./sessions.js";

// What every /staff request passes: security headers; on any state-changing request, an Origin (or
// Referer) of this server itself; a session (pages without one go to the login page, /staff/api
// without one answers 401); and on any state-changing request, the session's CSRF token in the form
// field `_csrf` or the header X-CSRF-Token (403 otherwise). The Origin and the token are two
// independent checks: either one alone stops a cross-site form or fetch.
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
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the console's own
    // forms (Fetch standard, "serializing a request origin"), which the Origin check must refuse.
    // Addresses (with their search words) still never leave for another site.
    "Referrer-Policy": "same-origin",
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

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

// A state-changing request must come from a page of this server: its Origin header, or when a client
// sends none, the origin of its Referer, must be the request's own origin (protocol and host as
// express sees them, i.e. behind a trusted proxy the address the browser used). `Origin: null`
// (a sandboxed frame, a privacy redirect) is refused. A request with neither header is let through to
// the CSRF token check: current browsers send Origin on every POST, PUT, PATCH and DELETE, so such a
// request comes from a program (curl, the tests), which still needs the session's token and cannot
// get one from another site.
export function requireSameOrigin(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  const origin = req.get("origin");
  const referer = req.get("referer");
  if (origin === undefined && referer === undefined) return next();
  const claimed = origin ?? originOf(referer!);
  if (claimed !== null && claimed === ownOrigin(req)) return next();
  const message = "別のサイトから送られた操作のため、受け付けませんでした。人吉市LINE管理画面を開き直して、画面のボタンからもう一度操作してください。";
  if (isApiPath(req) || req.method !== "POST") return void res.status(403).json({ error: message });
  res.status(403).type("html").send(page({ title: "操作を受け付けませんでした", body: html`<p class="error">${message}</p><p><a href="/staff">管理画面を開く</a></p>` }));
}

function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : null;
  } catch {
    return null;
  }
}

export function ownOrigin(req: Request): string | null {
  return originOf(`${req.protocol}://${req.host}`);
}

export function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
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
