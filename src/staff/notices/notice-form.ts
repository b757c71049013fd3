import type { LineMessage } from "../../line/line-client.js";
import { buildMessage, noticeContentSchema, type NoticeContent } from "../../notices/notice-content.js";
import type { NoticeTemplate } from "../../notices/notice-templates.js";
import { isEmptySegment, segmentSchema, SEGMENT_FIELDS, type Audience, type Segment } from "../../notices/segments.js";
import { japanInstant } from "../../japan-time.js";

// The compose form, field by field: what staff typed comes back as `values` (to show the form again
// with every entry kept) and, when it is complete, as a notice ready to store.
export interface ComposeValues {
  title: string;
  type: "text" | "image" | "flex";
  template: string;
  text: string;
  image_url: string;
  preview_url: string;
  fields: Record<string, string>;
  audience: "all" | "segment";
  segment: Segment;
  when: "now" | "later";
  scheduled_at: string;
}

export type Composed =
  | { ok: true; title: string; content: NoticeContent; message: LineMessage; audience: Audience; scheduledAt: Date | null; submit: boolean }
  | { ok: false; errors: string[] };

const one = (value: unknown): string => (Array.isArray(value) ? String(value[0] ?? "") : typeof value === "string" ? value : "");
const many = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === "string" && value !== "" ? [value] : []);

export function composeValues(body: Record<string, unknown>): ComposeValues {
  const type = one(body.type);
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (key.startsWith("f_")) fields[key.slice(2)] = one(value);
  const segment = segmentSchema.safeParse(Object.fromEntries(SEGMENT_FIELDS.map((field) => [field, many(body[`seg_${field}`])])));
  return {
    title: one(body.title).trim(),
    type: type === "image" || type === "flex" ? type : "text",
    template: one(body.template),
    text: one(body.text),
    image_url: one(body.image_url).trim(),
    preview_url: one(body.preview_url).trim(),
    fields,
    audience: one(body.audience) === "segment" ? "segment" : "all",
    segment: segment.success ? segment.data : segmentSchema.parse({}),
    when: one(body.when) === "later" ? "later" : "now",
    scheduled_at: one(body.scheduled_at),
  };
}

export function segmentFromQuery(query: Record<string, unknown>): Audience {
  if (one(query.audience) !== "segment") return { kind: "all" };
  const parsed = segmentSchema.safeParse(Object.fromEntries(SEGMENT_FIELDS.map((field) => [field, many(query[`seg_${field}`])])));
  return { kind: "segment", segment: parsed.success ? parsed.data : segmentSchema.parse({}) };
}

export function parseCompose(body: Record<string, unknown>, templates: NoticeTemplate[], now: Date): Composed {
  const values = composeValues(body);
  const errors: string[] = [];
  if (!values.title) errors.push("管理用の件名を入力してください（住民の方には表示されません）。");
  if (values.title.length > 100) errors.push("件名は100文字以内にしてください。");
  const content = noticeContentSchema.safeParse(
    values.type === "text"
      ? { kind: "text", text: values.text }
      : values.type === "image"
        ? { kind: "image", imageUrl: values.image_url, previewUrl: values.preview_url || values.image_url }
        : { kind: "flex", template: values.template, values: values.fields },
  );
  let message: LineMessage | null = null;
  if (!content.success) errors.push(...content.error.issues.map((issue) => issue.message));
  else {
    const built = buildMessage(content.data, templates);
    if (built.ok) message = built.message;
    else errors.push(...built.errors);
  }
  if (values.audience === "segment" && isEmptySegment(values.segment)) {
    errors.push("配信先の条件を1つ以上選んでください。全員に送るときは「友だち全員」を選んでください。");
  }
  let scheduledAt: Date | null = null;
  if (values.when === "later") {
    scheduledAt = japanLocalTime(values.scheduled_at);
    if (!scheduledAt) errors.push("配信日時を「2026-12-01 09:00」の形で入力してください。");
    else if (scheduledAt.getTime() <= now.getTime()) errors.push("配信日時は今より後にしてください。");
  }
  if (errors.length > 0 || !content.success || !message) return { ok: false, errors };
  const audience: Audience = values.audience === "segment" ? { kind: "segment", segment: values.segment } : { kind: "all" };
  return { ok: true, title: values.title, content: content.data, message, audience, scheduledAt, submit: one(body.intent) === "submit" };
}

// A datetime-local value ("2026-12-01T09:00") read as Japan time.
export function japanLocalTime(value: string): Date | null {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})$/.exec(value.trim());
  if (!match) return null;
  const date = japanInstant(match[1]!, match[2]!);
  return Number.isNaN(date.getTime()) ? null : date;
}
