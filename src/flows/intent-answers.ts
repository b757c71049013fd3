import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import type { IntentResult, Router } from "../intents/router.js";
import { indicatorSummaries, kpiAnswerFor } from "../kpi/kpi-answer.js";
import { kpiListFlex } from "../kpi/kpi-flex.js";
import { liveCount, type LiveSource } from "../kpi/live-counts.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import type { Database } from "../store/database.js";
import { textWithMenu } from "./replies.js";

// Intents answered in one message (the flows handle the rest): a short, correct answer built from
// seeds (for KPIs, from the rows seeded from them), with the main menu under it.
export interface AnswerContext {
  at: Date;
  // The procedures residents can complete in this LINE (the live count of スマホアプリを通じた行政手続きの種類).
  procedures: readonly string[];
}

export async function answerForIntent(
  trx: Transaction<Database>,
  result: IntentResult,
  router: Router,
  texts: BotTexts,
  context: AnswerContext,
): Promise<messagingApi.Message[]> {
  const seedFor = (intent: string) => router.intents.find((seed) => seed.intent === intent);
  if (result.ambiguous && result.runnerUp) {
    const choices = [result.intent, result.runnerUp.intent].map((intent) => seedFor(intent)!);
    return [
      {
        type: "text",
        text: texts.which_one,
        quickReply: {
          items: choices.map((choice) => ({ type: "action", action: { type: "message", label: choice.label, text: choice.label } })),
        },
      },
    ];
  }
  const answer = seedFor(result.intent)?.answer ?? texts.text_fallback;
  if (result.intent === "kpi") return kpiAnswer(trx, result, answer, texts, context);
  return [textWithMenu(answer, texts)];
}

// A named indicator: its figures (and this year's live count when the bot feeds it). No name, or
// 「KPI一覧」: every policy-level indicator as a Flex carousel.
async function kpiAnswer(
  trx: Transaction<Database>,
  result: IntentResult,
  general: string,
  texts: BotTexts,
  context: AnswerContext,
): Promise<messagingApi.Message[]> {
  const found = await indicatorSummaries(trx, result.entities.indicators.slice(0, 3).map((indicator) => indicator.id));
  if (found.length > 0 && !result.normalized.includes("一覧")) {
    const answers = [];
    for (const indicator of found) {
      const live = indicator.live_source ? await liveCount(trx, indicator.live_source as LiveSource, context.at, context.procedures) : null;
      answers.push(kpiAnswerFor(indicator, live));
    }
    return [textWithMenu(answers.join("\n\n"), texts)];
  }
  const rows = await trx
    .selectFrom("kpi_indicators")
    .select(["name", "unit", "policy_no", "policy_name", "baseline_value", "target_value", "achievement_mark"])
    .where("level", "=", "policy")
    .orderBy("position")
    .execute();
  return [kpiListFlex(rows), textWithMenu(general, texts)];
}
