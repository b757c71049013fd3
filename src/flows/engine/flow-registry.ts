import type { IntentName } from "../../intents/intent-names.js";
import type { Router } from "../../intents/router.js";
import type { BotTexts } from "../../seeds/bot-texts.js";
import type { ContentFetcher } from "../../line/content-client.js";
import type { FlowTexts } from "../flow-texts.js";
import type { Flow } from "../flow.js";
import { futureCafeFlow } from "../future-cafe/future-cafe-flow.js";
import { profileFlow } from "../profile/profile-flow.js";
import { relocationConsultationFlow } from "../relocation/relocation-flow.js";
import { reportFlow } from "../report/report-flow.js";
import { surveyFlow } from "../survey/survey-flow.js";
import { vacantHouseFlow } from "../vacant-house/vacant-house-flow.js";

// Everything the engine's steps read: the texts, the router, and the flows by name. Built once.
export interface Engine {
  texts: BotTexts;
  flowTexts: FlowTexts;
  router: Router;
  flows: ReadonlyMap<string, Flow>;
  // What residents can do start to finish in this LINE (the live count of the KPI
  // スマホアプリを通じた行政手続きの種類, the LINE part of it).
  procedures: readonly string[];
}

export interface FlowServices {
  content: ContentFetcher;
}

// The intent each flow serves; a clearly different intent mid-flow is an interruption.
const FLOW_INTENT: Readonly<Record<string, IntentName>> = {
  relocation: "relocation",
  vacant_house: "vacant_house",
  survey: "survey",
  report: "report",
  future_cafe: "future_cafe",
  profile: "profile",
};

export function createEngine(texts: BotTexts, flowTexts: FlowTexts, router: Router, services: FlowServices): Engine {
  const flowList: Flow[] = [
    relocationConsultationFlow(flowTexts.relocation),
    vacantHouseFlow(flowTexts.vacantHouse),
    surveyFlow(flowTexts.survey, texts),
    reportFlow(flowTexts.report, services.content),
    futureCafeFlow(flowTexts.futureCafe, router.intents.find((seed) => seed.intent === "future_cafe")?.answer ?? ""),
    profileFlow(flowTexts.profile, texts),
  ];
  return {
    texts,
    flowTexts,
    router,
    flows: new Map(flowList.map((flow) => [flow.name, flow])),
    procedures: [...flowList.flatMap((flow) => flow.procedures), "職員への取り次ぎ"],
  };
}

export function intentOfFlow(flowName: string): IntentName {
  return FLOW_INTENT[flowName]!;
}

// The flow that takes the router's intent from a resident in no flow, if one does.
export function flowForIntent(engine: Engine, intent: IntentName): Flow | undefined {
  return [...engine.flows.values()].find((flow) => FLOW_INTENT[flow.name] === intent && flow.fromIntent);
}
