import type { messagingApi } from "@line/bot-sdk";
import { sql } from "kysely";
import { fiscalYearOf } from "../../intents/entities.js";
import type { ContentFetcher } from "../../line/content-client.js";
import type { ReportTexts } from "../flow-texts.js";
import { confirmQuestion, quickReplyText, type Flow, type FlowContext, type FlowInput, type FlowOutcome, type FlowState } from "../flow.js";
import { postbackData } from "../postback-data.js";
import { reportStatusAnswer } from "./report-status.js";

// 通報: category → where (a LINE location or a typed address) → photos (optional, fetched from
// LINE's content API, checked, stored) → what is wrong → confirm → a report with a reference number
// for the category's department. 「通報の状況」 lists the resident's reports and their status.
const FLOW = "report";
const STATUS_WORDS = /(状況|じょうきょう|どうなっ|進捗|しんちょく|対応済|たいおうずみ|返事|へんじ|確認したい|結果)/;

interface ReportDraft {
  category?: string;
  address?: string | null;
  latitude?: number;
  longitude?: number;
  photo_ids?: string[];
  description?: string;
}

export function reportFlow(texts: ReportTexts, content: ContentFetcher): Flow {
  const departmentOf = (category: string) => texts.categories.find((entry) => entry.label === category)?.department ?? texts.categories.at(-1)!.department;

  const ask = (step: string, data: ReportDraft): FlowOutcome => {
    const state = { step, data: data as Record<string, unknown> };
    switch (step) {
      case "category":
        return {
          messages: [quickReplyText(texts.category, texts.categories.map((entry, index) => ({ label: entry.label, data: postbackData(FLOW, "category", String(index)) })))],
          state,
        };
      case "location":
        return {
          messages: [{ type: "text", text: texts.location.prompt, quickReply: { items: [{ type: "action", action: { type: "location", label: texts.location.button } }] } }],
          state,
        };
      case "photos":
        return { messages: [photoQuestion(texts.photos.prompt.replace("{max}", String(texts.max_photos)), (data.photo_ids ?? []).length)], state };
      case "description":
        return { messages: [{ type: "text", text: texts.description.prompt }], state };
      default:
        return confirm(data);
    }
  };

  const photoQuestion = (text: string, received: number): messagingApi.TextMessage => ({
    type: "text",
    text,
    quickReply: {
      items: [
        { type: "action", action: { type: "camera", label: texts.photos.camera } },
        { type: "action", action: { type: "cameraRoll", label: texts.photos.camera_roll } },
        {
          type: "action",
          action: { type: "postback", label: received > 0 ? texts.photos.next : texts.photos.none, data: postbackData(FLOW, "photos_done"), displayText: received > 0 ? texts.photos.next : texts.photos.none },
        },
      ],
    },
  });

  const afterLocation = (data: ReportDraft) => (texts.max_photos > 0 ? ask("photos", data) : ask("description", data));

  const confirm = (data: ReportDraft): FlowOutcome => {
    const labels = texts.confirm.labels;
    const where =
      data.address ??
      texts.confirm.location_pin.replace("{lat}", (data.latitude ?? 0).toFixed(5)).replace("{lng}", (data.longitude ?? 0).toFixed(5));
    const summary = [
      `${labels.category}：${data.category}`,
      `${labels.location}：${where}`,
      `${labels.photos}：${texts.confirm.photos_value.replace("{count}", String((data.photo_ids ?? []).length))}`,
      `${labels.description}：${data.description}`,
    ];
    return {
      messages: [confirmQuestion(texts.confirm, summary, { send: postbackData(FLOW, "send"), restart: postbackData(FLOW, "restart") })],
      state: { step: "confirm", data: data as Record<string, unknown> },
    };
  };

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
      return this.start(context);
    },
    async start(context) {
      await discardDraftPhotos(context);
      const first = ask("category", {});
      return { messages: [{ type: "text", text: texts.intro }, ...first.messages], state: first.state };
    },
    async handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
      const step = state.step;
      const data = state.data as ReportDraft;
      switch (input.kind) {
        case "postback": {
          const { action, argument } = input.postback;
          if (action === "restart") return this.start(context);
          if (action === "category" && step === "category") {
            const entry = texts.categories[Number(argument)];
            if (entry) return ask("location", { ...data, category: entry.label });
          }
          if (action === "photos_done" && step === "photos") return ask("description", data);
          if (action === "send" && step === "confirm") return submit(context, data);
          return ask(step, data);
        }
        case "location":
          return afterLocation({ ...data, address: input.address ?? input.title, latitude: input.latitude, longitude: input.longitude });
        case "image":
          return receivePhoto(context, data, input.messageId);
        case "text": {
          const text = input.text.trim();
          if (step === "category") {
            const entry = texts.categories.find((candidate) => candidate.label === text);
            return entry ? ask("location", { ...data, category: entry.label }) : ask(step, data);
          }
          if (step === "location") return afterLocation({ ...data, address: text.slice(0, 200) });
          if (step === "photos") return [texts.photos.none, texts.photos.next].includes(text) ? ask("description", data) : ask(step, data);
          if (step === "description") return confirm({ ...data, description: text.slice(0, 1000) });
          return ask(step, data);
        }
      }
    },
  };

  async function receivePhoto(context: FlowContext, data: ReportDraft, messageId: string): Promise<FlowOutcome> {
    const photoIds = data.photo_ids ?? [];
    const state = { step: "photos", data: data as Record<string, unknown> };
    if (photoIds.length >= texts.max_photos) return ask("description", data);
    const result = await content.image(messageId, texts.max_photo_bytes);
    if (result.kind !== "ok") {
      const text =
        result.kind === "too_large"
          ? texts.photos.too_large.replace("{limit}", String(Math.floor(result.limitBytes / 1024 / 1024)))
          : result.kind === "not_image"
            ? texts.photos.not_image
            : texts.photos.gone;
      return { messages: [photoQuestion(text, photoIds.length)], state };
    }
    const photo = await context.trx
      .insertInto("report_photos")
      .values({
        report_id: null,
        user_id: context.userId,
        line_message_id: messageId,
        content_type: result.contentType,
        byte_size: result.bytes.byteLength,
        content: result.bytes,
        created_at: context.at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const next: ReportDraft = { ...data, photo_ids: [...photoIds, photo.id] };
    if (next.photo_ids!.length >= texts.max_photos) {
      const received = { type: "text" as const, text: texts.photos.received.replace("{count}", String(next.photo_ids!.length)).replace("{max}", String(texts.max_photos)).split("\n")[0]! };
      const description = ask("description", next);
      return { messages: [received, ...description.messages], state: description.state };
    }
    const text = texts.photos.received.replace("{count}", String(next.photo_ids!.length)).replace("{max}", String(texts.max_photos));
    return { messages: [photoQuestion(text, next.photo_ids!.length)], state: { step: "photos", data: next as Record<string, unknown> } };
  }

  async function submit(context: FlowContext, data: ReportDraft): Promise<FlowOutcome> {
    const category = data.category ?? texts.categories.at(-1)!.label;
    const department = departmentOf(category);
    const { rows } = await sql<{ n: string }>`select nextval('report_reference_seq')::text as n`.execute(context.trx);
    const reference = `RP-${fiscalYearOf(context.at)}-${rows[0]!.n.padStart(5, "0")}`;
    const report = await context.trx
      .insertInto("reports")
      .values({
        reference_no: reference,
        user_id: context.userId,
        thread_id: context.thread,
        category,
        department,
        description: data.description ?? null,
        address: data.address ?? null,
        latitude: data.latitude ?? null,
        longitude: data.longitude ?? null,
        created_at: context.at,
        updated_at: context.at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const photoIds = data.photo_ids ?? [];
    if (photoIds.length > 0) {
      await context.trx
        .updateTable("report_photos")
        .set({ report_id: report.id })
        .where("id", "in", photoIds)
        .where("user_id", "=", context.userId)
        .where("report_id", "is", null)
        .execute();
    }
    return { messages: [{ type: "text", text: texts.done.replace("{reference}", reference).replace("{department}", department) }], state: null };
  }
}

// A resident starting a new report leaves any earlier unsent draft's photos behind: drop them.
async function discardDraftPhotos(context: FlowContext): Promise<void> {
  await context.trx.deleteFrom("report_photos").where("user_id", "=", context.userId).where("report_id", "is", null).execute();
}
