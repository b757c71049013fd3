import { CHAT_ID, USER_ID, type ErrorDetail } from "./line-answers.js";

// The rules of LINE's Messaging API reference for what a send carries: 1 to 5 message objects of a
// type LINE knows, with the fields each type needs (https://developers.line.biz/en/reference/messaging-api/#message-objects),
// and its recipients (a multicast goes to 1 to 500 user ids). Lengths are UTF-16 code units, as
// LINE counts them. Each problem is reported as LINE does, with the property it concerns.
export const MAX_MESSAGES = 5;
export const MULTICAST_MAX_RECIPIENTS = 500;
const QUICK_REPLY_MAX_ITEMS = 13;

const MESSAGE_TYPES = ["text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template", "flex"];

type Json = Record<string, unknown>;

export function messagesProblems(messages: unknown): ErrorDetail[] {
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > MAX_MESSAGES) {
    return [{ message: `Size must be between 1 and ${MAX_MESSAGES}`, property: "messages" }];
  }
  return messages.flatMap((message, index) => messageProblems(message, `messages[${index}]`));
}

function messageProblems(message: unknown, at: string): ErrorDetail[] {
  if (typeof message !== "object" || message === null) return [{ message: "must be an object", property: at }];
  const m = message as Json;
  if (typeof m.type !== "string" || !MESSAGE_TYPES.includes(m.type)) return [{ message: `must be one of ${MESSAGE_TYPES.join(", ")}`, property: `${at}.type` }];
  const problems: ErrorDetail[] = [];
  const need = (field: string, ok: (value: unknown) => boolean, rule: string) => {
    if (!ok(m[field])) problems.push({ message: rule, property: `${at}.${field}` });
  };
  const text = (max: number) => (value: unknown) => typeof value === "string" && value.length >= 1 && value.length <= max;
  const https = (value: unknown) => typeof value === "string" && value.length <= 2000 && /^https:\/\/\S+$/.test(value);
  switch (m.type) {
    case "text":
    case "textV2":
      need("text", text(5000), "must be 1 to 5000 characters");
      break;
    case "sticker":
      need("packageId", text(100), "must be specified");
      need("stickerId", text(100), "must be specified");
      break;
    case "image":
    case "video":
      need("originalContentUrl", https, "must be an https URL of at most 2000 characters");
      need("previewImageUrl", https, "must be an https URL of at most 2000 characters");
      break;
    case "audio":
      need("originalContentUrl", https, "must be an https URL of at most 2000 characters");
      need("duration", (value) => Number.isInteger(value), "must be specified");
      break;
    case "location":
      need("title", text(100), "must be 1 to 100 characters");
      need("address", text(100), "must be 1 to 100 characters");
      need("latitude", (value) => typeof value === "number", "must be specified");
      need("longitude", (value) => typeof value === "number", "must be specified");
      break;
    case "imagemap":
    case "template":
    case "flex":
      need("altText", text(1500), "must be 1 to 1500 characters");
      if (m.type === "flex") need("contents", (value) => ["bubble", "carousel"].includes((value as Json | null)?.type as string), "must be a bubble or a carousel");
      if (m.type === "template") need("template", (value) => typeof value === "object" && value !== null, "must be specified");
      if (m.type === "imagemap") need("baseUrl", https, "must be an https URL of at most 2000 characters");
      break;
  }
  const items = (m.quickReply as Json | undefined)?.items;
  if (m.quickReply !== undefined && (!Array.isArray(items) || items.length < 1 || items.length > QUICK_REPLY_MAX_ITEMS)) {
    problems.push({ message: `Size must be between 1 and ${QUICK_REPLY_MAX_ITEMS}`, property: `${at}.quickReply.items` });
  }
  return problems;
}

// Push: one user, group or room. Multicast: 1 to 500 user ids (no groups or rooms).
export function pushTargetProblems(to: unknown): ErrorDetail[] {
  return typeof to === "string" && CHAT_ID.test(to) ? [] : [{ message: "must be a user, group or room id", property: "to" }];
}

export function multicastTargetProblems(to: unknown): ErrorDetail[] {
  if (!Array.isArray(to) || to.length < 1 || to.length > MULTICAST_MAX_RECIPIENTS) {
    return [{ message: `Size must be between 1 and ${MULTICAST_MAX_RECIPIENTS}`, property: "to" }];
  }
  return to.flatMap((id, index) => (typeof id === "string" && USER_ID.test(id) ? [] : [{ message: "must be a user id", property: `to[${index}]` }]));
}
