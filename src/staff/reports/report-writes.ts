import type { Kysely } from "kysely";
import type { ReportTexts } from "../../flows/flow-texts.js";
import { enqueueOutbound } from "../../outbox/outbox.js";
import { updateCaseStatus } from "../../store/cases.js";
import type { Database } from "../../store/database.js";
import { awaitReplyOnCase, endReplyOnCase } from "../../store/line-users.js";
import { audit } from "../audit.js";
import type { CaseActions, StatusChange } from "../cases/case-kind.js";
import { lockCaseStatus } from "../cases/case-queries.js";
import type { StaffPrincipal } from "../sessions.js";
import type { FoundReport } from "./report-queries.js";

// A report's status change, and what only a report does with it: moving it to 対応中 or 完了 tells
// the resident by a LINE push (not when they blocked the account).
export type ReportConsoleTexts = Pick<ReportTexts, "categories" | "status_pushes">;

export interface ReportActions extends CaseActions {
  reports: ReportConsoleTexts;
}

export type ReportStatusDone = "notified" | "not_notified" | "updated";

export async function changeReportStatus(
  db: Kysely<Database>,
  actions: ReportActions,
  staff: StaffPrincipal,
  report: FoundReport,
  change: StatusChange,
): Promise<ReportStatusDone> {
  const { status, assigneeId, now } = change;
  const blocked = report.follow_state === "blocked";
  const { ids, changed } = await db.transaction().execute(async (trx) => {
    // Locked, so two staff members moving it at once push the resident one message, not two.
    const from = (await lockCaseStatus(trx, "reports", report.id)) ?? report.status;
    const pushed = status === "in_progress" || status === "closed" ? status : undefined;
    const changed = from !== status && pushed !== undefined;
    await updateCaseStatus(trx, "reports", report, change);
    const text = changed && !blocked && pushed ? statusPush(actions.reports.status_pushes[pushed], report) : null;
    // Sent because of this report: the notice is the report's message.
    const ids = text ? await enqueueOutbound(trx, { to: report.user_id, messages: [{ type: "text", text }], threadId: report.thread_id }) : [];
    // What the resident writes back to the notice is the report's too, until it is closed.
    if (status === "closed") await endReplyOnCase(trx, report.user_id, report.thread_id);
    else if (text) await awaitReplyOnCase(trx, report.user_id, report.thread_id, now);
    await audit(trx, staff, "report.update", { type: "report", id: report.id }, { from, to: status, assignee_id: assigneeId, notified: ids.length > 0 });
    return { ids, changed };
  });
  await actions.deliver(ids);
  return ids.length > 0 ? "notified" : changed && blocked ? "not_notified" : "updated";
}

function statusPush(template: string, report: { reference_no: string; category: string; department: string }): string {
  return template.replaceAll("{reference}", report.reference_no).replaceAll("{category}", report.category).replaceAll("{department}", report.department);
}
