import type { messagingApi } from "@line/bot-sdk";
import { postbackData } from "../../line/postback-data.js";
import type { FutureCafeTexts } from "../flow-texts.js";
import { quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { formFreeText, formRecognizes, handleForm, isFormStep, type FormSpec } from "../form.js";
import { japanDate } from "../../japan-time.js";
import { activeSignup, fillSession, sessionByCode, signupsOf, upcomingSessions } from "./cafe-sessions.js";
import { askPartySize, FLOW, signupForm } from "./cafe-signup.js";

// ひとよし未来カフェ: what it is (from seeds), the coming sessions with a sign-up button each,
// the resident's own sign-ups with a button to withdraw; a sign-up asks how many will come and
// schedules the day-before reminder (sent by cafe-reminders.ts).
interface CafeSetup {
  texts: FutureCafeTexts;
  // What ひとよし未来カフェ is: the intent's answer in seeds.
  about: string;
  form: FormSpec;
}

export function futureCafeFlow(texts: FutureCafeTexts, about: string): Flow {
  const setup: CafeSetup = { texts, about, form: signupForm(texts) };
  return {
    name: FLOW,
    title: "ひとよし未来カフェの申し込み",
    procedures: ["ひとよし未来カフェへの参加申し込み"],
    opens: ["signup", "withdraw"],
    recognizes: (step, text) => formRecognizes(setup.form, step, text),
    freeText: (step) => formFreeText(setup.form, step),
    fromIntent: (context) => overview(setup, context),
    start: (context) => overview(setup, context),
    handle: (context, state, input) => handleFutureCafe(setup, context, state, input),
  };
}

async function handleFutureCafe(setup: CafeSetup, context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
  if (input.kind === "postback") {
    const { action, argument } = input.postback;
    if (action === "signup") return askPartySize(setup.texts, setup.form, context, argument);
    if (action === "withdraw") return withdraw(setup, context, argument);
  }
  if (isFormStep(setup.form, state.step)) return handleForm(setup.form, context, state, input);
  return overview(setup, context);
}

// What the cafe is, the coming sessions, and the resident's own sign-ups, with a button each.
async function overview(setup: CafeSetup, context: FlowContext): Promise<FlowOutcome> {
  const { texts } = setup;
  const sessions = await upcomingSessions(context.trx, context.at);
  const mine = await signupsOf(context.trx, context.userId, context.at);
  const mineCodes = new Set(mine.map((signup) => signup.code));
  const lines = sessions.map((session) => fillSession(texts.session_line, session));
  const body = sessions.length > 0 ? `${texts.upcoming}\n${lines.join("\n")}` : texts.none_upcoming;
  const signedUp = mine.map((signup) => texts.signed_up_line.replace("{date}", japanDate(signup.starts_at)).replace("{town}", signup.town));
  const buttons = [
    ...sessions
      .filter((session) => !mineCodes.has(session.code))
      .map((session) => ({ label: texts.signup_button.replace("{town}", session.town).slice(0, 20), data: postbackData(FLOW, "signup", session.code) })),
    ...mine.map((signup) => ({ label: texts.withdraw_button.replace("{town}", signup.town).slice(0, 20), data: postbackData(FLOW, "withdraw", signup.code) })),
  ].slice(0, 13);
  const text = [setup.about, body, ...(signedUp.length > 0 ? [signedUp.join("\n")] : [])].filter(Boolean).join("\n\n");
  const message: messagingApi.TextMessage = buttons.length > 0 ? quickReplyText(text, buttons) : { type: "text", text };
  return { messages: [message], state: null };
}

// 「取り消す」 on a sign-up: withdrawn, its reminder skipped; a button of an older message for a
// sign-up that is gone shows the overview.
async function withdraw(setup: CafeSetup, context: FlowContext, code: string): Promise<FlowOutcome> {
  const session = await sessionByCode(context.trx, code);
  const signup = session ? await activeSignup(context.trx, session.id, context.userId) : undefined;
  if (!session || !signup) return overview(setup, context);
  await context.trx
    .updateTable("future_cafe_signups")
    .set({ cancelled_at: context.at, reminder_state: signup.reminder_state === "scheduled" ? "skipped" : signup.reminder_state })
    .where("id", "=", signup.id)
    .execute();
  return { messages: [{ type: "text", text: fillSession(setup.texts.withdrawn, session) }], state: null };
}
