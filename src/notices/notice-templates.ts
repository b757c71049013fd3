import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { readSeedFile } from "../seeds/load-seeds.js";

// Flex templates for notices, from seeds/notice-templates/*.yaml: a bubble whose strings may hold
// "{{key}}" placeholders, and the fields staff fill in for them in the compose form.
export const defaultTemplatesDir = fileURLToPath(new URL("../../seeds/notice-templates", import.meta.url));

const fieldSchema = z.strictObject({
  key: z.string().regex(/^[a-z_]+$/),
  label: z.string().min(1),
  kind: z.enum(["text", "multiline", "url", "image"]),
  max: z.number().int().positive().optional(),
});

export const noticeTemplateSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]+$/),
  label: z.string().min(1),
  alt_text: z.string().min(1),
  fields: z.array(fieldSchema).min(1),
  bubble: z.looseObject({ type: z.literal("bubble") }),
});
export type NoticeTemplate = z.infer<typeof noticeTemplateSchema>;
export type TemplateField = z.infer<typeof fieldSchema>;

export async function loadNoticeTemplates(dir = defaultTemplatesDir): Promise<NoticeTemplate[]> {
  const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const templates: NoticeTemplate[] = [];
  for (const name of files) {
    const template = await readSeedFile(path.join(dir, name), noticeTemplateSchema);
    const used = placeholdersIn(template.bubble).concat(placeholdersIn(template.alt_text));
    const unknown = used.filter((key) => !template.fields.some((field) => field.key === key));
    if (unknown.length > 0) throw new Error(`${path.join(dir, name)}: placeholders without a field: ${unknown.join(", ")}`);
    templates.push(template);
  }
  return templates;
}

function placeholdersIn(value: unknown): string[] {
  if (typeof value === "string") return [...value.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]!);
  if (Array.isArray(value)) return value.flatMap(placeholdersIn);
  if (value && typeof value === "object") return Object.values(value).flatMap(placeholdersIn);
  return [];
}

// Every string of the template with its placeholders replaced by the staff member's values.
export function fillTemplate<T>(value: T, values: Record<string, string>): T {
  if (typeof value === "string") return value.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? "") as T;
  if (Array.isArray(value)) return value.map((item) => fillTemplate(item, values)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillTemplate(item, values)])) as T;
  }
  return value;
}
