import type { messagingApi } from "@line/bot-sdk";
import { sql, type Transaction } from "kysely";
import type { Database } from "../../store/database.js";
import type { FutureCafeTexts } from "../flow-texts.js";
import { quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { askNext, formFreeText, formRecognizes, handleForm, isFormStep, type FormSpec } from "../form.js";
import { dayBeforeAt, japanDate, japanTime } from "../japan-time.js";
import { postbackData } from "../postback-data.js";

// ひとよし未来カフェ: what it is (from seeds), the coming sessions with a sign-up button each,
// the resident's own sign-ups with a button to withdraw; a sign-up asks how many will come and
// schedules the day-before reminder (sent by cafe-reminders.ts).
const FLOW = "future_cafe";
const SHOWN = 5;

interface SessionRow {
  id: string;
  code: string;
  town: string;
  starts_at: Date;
  place: string;
  capacity: number | null;
}

export function futureCafeFlow(texts: FutureCafeTexts, about: string): Flow {
  const signupForm: FormSpec = {
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
    summary: (data) =>
      [
        `${texts.confirm.labels.session}：${data._when} ${data._town}`,
        `${texts.confirm.labels.place}：${data._place}`,
        `${texts.confirm.labels.party_size}：${data.party_size}`,
      ],
    submit: async (context, data) => signUp(context, String(data._code), partySize(String(data.party_size))),
  };

  return {
    name: FLOW,
    title: "ひとよし未来カフェの申し込み",
    procedures: ["ひとよし未来カフェへの参加申し込み"],
    opens: ["signup", "withdraw"],
    recognizes: (step, text) => formRecognizes(signupForm, step, text),
    freeText: (step) => formFreeText(signupForm, step),
    async fromIntent(context) {
      return overview(context);
    },
    async start(context) {
      return overview(context);
    },
    async handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
      if (input.kind === "postback") {
        const { action, argument } = input.postback;
        if (action === "signup") return askPartySize(context, argument);
        if (action === "withdraw") return withdraw(context, argument);
      }
      if (isFormStep(signupForm, state.step)) return handleForm(signupForm, context, state, input);
      return overview(context);
    },
  };

  async function overview(context: FlowContext): Promise<FlowOutcome> {
    const sessions = await upcoming(context.trx, context.at);
    const mine = await context.trx
      .selectFrom("future_cafe_signups as s")
      .innerJoin("future_cafe_sessions as c", "c.id", "s.session_id")
      .select(["c.code", "c.town", "c.starts_at", "s.party_size"])
      .where("s.user_id", "=", context.userId)
      .where("s.cancelled_at", "is", null)
      .where("c.status", "=", "scheduled")
      .where("c.starts_at", ">", context.at)
      .orderBy("c.starts_at")
      .execute();
    const mineCodes = new Set(mine.map((signup) => signup.code));
    const lines = sessions.map((session) => sessionLine(session));
    const body = sessions.length > 0 ? `${texts.upcoming}\n${lines.join("\n")}` : texts.none_upcoming;
    const signedUp = mine.map((signup) => texts.signed_up_line.replace("{date}", japanDate(signup.starts_at)).replace("{town}", signup.town));
    const buttons = [
      ...sessions
        .filter((session) => !mineCodes.has(session.code))
        .map((session) => ({ label: texts.signup_button.replace("{town}", session.town).slice(0, 20), data: postbackData(FLOW, "signup", session.code) })),
      ...mine.map((signup) => ({ label: texts.withdraw_button.replace("{town}", signup.town).slice(0, 20), data: postbackData(FLOW, "withdraw", signup.code) })),
    ].slice(0, 13);
    const text = [about, body, ...(signedUp.length > 0 ? [signedUp.join("\n")] : [])].filter(Boolean).join("\n\n");
    const message: messagingApi.TextMessage = buttons.length > 0 ? quickReplyText(text, buttons) : { type: "text", text };
    return { messages: [message], state: null };
  }

  async function askPartySize(context: FlowContext, code: string): Promise<FlowOutcome> {
    const session = await openSession(context.trx, code, context.at);
    if (!session) return { messages: [{ type: "text", text: texts.gone }], state: null };
    const existing = await activeSignup(context.trx, session.id, context.userId);
    if (existing) {
      return {
        messages: [
          quickReplyText(texts.already.replace("{count}", String(existing.party_size)), [
            { label: texts.withdraw_button.replace("{town}", session.town).slice(0, 20), data: postbackData(FLOW, "withdraw", session.code) },
          ]),
        ],
        state: null,
      };
    }
    const date = japanDate(session.starts_at);
    const time = japanTime(session.starts_at);
    return askNext(signupForm, { _code: session.code, _town: session.town, _place: session.place, _date: date, _time: time, _when: `${date} ${time}〜` });
  }

  async function signUp(context: FlowContext, code: string, party: number): Promise<FlowOutcome> {
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
    return { messages: [{ type: "text", text: fill(scheduled ? texts.done : texts.done_soon, session) }], state: null };
  }

  async function withdraw(context: FlowContext, code: string): Promise<FlowOutcome> {
    const session = await context.trx.selectFrom("future_cafe_sessions").select(["id", "code", "town", "starts_at", "place", "capacity"]).where("code", "=", code).executeTakeFirst();
    const signup = session ? await activeSignup(context.trx, session.id, context.userId) : undefined;
    if (!session || !signup) return overview(context);
    await context.trx
      .updateTable("future_cafe_signups")
      .set({ cancelled_at: context.at, reminder_state: signup.reminder_state === "scheduled" ? "skipped" : signup.reminder_state })
      .where("id", "=", signup.id)
      .execute();
    return { messages: [{ type: "text", text: fill(texts.withdrawn, session) }], state: null };
  }

  function sessionLine(session: SessionRow): string {
    return fill(texts.session_line, session);
  }

  function fill(template: string, session: SessionRow): string {
    return template
      .replaceAll("{date}", japanDate(session.starts_at))
      .replaceAll("{time}", japanTime(session.starts_at))
      .replaceAll("{town}", session.town)
      .replaceAll("{place}", session.place);
  }
}

export function reminderText(texts: FutureCafeTexts, session: { town: string; starts_at: Date; place: string }): string {
  return texts.reminder
    .replaceAll("{date}", japanDate(session.starts_at))
    .replaceAll("{time}", japanTime(session.starts_at))
    .replaceAll("{town}", session.town)
    .replaceAll("{place}", session.place);
}

function partySize(choice: string): number {
  const digits = /(\d+)/.exec(choice.normalize("NFKC"));
  return digits ? Math.max(1, Number(digits[1])) : 1;
}

async function upcoming(trx: Transaction<Database>, now: Date): Promise<SessionRow[]> {
  return trx
    .selectFrom("future_cafe_sessions")
    .select(["id", "code", "town", "starts_at", "place", "capacity"])
    .where("status", "=", "scheduled")
    .where("starts_at", ">", now)
    .orderBy("starts_at")
    .limit(SHOWN)
    .execute();
}

async function openSession(trx: Transaction<Database>, code: string, now: Date): Promise<SessionRow | undefined> {
  return trx
    .selectFrom("future_cafe_sessions")
    .select(["id", "code", "town", "starts_at", "place", "capacity"])
    .where("code", "=", code)
    .where("status", "=", "scheduled")
    .where("starts_at", ">", now)
    .executeTakeFirst();
}

async function activeSignup(trx: Transaction<Database>, sessionId: string, userId: string) {
  return trx
    .selectFrom("future_cafe_signups")
    .select(["id", "party_size", "reminder_state"])
    .where("session_id", "=", sessionId)
    .where("user_id", "=", userId)
    .where("cancelled_at", "is", null)
    .executeTakeFirst();
}
