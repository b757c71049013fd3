import { fiscalYearOf } from "../../japan-time.js";
import type { ContentFetcher } from "../../line/content-client.js";
import type { PostbackData } from "../../line/postback-data.js";
import { recordReport } from "../../store/cases.js";
import type { ReportTexts } from "../flow-texts.js";
import type { Flow, FlowContext, FlowInput, FlowOutcome, FlowState } from "../flow.js";
import { afterLocation, askReportStep, confirmReport, FLOW, type ReportDraft } from "./report-messages.js";
import { discardDraftPhotos, receivePhoto } from "./report-photos.js";
import { reportStatusAnswer } from "./report-status.js";

// 通報: category → where (a LINE location or a typed address) → photos (optional, fetched from
// LINE's content API, checked, stored) → what is wrong → confirm → a report with a reference number
// for the category's department. 「通報の状況」 lists the resident's reports and their status.
const STATUS_WORDS = /(状況|じょうきょう|どうなっ|進捗|しんちょく|対応済|たいおうずみ|返事|へんじ|確認したい|結果)/;

interface ReportSetup {
  texts: ReportTexts;
  content: ContentFetcher;
}

export function reportFlow(texts: ReportTexts, content: ContentFetcher): Flow {
  const setup: ReportSetup = { texts, content };
  return {
    name: FLOW,
    title: "不具合の通報",
    procedures: ["道路・街灯などの不具合の通報"],
    recognizes(step, text) {
      if (step === "category") return texts.categories.some((entry) => entry.label === text.trim());
      if (step === "photos") return [texts.photos.none, texts.photos.next].includes(text.trim());
      return step !== "confirm";
    },
    // Where (typed) and what is wrong are facts: a question typed there is not one of them.
    freeText: (step) => (step === "location" || step === "description" ? { asks: "fact" } : null),
    acceptsMedia: (step, kind) => (kind === "location" ? step === "location" : step === "photos"),
    async fromIntent(context, understood) {
      if (STATUS_WORDS.test(understood.normalized)) return { messages: [await reportStatusAnswer(context, texts)], state: null };
      return startReport(texts, context);
    },
    start: (context) => startReport(texts, context),
    handle: (context, state, input) => handleReport(setup, context, state, input),
  };
}

async function startReport(texts: ReportTexts, context: FlowContext): Promise<FlowOutcome> {
  await discardDraftPhotos(context);
  const first = askReportStep(texts, "category", {});
  return { messages: [{ type: "text", text: texts.intro }, ...first.messages], state: first.state };
}

async function handleReport(setup: ReportSetup, context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
  const { texts } = setup;
  const data = state.data as ReportDraft;
  switch (input.kind) {
    case "postback":
      return onReportPostback(texts, context, state.step, data, input.postback);
    case "location":
      return afterLocation(texts, { ...data, address: input.address ?? input.title, latitude: input.latitude, longitude: input.longitude });
    case "image":
      return receivePhoto(texts, setup.content, context, data, input.messageId);
    case "text":
      return onReportText(texts, state.step, data, input.text.trim());
  }
}

function onReportPostback(texts: ReportTexts, context: FlowContext, step: string, data: ReportDraft, { action, argument }: PostbackData): Promise<FlowOutcome> | FlowOutcome {
  if (action === "restart") return startReport(texts, context);
  if (action === "category" && step === "category") {
    const entry = texts.categories[Number(argument)];
    if (entry) return askReportStep(texts, "location", { ...data, category: entry.label });
  }
  if (action === "photos_done" && step === "photos") return askReportStep(texts, "description", data);
  if (action === "send" && step === "confirm") return submitReport(texts, context, data);
  return askReportStep(texts, step, data);
}

function onReportText(texts: ReportTexts, step: string, data: ReportDraft, text: string): FlowOutcome {
  if (step === "category") {
    const entry = texts.categories.find((candidate) => candidate.label === text);
    return entry ? askReportStep(texts, "location", { ...data, category: entry.label }) : askReportStep(texts, step, data);
  }
  if (step === "location") return afterLocation(texts, { ...data, address: text.slice(0, 200) });
  if (step === "photos") return [texts.photos.none, texts.photos.next].includes(text) ? askReportStep(texts, "description", data) : askReportStep(texts, step, data);
  if (step === "description") return confirmReport(texts, { ...data, description: text.slice(0, 1000) });
  return askReportStep(texts, step, data);
}

async function submitReport(texts: ReportTexts, context: FlowContext, data: ReportDraft): Promise<FlowOutcome> {
  const category = data.category ?? texts.categories.at(-1)!.label;
  const department = texts.categories.find((entry) => entry.label === category)?.department ?? texts.categories.at(-1)!.department;
  const reference = await recordReport(context.trx, {
    userId: context.userId,
    thread: context.thread,
    category,
    department,
    description: data.description ?? null,
    address: data.address ?? null,
    latitude: data.latitude ?? null,
    longitude: data.longitude ?? null,
    photoIds: data.photo_ids ?? [],
    at: context.at,
    fiscalYear: fiscalYearOf(context.at),
  });
  return { messages: [{ type: "text", text: texts.done.replace("{reference}", reference).replace("{department}", department) }], state: null };
}
