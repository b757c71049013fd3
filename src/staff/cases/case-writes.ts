import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { audit } from "../audit.js";
import type { StaffPrincipal } from "../sessions.js";
import type { CaseTable, CaseType, StatusChange } from "./case-kind.js";

// The console's writes to a case; route handlers call these and never write SQL themselves.
export const NOTE_MAX = 5000;

// Status and assignee as the form set them. A case closed again keeps its first closing time.
export async function updateCaseStatus(trx: Kysely<Database>, table: CaseTable, current: { id: string; closed_at: Date | null }, change: StatusChange): Promise<void> {
  const { status, assigneeId, now } = change;
  await trx
    .updateTable(table)
    .set({ status, assignee_id: assigneeId, updated_at: now, closed_at: status === "closed" ? (current.closed_at ?? now) : null })
    .where("id", "=", current.id)
    .execute();
}

// A case answered from its page is being handled: 新規 becomes 対応中, other statuses stay.
export async function markCaseAnswered(trx: Kysely<Database>, table: CaseTable, current: { id: string; status: StatusChange["status"] }, now: Date): Promise<void> {
  await trx
    .updateTable(table)
    .set({ status: current.status === "new" ? "in_progress" : current.status, updated_at: now })
    .where("id", "=", current.id)
    .execute();
}

// Saves an internal note on a case (and its audit entry); false when the text is empty or too long.
export async function addCaseNote(db: Kysely<Database>, staff: StaffPrincipal, caseType: CaseType, caseId: string, body: unknown): Promise<boolean> {
  const text = String(body ?? "").trim();
  if (!text || text.length > NOTE_MAX) return false;
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("case_notes").values({ case_type: caseType, case_id: caseId, staff_id: staff.id, body: text }).execute();
    await audit(trx, staff, `${caseType}.note`, { type: caseType, id: caseId });
  });
  return true;
}
