import type { Kysely } from "kysely";
import { recordCaseNote } from "../../store/cases.js";
import type { Database } from "../../store/database.js";
import { audit } from "../audit.js";
import type { StaffPrincipal } from "../sessions.js";
import type { CaseType } from "./case-kind.js";

// The console's note on a case; status changes and answers are written by src/store/cases.ts.
export const NOTE_MAX = 5000;

// Saves an internal note on a case (and its audit entry); false when the text is empty or too long.
export async function addCaseNote(db: Kysely<Database>, staff: StaffPrincipal, caseType: CaseType, caseId: string, body: unknown): Promise<boolean> {
  const text = String(body ?? "").trim();
  if (!text || text.length > NOTE_MAX) return false;
  await db.transaction().execute(async (trx) => {
    await recordCaseNote(trx, { caseType, caseId, staffId: staff.id, body: text });
    await audit(trx, staff, `${caseType}.note`, { type: caseType, id: caseId });
  });
  return true;
}
