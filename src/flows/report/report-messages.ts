import type { messagingApi } from "@line/bot-sdk";
import { postbackData } from "../../line/postback-data.js";
import type { ReportTexts } from "../flow-texts.js";
import { confirmQuestion, quickReplyText, type FlowOutcome } from "../flow.js";

// What the 通報 flow asks at each step, and the summary to confirm. Pure: the draft in, the
// question and the step to wait at out.
export const FLOW = "report";

export interface ReportDraft {
  category?: string;
  address?: string | null;
  latitude?: number;
  longitude?: number;
  photo_ids?: string[];
  description?: string;
}

export function askReportStep(texts: ReportTexts, step: string, data: ReportDraft): FlowOutcome {
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
      return { messages: [photoQuestion(texts, texts.photos.prompt.replace("{max}", String(texts.max_photos)), (data.photo_ids ?? []).length)], state };
    case "description":
      return { messages: [{ type: "text", text: texts.description.prompt }], state };
    default:
      return confirmReport(texts, data);
  }
}

// After where: photos if the city takes any, else what is wrong.
export function afterLocation(texts: ReportTexts, data: ReportDraft): FlowOutcome {
  return texts.max_photos > 0 ? askReportStep(texts, "photos", data) : askReportStep(texts, "description", data);
}

// The camera, the camera roll, and 「写真なし」 (or 「次へ」 once a photo came).
export function photoQuestion(texts: ReportTexts, text: string, received: number): messagingApi.TextMessage {
  const done = received > 0 ? texts.photos.next : texts.photos.none;
  return {
    type: "text",
    text,
    quickReply: {
      items: [
        { type: "action", action: { type: "camera", label: texts.photos.camera } },
        { type: "action", action: { type: "cameraRoll", label: texts.photos.camera_roll } },
        { type: "action", action: { type: "postback", label: done, data: postbackData(FLOW, "photos_done"), displayText: done } },
      ],
    },
  };
}

export function confirmReport(texts: ReportTexts, data: ReportDraft): FlowOutcome {
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
}
