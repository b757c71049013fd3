import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import type { CaseActions } from "../cases/case-kind.js";
import { caseNotFound, caseRoutes } from "../cases/case-routes.js";
import { inquiryKind, REPLY_MAX } from "./inquiry-kind.js";
import { findInquiry } from "./inquiry-queries.js";
import { replyToInquiry } from "./inquiry-writes.js";

// The inquiry inbox (/staff/inquiries) and one inquiry's page: the inquiry's own LINE conversation
// (the resident's whole history for administrators only), the form answers, status, assignee,
// internal notes (all shared with reports, ../cases/), and what only an inquiry has: a reply sent
// to the resident as a push.
export function inquiryPages(db: Kysely<Database>, actions: CaseActions): Router {
  const router = caseRoutes(db, inquiryKind);
  const form = express.urlencoded({ extended: false, limit: "64kb" });

  router.post("/staff/inquiries/:id/reply", form, async (req, res) => {
    const staff = req.staff!;
    const inquiry = await findInquiry(db, staff, req.params.id);
    if (!inquiry) return void res.status(404).json({ error: caseNotFound(inquiryKind) });
    const text = String((req.body as Record<string, unknown>).text ?? "").trim();
    if (!text || text.length > REPLY_MAX) return void res.redirect(303, `/staff/inquiries/${inquiry.id}?error=reply_length`);
    if (inquiry.follow_state === "blocked") return void res.redirect(303, `/staff/inquiries/${inquiry.id}?error=blocked`);
    const ids = await replyToInquiry(db, staff, inquiry, text);
    await actions.deliver(ids);
    res.redirect(303, `/staff/inquiries/${inquiry.id}?done=sent`);
  });
  return router;
}
