import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../store/database.js";
import type { StaffRole } from "../store/tables/staff.js";
import { audit } from "./audit.js";
import { hashPassword, OWASP_SCRYPT_COST, passwordProblem, type ScryptCost } from "./password.js";

// Creating a staff account (the command line's staff:create, and tests).
export const newStaffSchema = z.object({
  loginId: z.string().trim().regex(/^[A-Za-z0-9._-]{3,40}$/, "職員IDは半角英数字と . _ - で3〜40文字にしてください"),
  displayName: z.string().trim().min(1, "表示名を入れてください").max(40),
  department: z.string().trim().min(1, "所属課を入れてください").max(40),
  role: z.enum(["admin", "staff"]),
});

export type NewStaff = z.infer<typeof newStaffSchema>;

// The password is hashed at OWASP's scrypt cost (password.ts); tests pass a lower `hashCost`.
export async function createStaffAccount(
  db: Kysely<Database>,
  input: NewStaff,
  password: string,
  options: { hashCost?: ScryptCost } = {},
): Promise<{ id: string; role: StaffRole }> {
  const staff = newStaffSchema.parse(input);
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  const existing = await db.selectFrom("staff_users").select("id").where("login_id", "=", staff.loginId).executeTakeFirst();
  if (existing) throw new Error(`職員ID「${staff.loginId}」はすでに使われています。別のIDにしてください。`);
  const row = await db
    .insertInto("staff_users")
    .values({ login_id: staff.loginId, display_name: staff.displayName, department: staff.department, role: staff.role, password_hash: await hashPassword(password, options.hashCost ?? OWASP_SCRYPT_COST) })
    .returning(["id", "role"])
    .executeTakeFirstOrThrow();
  await audit(db, null, "staff.create", { type: "staff_user", id: row.id }, { role: staff.role, department: staff.department });
  return row;
}
