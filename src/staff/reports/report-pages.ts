import type { Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { caseRoutes } from "../cases/case-routes.js";
import { reportKind } from "./report-kind.js";
import { findReportPhoto } from "./report-queries.js";
import type { ReportActions } from "./report-writes.js";

// The 通報 inbox (/staff/reports) and one report's page: what the resident wrote, the report's own
// LINE conversation (the resident's whole history for administrators only), status, assignee and
// internal notes (all shared with inquiries, ../cases/), and what only a report has: where, the
// photos, and a LINE push to the resident when it moves to 対応中 or 完了 (report-writes.ts).

// Photos are served only as these image types; anything else stored is sent as opaque bytes.
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

export function reportPages(db: Kysely<Database>, actions: ReportActions): Router {
  const router = caseRoutes(db, reportKind(actions));

  router.get("/staff/api/report-photos/:photoId", async (req, res) => {
    const photo = await findReportPhoto(db, req.staff!, req.params.photoId);
    if (!photo) return void res.status(404).json({ error: "この写真は見つかりません。" });
    const bytes = Buffer.from(photo.content.buffer, photo.content.byteOffset, photo.content.byteLength);
    res.set({
      "Content-Type": IMAGE_TYPES.has(photo.content_type) ? photo.content_type : "application/octet-stream",
      "Content-Disposition": "inline",
      "X-Content-Type-Options": "nosniff",
      "Content-Length": String(bytes.byteLength),
    });
    res.end(bytes);
  });
  return router;
}
