import type { ContentFetcher } from "../../line/content-client.js";
import { dropDraftReportPhotos, recordDraftReportPhoto } from "../../store/cases.js";
import type { ReportTexts } from "../flow-texts.js";
import type { FlowContext, FlowOutcome } from "../flow.js";
import { askReportStep, photoQuestion, type ReportDraft } from "./report-messages.js";

// A photo sent at the photos step: fetched from LINE's content API, checked, and kept as a draft
// photo of the resident (report_id null) until the report is sent.
export async function receivePhoto(texts: ReportTexts, content: ContentFetcher, context: FlowContext, data: ReportDraft, messageId: string): Promise<FlowOutcome> {
  const photoIds = data.photo_ids ?? [];
  if (photoIds.length >= texts.max_photos) return askReportStep(texts, "description", data);
  const result = await content.image(messageId, texts.max_photo_bytes);
  if (result.kind !== "ok") {
    const text =
      result.kind === "too_large"
        ? texts.photos.too_large.replace("{limit}", String(Math.floor(result.limitBytes / 1024 / 1024)))
        : result.kind === "not_image"
          ? texts.photos.not_image
          : texts.photos.gone;
    return { messages: [photoQuestion(texts, text, photoIds.length)], state: { step: "photos", data: data as Record<string, unknown> } };
  }
  const photoId = await recordDraftReportPhoto(context.trx, {
    userId: context.userId,
    lineMessageId: messageId,
    contentType: result.contentType,
    bytes: result.bytes,
    at: context.at,
  });
  return photoReceived(texts, { ...data, photo_ids: [...photoIds, photoId] });
}

// 「1枚目を受け取りました」, and the next question: another photo, or what is wrong once the last
// one the city takes has come.
function photoReceived(texts: ReportTexts, next: ReportDraft): FlowOutcome {
  const count = next.photo_ids!.length;
  const received = texts.photos.received.replace("{count}", String(count)).replace("{max}", String(texts.max_photos));
  if (count >= texts.max_photos) {
    const description = askReportStep(texts, "description", next);
    return { messages: [{ type: "text", text: received.split("\n")[0]! }, ...description.messages], state: description.state };
  }
  return { messages: [photoQuestion(texts, received, count)], state: { step: "photos", data: next as Record<string, unknown> } };
}

// A resident starting a new report leaves any earlier unsent draft's photos behind: drop them.
export async function discardDraftPhotos(context: FlowContext): Promise<void> {
  await dropDraftReportPhotos(context.trx, context.userId);
}
