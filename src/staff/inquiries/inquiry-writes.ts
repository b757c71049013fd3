import type { Kysely } from "kysely";
import { enqueueOutbound } from "../../outbox/outbox.js";
import { markCaseAnswered, updateCaseStatus } from "../../store/cases.js";
import type { Database } from "../../store/database.js";
import { awaitReplyOnCase, endReplyOnCase } from "../../store/line-users.js";
import { audit } from "../audit.js";
import type { StatusChange } from "../cases/case-kind.js";
import type { StaffPrincipal } from "../sessions.js";
import type { FoundInquiry } from "./inquiry-queries.js";

// The console's writes to an inquiry: its status and assignee, and a reply sent to the resident.

// Closing an inquiry ends the wait for the resident's answer on it, so the bot answers them again.
export async function changeInquiryStatus(db: Kysely<Database>, staff: StaffPrincipal, inquiry: FoundInquiry, change: StatusChange): Promise<"updated"> {
  await db.transaction().execute(async (trx) => {
    await updateCaseStatus(trx, "inquiries", inquiry, change);
    if (change.status === "closed") await endReplyOnCase(trx, inquiry.user_id, inquiry.thread_id);
    await audit(trx, staff, "inquiry.update", { type: "inquiry", id: inquiry.id }, { from: inquiry.status, to: change.status, assignee_id: change.assigneeId });
  });
  return "updated";
}

// Queues the reply as a push on the inquiry's thread; answers the outbox rows to deliver once the
// transaction committed.
export async function replyToInquiry(db: Kysely<Database>, staff: StaffPrincipal, inquiry: FoundInquiry, text: string): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    // Sent from this inquiry's page: the reply is this inquiry's message.
    const outbound = await enqueueOutbound(trx, { to: inquiry.user_id, messages: [{ type: "text", text }], threadId: inquiry.thread_id });
    // What the resident writes back is this inquiry's too, so its department reads the answer.
    await awaitReplyOnCase(trx, inquiry.user_id, inquiry.thread_id, new Date());
    await markCaseAnswered(trx, "inquiries", inquiry, new Date());
    await audit(trx, staff, "inquiry.reply", { type: "inquiry", id: inquiry.id }, { outbound: outbound, length: text.length });
    return outbound;
  });
}
