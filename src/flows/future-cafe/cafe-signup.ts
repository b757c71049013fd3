import { sql } from "kysely";
import { postbackData } from "../../line/postback-data.js";
import type { FutureCafeTexts } from "../flow-texts.js";
import { quickReplyText, type FlowContext, type FlowOutcome } from "../flow.js";
import { askNext, type FormSpec } from "../form.js";
import { dayBeforeAt, japanDate, japanTime } from "../../japan-time.js";
import { activeSignup, fillSession, openSession } from "./cafe-sessions.js";

// Signing up for a session of ひとよし未来カフェ (how many will come, confirm) and withdrawing. A
// sign-up schedules the day-before reminder (sent by cafe-reminders.ts).
export const FLOW = "future_cafe";

// The sign-up form, opened with the session (`_code`, `_town`, `_place`, `_date`, `_time`, `_when`).
export function signupForm(texts: FutureCafeTexts): FormSpec {
  return {
    flow: FLOW,
    name: "signup",
    fields: [
      {
        key: "party_size",
        kind: "choice",
        prompt: (data) => texts.party_size.prompt.replaceAll("{town}", String(data._town)).replaceAll("{date}", String(data._date)).replaceAll("{time}", String(data._time)).replaceAll("{place}", String(data._place)),
        choices: texts.party_size.choices,
      },
    ],
    confirm: texts.confirm,
    summary: (data) => [
      `${texts.confirm.labels.session}：${data._when} ${data._town}`,
      `${texts.confirm.labels.place}：${data._place}`,
      `${texts.confirm.labels.party_size}：${data.party_size}`,
    ],
    submit: async (context, data) => signUp(texts, context, String(data._code), partySize(String(data.party_size))),
  };
}

// 「申し込む」 on a session: how many will come, unless the resident is signed up already.
export async function askPartySize(texts: FutureCafeTexts, form: FormSpec, context: FlowContext, code: string): Promise<FlowOutcome> {
  const session = await openSession(context.trx, code, context.at);
  if (!session) return { messages: [{ type: "text", text: texts.gone }], state: null };
  const existing = await activeSignup(context.trx, session.id, context.userId);
  if (existing) {
    const withdraw = { label: texts.withdraw_button.replace("{town}", session.town).slice(0, 20), data: postbackData(FLOW, "withdraw", session.code) };
    return { messages: [quickReplyText(texts.already.replace("{count}", String(existing.party_size)), [withdraw])], state: null };
  }
  const date = japanDate(session.starts_at);
  const time = japanTime(session.starts_at);
  return askNext(form, { _code: session.code, _town: session.town, _place: session.place, _date: date, _time: time, _when: `${date} ${time}〜` });
}

async function signUp(texts: FutureCafeTexts, context: FlowContext, code: string, party: number): Promise<FlowOutcome> {
  const session = await openSession(context.trx, code, context.at);
  if (!session) return { messages: [{ type: "text", text: texts.gone }], state: null };
  // Sign-ups for one session are counted under a lock on it, so two residents cannot both take the last seat.
  await sql`select id from future_cafe_sessions where id = ${session.id} for update`.execute(context.trx);
  const taken = await context.trx
    .selectFrom("future_cafe_signups")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>("party_size"), eb.val("0")).as("seats"))
    .where("session_id", "=", session.id)
    .where("cancelled_at", "is", null)
    .where("user_id", "<>", context.userId)
    .executeTakeFirstOrThrow();
  if (session.capacity !== null && Number(taken.seats) + party > session.capacity) return { messages: [{ type: "text", text: texts.full }], state: null };
  const due = dayBeforeAt(session.starts_at, texts.reminder_hour);
  const scheduled = due.getTime() > context.at.getTime();
  const values = {
    party_size: party,
    created_at: context.at,
    cancelled_at: null,
    reminder_state: scheduled ? ("scheduled" as const) : ("none" as const),
    reminder_due_at: scheduled ? due : null,
    reminder_outbound_id: null,
  };
  await context.trx
    .insertInto("future_cafe_signups")
    .values({ session_id: session.id, user_id: context.userId, ...values })
    .onConflict((conflict) => conflict.columns(["session_id", "user_id"]).doUpdateSet(values))
    .execute();
  return { messages: [{ type: "text", text: fillSession(scheduled ? texts.done : texts.done_soon, session) }], state: null };
}

function partySize(choice: string): number {
  const digits = /(\d+)/.exec(choice.normalize("NFKC"));
  return digits ? Math.max(1, Number(digits[1])) : 1;
}
