import { readFileSync } from "node:fs";
import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { exportRoutes } from "./exports/export-routes.js";
import { requireCsrf, requireStaff, securityHeaders } from "./guard.js";
import { inquiryPages, type CaseActions } from "./inquiries/inquiry-pages.js";
import { loginRoutes } from "./login-routes.js";

// The staff console at /staff. Order matters: security headers on everything; the stylesheet and
// the login page without a session; everything else behind a session and, when it changes
// something, the session's CSRF token.
const stylesheet = readFileSync(new URL("./assets/staff.css", import.meta.url), "utf8");

export interface StaffConsoleOptions extends CaseActions {
  secureCookies: boolean;
}

export function staffConsole(db: Kysely<Database>, options: StaffConsoleOptions): Router {
  const router = express.Router();
  router.use("/staff", securityHeaders);
  router.get("/staff/assets/staff.css", (_req, res) => {
    res.type("css").set("Cache-Control", "public, max-age=300").send(stylesheet);
  });
  router.use(loginRoutes(db, options));
  router.use("/staff", requireStaff(db), express.urlencoded({ extended: false, limit: "64kb" }), requireCsrf);
  router.get("/staff", (_req, res) => res.redirect(303, "/staff/inquiries"));
  router.use(inquiryPages(db, options));
  router.use(exportRoutes(db));
  return router;
}
