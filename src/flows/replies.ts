import type { messagingApi } from "@line/bot-sdk";
import type { BotTexts } from "../seeds/bot-texts.js";

// A text answer with the main menu as quick-reply buttons under it.
export function textWithMenu(text: string, texts: BotTexts): messagingApi.TextMessage {
  return {
    type: "text",
    text,
    quickReply: {
      items: texts.main_menu.map((item) => ({
        type: "action",
        action: { type: "message", label: item.label, text: item.text },
      })),
    },
  };
}
