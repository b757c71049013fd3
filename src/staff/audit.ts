import type { Kysely, Transaction } from "kysely";
import type { Database } from "../store/database.js";
import type { StaffPrincipal } from "./sessions.js";

// Every staff action: who, what, when, on which record (and what changed, without personal data).
export async function audit(
  db: Kysely<Database> | Transaction<Database>,
  staff: Pick<StaffPrincipal, "id"> | null,
  action: string,
  target: { type: string; id: string } | null,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({ staff_id: staff?.id ?? null, action, target_type: target?.type ?? null, target_id: target?.id ?? null, detail: JSON.stringify(detail) })
    .execute();
}
