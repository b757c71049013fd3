import { readFileSync } from "node:fs";
import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import { exportRoutes } from "./exports/export-routes.js";
import { answerBadRequests } from "./bad-request.js";
import { requireCsrf, requireSameOrigin, requireStaff, securityHeaders } from "./guard.js";
import type { CaseActions } from "./cases/case-kind.js";
import { inquiryPages } from "./inquiries/inquiry-pages.js";
import { kpiDashboard } from "./kpi/kpi-dashboard-page.js";
import { loginRoutes } from "./login-routes.js";
import { listingPages } from "./listings/listing-pages.js";
import type { ListingOptions } from "./listings/listing-rules.js";
import { reportPages } from "./reports/report-pages.js";
import type { ReportActions } from "./reports/report-writes.js";
import { surveyPages } from "./surveys/survey-pages.js";
import { privacyPages } from "./privacy/privacy-pages.js";
import type { NoticeConsoleOptions } from "./notices/notice-console-options.js";
import { noticePages } from "./notices/notice-pages.js";

// The staff console at /staff. Order matters: security headers on everything, and a request from
// another site's page refused when it changes something (Origin); the stylesheet and the login page
// without a session; everything else behind a session and, when it changes something, the session's
// CSRF token. Input the console cannot read gets a 4xx (bad-request.ts), never a 500.
const stylesheet = readFileSync(new URL("./assets/staff.css", import.meta.url), "utf8");

export interface StaffConsoleOptions extends CaseActions, ReportActions {
  secureCookies: boolean;
  // The login's hashing cost, limits and clock (login-check.ts); production values when absent.
  login?: import("./login-check.js").LoginSettings;
  // The 空き家バンク pages: PUBLIC_BASE_URL for uploaded photos, and the department that runs the bank.
  listings: ListingOptions;
  // What residents can complete in this LINE (the conversation engine's list), for the KPI dashboard.
  procedures: readonly string[];
  // The clock that decides "this fiscal year" on the KPI dashboard (tests fix it); system time when absent.
  now?: () => Date;
  // Days after which personal data in closed inquiries and reports is removed (PERSONAL_DATA_RETENTION_DAYS).
  retentionDays: number;
  notices: NoticeConsoleOptions;
}

// Pages read their fields from req.body: a POST that carried no urlencoded form (no body, JSON,
// text) is read as an empty form, so it is refused like an empty one instead of failing.
function formBodyAlways(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  if (typeof req.body !== "object" || req.body === null) req.body = {};
  next();
}

export function staffConsole(db: Kysely<Database>, options: StaffConsoleOptions): Router {
  const router = express.Router();
  router.use("/staff", securityHeaders, requireSameOrigin);
  router.get("/staff/assets/staff.css", (_req, res) => {
    res.type("css").set("Cache-Control", "public, max-age=300").send(stylesheet);
  });
  router.use(loginRoutes(db, options));
  router.use("/staff", requireStaff(db), express.urlencoded({ extended: false, limit: "64kb" }), formBodyAlways, requireCsrf);
  router.get("/staff", (_req, res) => res.redirect(303, "/staff/inquiries"));
  router.use(inquiryPages(db, options));
  router.use(reportPages(db, options));
  router.use(kpiDashboard(db, options.procedures, options.now));
  router.use(surveyPages(db));
  router.use(listingPages(db, options.listings));
  router.use(exportRoutes(db));
  router.use(privacyPages(db, options));
  router.use(noticePages(db, options.notices, options.notices.accountName, options.now ?? (() => new Date())));
  router.use("/staff", answerBadRequests);
  return router;
}
