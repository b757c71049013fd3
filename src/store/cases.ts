import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./database.js";
import type { CaseStatus } from "./tables/cases.js";

// Every write to a case (inquiries, reports, their photos and notes): flows and the staff console call
// these and never write the SQL themselves. Each case carries the thread its messages are tagged with
// (migration 0017).

export type CaseTable = "inquiries" | "reports";
export type CaseType = "inquiry" | "report";

// Reference numbers residents are given: IQ-<fiscal year>-<5 digits>, from a sequence so that no two
// processes ever hand out the same one.
export async function nextInquiryReference(trx: Transaction<Database>, fiscalYear: number): Promise<string> {
  const { rows } = await sql<{ n: string }>`select nextval('inquiry_reference_seq')::text as n`.execute(trx);
  return `IQ-${fiscalYear}-${rows[0]!.n.padStart(5, "0")}`;
}

// RP-<fiscal year>-<5 digits>, from a sequence of its own.
export async function nextReportReference(trx: Transaction<Database>, fiscalYear: number): Promise<string> {
  const { rows } = await sql<{ n: string }>`select nextval('report_reference_seq')::text as n`.execute(trx);
  return `RP-${fiscalYear}-${rows[0]!.n.padStart(5, "0")}`;
}

export interface NewInquiry {
  userId: string;
  thread: string;
  category: string;
  department: string;
  subject: string;
  // Left out: the column's default (an empty object).
  details?: Record<string, unknown>;
  listingId?: string | null;
  at: Date;
  fiscalYear: number;
}

// A new inquiry (a consultation, a listing inquiry, a hand-off to staff); answers its reference number.
export async function recordInquiry(trx: Transaction<Database>, inquiry: NewInquiry): Promise<string> {
  const reference = await nextInquiryReference(trx, inquiry.fiscalYear);
  await trx
    .insertInto("inquiries")
    .values({
      reference_no: reference,
      user_id: inquiry.userId,
      thread_id: inquiry.thread,
      category: inquiry.category,
      department: inquiry.department,
      subject: inquiry.subject,
      ...(inquiry.details === undefined ? {} : { details: JSON.stringify(inquiry.details) }),
      ...(inquiry.listingId === undefined ? {} : { listing_id: inquiry.listingId }),
      created_at: inquiry.at,
      updated_at: inquiry.at,
    })
    .execute();
  return reference;
}

export interface NewReport {
  userId: string;
  thread: string;
  category: string;
  department: string;
  description: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  // Draft photos the resident sent at the photos step; only their own unsent ones are attached.
  photoIds: string[];
  at: Date;
  fiscalYear: number;
}

// A report sent by a resident, with its draft photos; answers its reference number.
export async function recordReport(trx: Transaction<Database>, report: NewReport): Promise<string> {
  const reference = await nextReportReference(trx, report.fiscalYear);
  const row = await trx
    .insertInto("reports")
    .values({
      reference_no: reference,
      user_id: report.userId,
      thread_id: report.thread,
      category: report.category,
      department: report.department,
      description: report.description,
      address: report.address,
      latitude: report.latitude,
      longitude: report.longitude,
      created_at: report.at,
      updated_at: report.at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (report.photoIds.length > 0) {
    await trx
      .updateTable("report_photos")
      .set({ report_id: row.id })
      .where("id", "in", report.photoIds)
      .where("user_id", "=", report.userId)
      .where("report_id", "is", null)
      .execute();
  }
  return reference;
}

export interface NewDraftPhoto {
  userId: string;
  lineMessageId: string;
  contentType: string;
  bytes: Uint8Array;
  at: Date;
}

// A photo kept as a draft of the resident's report (report_id null) until the report is sent; answers its id.
export async function recordDraftReportPhoto(trx: Transaction<Database>, photo: NewDraftPhoto): Promise<string> {
  const row = await trx
    .insertInto("report_photos")
    .values({
      report_id: null,
      user_id: photo.userId,
      line_message_id: photo.lineMessageId,
      content_type: photo.contentType,
      byte_size: photo.bytes.byteLength,
      content: photo.bytes,
      created_at: photo.at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

// A resident starting a new report leaves any earlier unsent draft's photos behind.
export async function dropDraftReportPhotos(trx: Transaction<Database>, userId: string): Promise<void> {
  await trx.deleteFrom("report_photos").where("user_id", "=", userId).where("report_id", "is", null).execute();
}

// Photos of report drafts that were never sent (cancelled, expired) are dropped after a day.
export async function dropAbandonedReportPhotos(db: Kysely<Database>, now: Date): Promise<number> {
  const result = await db
    .deleteFrom("report_photos")
    .where("report_id", "is", null)
    .where("created_at", "<", new Date(now.getTime() - 24 * 60 * 60 * 1000))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface CaseStatusChange {
  status: CaseStatus;
  assigneeId: string | null;
  now: Date;
}

// Status and assignee as staff set them. A case closed again keeps its first closing time.
export async function updateCaseStatus(trx: Kysely<Database>, table: CaseTable, current: { id: string; closed_at: Date | null }, change: CaseStatusChange): Promise<void> {
  const { status, assigneeId, now } = change;
  await trx
    .updateTable(table)
    .set({ status, assignee_id: assigneeId, updated_at: now, closed_at: status === "closed" ? (current.closed_at ?? now) : null })
    .where("id", "=", current.id)
    .execute();
}

// A case staff answered is being handled: 新規 becomes 対応中, other statuses stay.
export async function markCaseAnswered(trx: Kysely<Database>, table: CaseTable, current: { id: string; status: CaseStatus }, now: Date): Promise<void> {
  await trx
    .updateTable(table)
    .set({ status: current.status === "new" ? "in_progress" : current.status, updated_at: now })
    .where("id", "=", current.id)
    .execute();
}

// An internal note of a staff member on a case.
export async function recordCaseNote(trx: Kysely<Database>, note: { caseType: CaseType; caseId: string; staffId: string; body: string }): Promise<void> {
  await trx.insertInto("case_notes").values({ case_type: note.caseType, case_id: note.caseId, staff_id: note.staffId, body: note.body }).execute();
}
