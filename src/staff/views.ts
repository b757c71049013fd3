import type { OutboundStatus } from "../store/tables/outbox.js";
import { html, type SafeHtml } from "./html.js";

// Pieces shared by the console's pages.
const JST = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
export function dateTime(date: Date | string): string {
  return JST.format(new Date(date));
}

export interface MessageRow {
  direction: "in" | "out";
  message_type: string;
  text: string | null;
  payload: Record<string, unknown> | null;
  created_at: Date;
  // The answer's delivery (outbound_messages.status); null for the resident's own messages.
  delivery?: OutboundStatus | null;
}

// How an answer's delivery stands, where it is not simply delivered.
const deliveryNotes: Partial<Record<OutboundStatus, string>> = {
  pending: "送信待ち（LINEに届け直しています）",
  sending: "送信中",
  failed: "送信できませんでした（LINEが受け付けませんでした）",
  expired: "送信できませんでした（LINEに長時間届けられず、期限切れになりました）",
  skipped: "送信していません（ブロックされています）",
};

export function conversationView(messages: MessageRow[], empty = "やりとりはまだありません。"): SafeHtml {
  if (messages.length === 0) return html`<p class="empty">${empty}</p>`;
  // Newest first in the markup, shown bottom-up (column-reverse): the box opens on the latest.
  return html`<ol class="chat" reversed>${[...messages].reverse().map(
    (message) => html`<li class="${message.direction === "in" ? "resident" : "bot"}">
<span class="meta">${message.direction === "in" ? "住民" : "市"}・${dateTime(message.created_at)}</span>
<span class="bubble">${describe(message)}</span>${message.delivery && deliveryNotes[message.delivery] ? html`<span class="delivery delivery-${message.delivery}">${deliveryNotes[message.delivery]!}</span>` : ""}</li>`,
  )}</ol>`;
}

function describe(message: MessageRow): string {
  if (message.text) return message.text;
  switch (message.message_type) {
    case "image":
      return "（画像）";
    case "sticker":
      return "（スタンプ）";
    case "location":
      return "（位置情報）";
    case "postback":
      return "（ボタンを押しました）";
    case "flex":
    case "template":
      return "（カード形式のメッセージ）";
    default:
      return `（${message.message_type}）`;
  }
}

