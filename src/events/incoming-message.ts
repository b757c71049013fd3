import type { webhook } from "@line/bot-sdk";
import type { BotTexts } from "../seeds/bot-texts.js";

export interface IncomingDescription {
  // What the conversation log shows as the message's text.
  text: string | null;
  // What else is worth keeping (coordinates, sticker ids, content provider); never the content itself.
  payload: Record<string, unknown> | null;
  // The polite answer for this kind of message.
  answer: string;
}

export function describeIncoming(message: webhook.MessageContent, texts: BotTexts): IncomingDescription {
  switch (message.type) {
    case "text": {
      const text = message as webhook.TextMessageContent;
      return { text: text.text, payload: null, answer: texts.text_fallback };
    }
    case "image":
      return { text: null, payload: { contentProvider: (message as webhook.ImageMessageContent).contentProvider }, answer: texts.image_received };
    case "video":
      return { text: null, payload: { contentProvider: (message as webhook.VideoMessageContent).contentProvider }, answer: texts.video_received };
    case "audio":
      return { text: null, payload: { duration: (message as webhook.AudioMessageContent).duration ?? null }, answer: texts.audio_received };
    case "file": {
      const file = message as webhook.FileMessageContent;
      return { text: file.fileName, payload: { fileSize: file.fileSize }, answer: texts.file_received };
    }
    case "location": {
      const location = message as webhook.LocationMessageContent;
      return {
        text: location.address ?? location.title ?? null,
        payload: { latitude: location.latitude, longitude: location.longitude, title: location.title ?? null, address: location.address ?? null },
        answer: texts.location_received,
      };
    }
    case "sticker": {
      const sticker = message as webhook.StickerMessageContent;
      return { text: null, payload: { packageId: sticker.packageId, stickerId: sticker.stickerId }, answer: texts.sticker_received };
    }
    default:
      return { text: null, payload: { type: (message as { type: string }).type }, answer: texts.other_received };
  }
}
