import { sql, type Kysely } from "kysely";
import { enqueueOutbound } from "../../outbox/outbox.js";
import type { Database } from "../../store/database.js";
import type { FutureCafeTexts } from "../flow-texts.js";
import { reminderText } from "./cafe-sessions.js";

// The day-before reminders of ひとよし未来カフェ. Run on a timer by every worker process: each run
// claims due sign-ups with FOR UPDATE SKIP LOCKED, puts the push into the outbox and marks the
// sign-up sent in the same transaction, so a reminder goes out once however many processes run
// and whenever they restart (a run after downtime sends what fell due meanwhile, unless the
// session has begun). The outbox then delivers it, skipping residents who blocked the account.
const BATCH = 100;

export async function queueDueReminders(db: Kysely<Database>, texts: FutureCafeTexts, now: Date): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const due = await sql<{ id: string; user_id: string; town: string; starts_at: Date; place: string; live: boolean }>`
      select s.id, s.user_id, c.town, c.starts_at, c.place,
             (s.cancelled_at is null and c.status = 'scheduled' and c.starts_at > ${now}) as live
      from future_cafe_signups s
      join future_cafe_sessions c on c.id = s.session_id
      where s.reminder_state = 'scheduled' and s.reminder_due_at <= ${now}
      order by s.reminder_due_at
      limit ${BATCH}
      for update of s skip locked`.execute(trx);
    const outboundIds: string[] = [];
    for (const signup of due.rows) {
      if (!signup.live) {
        await trx.updateTable("future_cafe_signups").set({ reminder_state: "skipped" }).where("id", "=", signup.id).execute();
        continue;
      }
      const ids = await enqueueOutbound(trx, {
        to: signup.user_id,
        messages: [{ type: "text", text: reminderText(texts, { ...signup, starts_at: new Date(signup.starts_at) }) }],
      });
      await trx
        .updateTable("future_cafe_signups")
        .set({ reminder_state: "sent", reminder_outbound_id: ids[0] ?? null })
        .where("id", "=", signup.id)
        .execute();
      outboundIds.push(...ids);
    }
    return outboundIds;
  });
}
