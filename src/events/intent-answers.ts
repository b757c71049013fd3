import type { messagingApi } from "@line/bot-sdk";
import type { Transaction } from "kysely";
import type { IntentResult, Router } from "../intents/router.js";
import { indicatorSummaries, kpiAnswerFor, policyIndicatorNames } from "../kpi/kpi-answer.js";
import type { BotTexts } from "../seeds/bot-texts.js";
import type { Database } from "../store/database.js";
import { textWithMenu } from "./replies.js";

// Until the conversation flows exist, each intent gets a short, correct answer built from seeds
// (and, for KPIs and surveys, from the rows seeded from them), with the main menu under it.
export async function answerForIntent(
  trx: Transaction<Database>,
  result: IntentResult,
  router: Router,
  texts: BotTexts,
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
  if (result.intent === "kpi") return [textWithMenu(await kpiText(trx, result, answer), texts)];
  if (result.intent === "survey") return [textWithMenu(await surveyText(trx, answer, texts), texts)];
  return [textWithMenu(answer, texts)];
}

async function kpiText(trx: Transaction<Database>, result: IntentResult, general: string): Promise<string> {
  const found = await indicatorSummaries(trx, result.entities.indicators.slice(0, 3).map((indicator) => indicator.id));
  if (found.length > 0) return found.map(kpiAnswerFor).join("\n\n");
  const names = await policyIndicatorNames(trx);
  return `${general}\n${names.map((name) => `・${name}`).join("\n")}`;
}

async function surveyText(trx: Transaction<Database>, general: string, texts: BotTexts): Promise<string> {
  const open = await trx
    .selectFrom("surveys")
    .select("title")
    .where("status", "=", "open")
    .where("audience", "=", "all")
    .orderBy("id")
    .execute();
  if (open.length === 0) return texts.no_open_survey;
  return `${general}\n${open.map((survey) => `・${survey.title}`).join("\n")}`;
}
