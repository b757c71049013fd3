import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../../store/database.js";
import { PERSONAL_KEYS } from "../labels.js";
import { RETENTION_BATCH } from "./retention-batches.js";

// Closed cases past the retention period keep what the statistics need (category, department,
// status, dates, the form's choices such as topic and household) and lose the person: the form
// answers that identify or describe them, the subject (it may quote an answer, e.g. the place of a
// vacant house to register), a report's description, address, coordinates and photos, and staff's
// internal notes on the case. Each call handles one batch in one transaction; the case row's
// update makes its search data be rebuilt (the trigger of migration 0010, or the generated column).

// One batch of closed cases of `table` past the cutoff, not yet anonymized: their staff notes are
// deleted here, and `forget` removes the rest of the person from them, in the same transaction.
async function anonymizeClosedCases(
  db: Kysely<Database>,
  table: "inquiries" | "reports",
  cutoff: Date,
  forget: (trx: Transaction<Database>, ids: string[]) => Promise<void>,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom(table)
      .select("id")
      .where("status", "=", "closed")
      .where("anonymized_at", "is", null)
      .where("closed_at", "<", cutoff)
      .limit(RETENTION_BATCH)
      .execute();
    if (due.length === 0) return 0;
    const ids = due.map((row) => row.id);
    await trx
      .deleteFrom("case_notes")
      .where("case_type", "=", table === "inquiries" ? "inquiry" : "report")
      .where("case_id", "in", ids)
      .execute();
    await forget(trx, ids);
    return ids.length;
  });
}

export function anonymizeClosedInquiries(db: Kysely<Database>, cutoff: Date, now: Date): Promise<number> {
  return anonymizeClosedCases(db, "inquiries", cutoff, async (trx, ids) => {
    const personal = sql.join(PERSONAL_KEYS.map((key) => sql.lit(key)));
    await sql`update inquiries set details = details - array[${personal}]::text[], subject = null, anonymized_at = ${now}
              where id in (${sql.join(ids)})`.execute(trx);
  });
}

export function anonymizeClosedReports(db: Kysely<Database>, cutoff: Date, now: Date): Promise<number> {
  return anonymizeClosedCases(db, "reports", cutoff, async (trx, ids) => {
    await trx.deleteFrom("report_photos").where("report_id", "in", ids).execute();
    await trx
      .updateTable("reports")
      .set({ description: null, address: null, latitude: null, longitude: null, anonymized_at: now })
      .where("id", "in", ids)
      .execute();
  });
}
