import { randomBytes } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../store/database.js";
import type { NoticeRow, NoticeStatus } from "../store/tables/notices.js";
import type { LineMessage } from "../line/line-client.js";
import { linksIn, replaceLinks, type NoticeContent } from "./notice-content.js";
import { CANCELLABLE } from "./notice-permissions.js";
import type { Audience } from "./segments.js";

// Notices as records: written by staff, approved by an admin who is not the author, cancelled
// while nothing has gone out.
type Db = Kysely<Database> | Transaction<Database>;

export interface NewNotice {
  title: string;
  content: NoticeContent;
  message: LineMessage;
  audience: Audience;
  scheduledAt: Date | null;
  createdBy: string;
  submit: boolean;
}

// Stores the notice; each link in the message is replaced by `<publicBaseUrl>/r/<token>` (a random
// token per notice and link, which says nothing about who taps it) so clicks can be counted.
// Without a public base URL the links stay as written and are not counted.
export async function createNotice(db: Db, notice: NewNotice, publicBaseUrl: string | null): Promise<string> {
  const created = await db
    .insertInto("notices")
    .values({
      title: notice.title,
      kind: notice.content.kind,
      content: JSON.stringify(notice.content),
      messages: JSON.stringify([notice.message]),
      audience: notice.audience.kind,
      segment: JSON.stringify(notice.audience.kind === "segment" ? notice.audience.segment : {}),
      status: notice.submit ? "pending" : "draft",
      scheduled_at: notice.scheduledAt,
      created_by: notice.createdBy,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (publicBaseUrl === null) return created.id;
  const tokens = new Map<string, string>();
  for (const url of linksIn(notice.message)) {
    const token = randomBytes(12).toString("base64url");
    await db.insertInto("notice_links").values({ token, notice_id: created.id, url }).execute();
    tokens.set(url, token);
  }
  if (tokens.size > 0) {
    const message = replaceLinks(notice.message, (url) => `${publicBaseUrl}/r/${tokens.get(url)}`);
    await db.updateTable("notices").set({ messages: JSON.stringify([message]) }).where("id", "=", created.id).execute();
  }
  return created.id;
}

export async function findNotice(db: Db, id: string): Promise<NoticeRow | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  return (await db.selectFrom("notices").selectAll().where("id", "=", id).executeTakeFirst()) ?? null;
}

export type NoticeListRow = Pick<NoticeRow, "id" | "title" | "kind" | "audience" | "status" | "scheduled_at" | "send_at" | "created_at" | "finished_at" | "recipient_count"> & {
  author: string;
  approver: string | null;
};

export async function listNotices(db: Db, limit = 100): Promise<NoticeListRow[]> {
  return db
    .selectFrom("notices as n")
    .innerJoin("staff_users as a", "a.id", "n.created_by")
    .leftJoin("staff_users as p", "p.id", "n.approved_by")
    .select(["n.id", "n.title", "n.kind", "n.audience", "n.status", "n.scheduled_at", "n.send_at", "n.created_at", "n.finished_at", "n.recipient_count", "a.display_name as author", "p.display_name as approver"])
    .orderBy("n.created_at", "desc")
    .orderBy("n.id", "desc")
    .limit(limit)
    .execute();
}

// Moves the notice from one of `from` to `to` in one statement, so two people pressing buttons at
// once cannot both win; returns false when it was no longer in one of `from`.
async function transition(db: Db, id: string, from: NoticeStatus[], set: Record<string, unknown>): Promise<boolean> {
  const result = await db
    .updateTable("notices")
    .set({ ...set, updated_at: sql`now()` })
    .where("id", "=", id)
    .where("status", "in", from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export const submitNotice = (db: Db, id: string) => transition(db, id, ["draft"], { status: "pending" });

// Due at its scheduled time, or now. The database refuses an approver who is the author.
export const approveNotice = (db: Db, id: string, approverId: string) =>
  transition(db, id, ["pending"], {
    status: "approved",
    approved_by: approverId,
    approved_at: sql`now()`,
    send_at: sql`coalesce(scheduled_at, now())`,
  });

// Only before delivery starts: a notice being sent cannot be taken back from LINE.
export const cancelNotice = (db: Db, id: string, staffId: string) =>
  transition(db, id, [...CANCELLABLE], { status: "cancelled", cancelled_by: staffId, cancelled_at: sql`now()` });
