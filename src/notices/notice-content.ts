import { z } from "zod";
import type { LineMessage } from "../line/line-client.js";
import { fillTemplate, type NoticeTemplate } from "./notice-templates.js";

// What staff compose (parsed from the form) and the LINE message it becomes. Limits are LINE's:
// a text message holds at most 5,000 characters, altText at most 1,500, and image URLs must be
// https, at most 2,000 characters (https://developers.line.biz/en/reference/messaging-api/#message-objects).
const httpsUrl = z
  .string()
  .trim()
  .max(2000, "URLは2,000文字以内にしてください。")
  .regex(/^https:\/\/[^\s]+$/, "URLは https:// で始まる形で入力してください（LINEは https のURLだけを開きます）。");

export const noticeContentSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("text"), text: z.string().trim().min(1, "本文を入力してください。").max(5000, "本文は5,000文字以内にしてください。") }),
  z.object({ kind: z.literal("image"), imageUrl: httpsUrl, previewUrl: httpsUrl }),
  z.object({ kind: z.literal("flex"), template: z.string().min(1), values: z.record(z.string(), z.string()) }),
]);
export type NoticeContent = z.infer<typeof noticeContentSchema>;

export type Built = { ok: true; message: LineMessage } | { ok: false; errors: string[] };

export function buildMessage(content: NoticeContent, templates: NoticeTemplate[]): Built {
  switch (content.kind) {
    case "text":
      return { ok: true, message: { type: "text", text: content.text } };
    case "image":
      return { ok: true, message: { type: "image", originalContentUrl: content.imageUrl, previewImageUrl: content.previewUrl } };
    case "flex":
      return buildFlex(content.template, content.values, templates);
  }
}

function buildFlex(templateId: string, values: Record<string, string>, templates: NoticeTemplate[]): Built {
  const template = templates.find((candidate) => candidate.id === templateId);
  if (!template) return { ok: false, errors: [`テンプレート「${templateId}」が見つかりません。一覧から選び直してください。`] };
  const errors: string[] = [];
  const filled: Record<string, string> = {};
  for (const field of template.fields) {
    const value = (values[field.key] ?? "").trim();
    if (!value) {
      errors.push(`「${field.label}」を入力してください。`);
      continue;
    }
    if ((field.kind === "url" || field.kind === "image") && !httpsUrl.safeParse(value).success) {
      errors.push(`「${field.label}」は https:// で始まるURLにしてください。`);
    }
    if (field.max && value.length > field.max) errors.push(`「${field.label}」は${field.max}文字以内にしてください（いま${value.length}文字）。`);
    filled[field.key] = value;
  }
  if (errors.length > 0) return { ok: false, errors };
  const altText = fillTemplate(template.alt_text, filled).slice(0, 1500);
  const contents = fillTemplate(template.bubble, filled) as unknown as Extract<LineMessage, { type: "flex" }>["contents"];
  return { ok: true, message: { type: "flex", altText, contents } };
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"'「」（）()、。]+/g;

// Every link a resident can open in the message: URLs in text and the targets of uri actions.
export function linksIn(message: unknown): string[] {
  const found = new Set<string>();
  walk(message, (node, key, value) => {
    if (key === "text" && node.type === "text") for (const match of value.matchAll(URL_IN_TEXT)) found.add(match[0]);
    if (key === "uri" && node.type === "uri") found.add(value);
  });
  return [...found];
}

// The message with every link replaced (for click counting through /r/<token>).
export function replaceLinks<T>(message: T, replacement: (url: string) => string): T {
  const copy = structuredClone(message);
  walk(copy, (node, key, value) => {
    if (key === "text" && node.type === "text") node[key] = value.replace(URL_IN_TEXT, (url) => replacement(url));
    if (key === "uri" && node.type === "uri") node[key] = replacement(value);
  });
  return copy;
}

function walk(value: unknown, visit: (node: Record<string, unknown>, key: string, value: string) => void): void {
  if (Array.isArray(value)) return value.forEach((item) => walk(item, visit));
  if (!value || typeof value !== "object") return;
  const node = value as Record<string, unknown>;
  for (const [key, item] of Object.entries(node)) {
    if (typeof item === "string") visit(node, key, item);
    else walk(item, visit);
  }
}
