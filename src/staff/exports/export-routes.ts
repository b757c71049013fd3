import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { audit } from "../audit.js";
import { filtersOrRefuse } from "../cases/case-views.js";
import { inquiryKind } from "../inquiries/inquiry-kind.js";
import { inquiriesForExport } from "../inquiries/inquiry-queries.js";
import { categoryLabel, DETAIL_LABELS, STATUS_LABELS } from "../labels.js";
import { dateTime } from "../views.js";
import { csvDocument } from "./csv.js";

// CSV downloads for Excel. Inquiries follow the inbox's filters, keyword included, with the same
// scope as the inbox (the staff member's department; the keyword looks only at each inquiry's own
// messages); the file holds the inquiries' own fields, never the resident's LINE messages. At most
// EXPORT_LIMIT rows per file — narrow the date range for more.
const EXPORT_LIMIT = 50_000;

export function exportRoutes(db: Kysely<Database>): Router {
  const router = express.Router();
  router.get("/staff/api/exports/inquiries.csv", async (req, res) => {
    const staff = req.staff!;
    const filters = filtersOrRefuse(req, res, { path: inquiryKind.path, noun: inquiryKind.noun }, () => inquiryKind.parseFilters(req.query));
    if (!filters) return;
    const rows = await inquiriesForExport(db, staff, filters, EXPORT_LIMIT);
    const detailKeys = Object.keys(DETAIL_LABELS);
    const csv = csvDocument(
      ["受付番号", "種類", "状態", "担当課", "件名", "担当者", "受付日時", "完了日時", ...detailKeys.map((key) => DETAIL_LABELS[key]!)],
      rows.map((row) => [
        row.reference_no,
        categoryLabel(row.category),
        STATUS_LABELS[row.status],
        row.department,
        row.subject,
        row.assignee,
        dateTime(row.created_at),
        row.closed_at ? dateTime(row.closed_at) : "",
        ...detailKeys.map((key) => {
          const value = (row.details ?? {})[key];
          return Array.isArray(value) ? value.join("、") : value;
        }),
      ]),
    );
    await audit(db, staff, "inquiry.export", null, { rows: rows.length, filters: { ...filters, q: undefined } });
    const name = `inquiries-${filters.from ?? "all"}-${filters.to ?? "now"}.csv`;
    res.set({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${name}"` }).send(csv);
  });
  return router;
}
