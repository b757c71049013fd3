import type { Kysely } from "kysely";
import type { Database } from "../../src/store/database.js";
import type { LineMessage } from "../../src/line/line-client.js";
import { approveNotice, createNotice } from "../../src/notices/notice-records.js";
import type { Audience, Segment } from "../../src/notices/segments.js";
import { segmentSchema } from "../../src/notices/segments.js";
import { addStaff } from "./staff-client.js";

// A notice written by one staff member and approved by an admin, as the console does it.
export async function approvedNotice(
  db: Kysely<Database>,
  options: { audience: "all" | Partial<Segment>; text?: string; scheduledAt?: Date | null; publicBaseUrl?: string | null },
): Promise<string> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const author = await addStaff(db, { loginId: `author-${suffix}` });
  const admin = await addStaff(db, { loginId: `admin-${suffix}`, role: "admin" });
  const text = options.text ?? "人吉市からのお知らせです。";
  const message: LineMessage = { type: "text", text };
  const audience: Audience = options.audience === "all" ? { kind: "all" } : { kind: "segment", segment: segmentSchema.parse(options.audience) };
  const id = await createNotice(
    db,
    { title: "テストのお知らせ", content: { kind: "text", text }, message, audience, scheduledAt: options.scheduledAt ?? null, createdBy: author, submit: true },
    options.publicBaseUrl ?? null,
  );
  if (!(await approveNotice(db, id, admin))) throw new Error(`notice ${id} could not be approved`);
  return id;
}
