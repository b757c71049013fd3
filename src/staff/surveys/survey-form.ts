import { z } from "zod";
import type { QuestionKind } from "../../store/tables/surveys.js";

// The survey edit form, read without side effects. Questions are written in one textarea, one
// block per question:
//
//   [single] 市からのお知らせは、どのくらいの頻度で届くとよいですか。
//   今より多く
//   今くらいでよい
//
//   [text 任意] ご意見をご自由にお書きください。
//
// A block starts with the kind in brackets (English or Japanese name, full-width brackets fine),
// then the question on the same line (or the next); each following line is one choice. Choices
// become LINE quick-reply buttons, hence 2–12 of them and at most 20 characters each; a scale
// question is always answered 1〜5; 「任意」 lets residents skip a text or multiple-choice question.
export const OPTION_MAX = 20;
export const OPTIONS_MIN = 2;
export const OPTIONS_MAX = 12;
export const PROMPT_MAX = 300;
export const QUESTIONS_MAX = 30;
export const TITLE_MAX = 60;
export const DESCRIPTION_MAX = 500;
export const SCALE_OPTIONS = ["1", "2", "3", "4", "5"];

export interface QuestionDraft {
  kind: QuestionKind;
  prompt: string;
  options: string[];
  required: boolean;
}

export const KIND_NAMES: Record<QuestionKind, { tag: string; label: string; aliases: string[] }> = {
  single: { tag: "single", label: "1つ選ぶ", aliases: ["1つ選ぶ", "ひとつ選ぶ", "単一選択", "単一"] },
  multiple: { tag: "multiple", label: "いくつでも選ぶ", aliases: ["いくつでも選ぶ", "複数選ぶ", "複数選択", "複数"] },
  scale: { tag: "scale", label: "5段階", aliases: ["5段階", "段階"] },
  text: { tag: "text", label: "自由記述", aliases: ["自由記述", "記述", "文章"] },
};
const OPTIONAL_WORDS = ["任意", "optional"];

const KIND_BY_NAME = new Map<string, QuestionKind>(
  (Object.entries(KIND_NAMES) as [QuestionKind, (typeof KIND_NAMES)[QuestionKind]][]).flatMap(([kind, names]) =>
    [names.tag, ...names.aliases].map((name) => [name.normalize("NFKC").toLowerCase(), kind] as const),
  ),
);

const TAG_LINE = /^[[［]([^\]］]*)[\]］]\s*(.*)$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const questionSchema = z
  .strictObject({
    kind: z.enum(["single", "multiple", "scale", "text"]),
    prompt: z.string().min(1, "質問文を書いてください。").max(PROMPT_MAX, `質問文は${PROMPT_MAX}文字以内にしてください。`),
    options: z.array(z.string()),
    required: z.boolean(),
  })
  .superRefine((question, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: "custom", message });
    if (question.kind === "single" || question.kind === "multiple") {
      if (question.options.length < OPTIONS_MIN || question.options.length > OPTIONS_MAX) {
        problem(`選択肢は${OPTIONS_MIN}〜${OPTIONS_MAX}個にしてください（いま${question.options.length}個）。選択肢は質問文の次の行から、1行に1つずつ書きます。`);
      }
      for (const option of question.options) {
        if (option.length > OPTION_MAX) problem(`選択肢「${option}」は${OPTION_MAX}文字以内にしてください（いま${option.length}文字）。LINEのボタンに表示できる長さです。`);
      }
      const seen = new Set<string>();
      for (const option of question.options) {
        const key = option.normalize("NFKC");
        if (seen.has(key)) problem(`選択肢「${option}」が2回書かれています。`);
        seen.add(key);
      }
    }
    if (question.kind === "scale" && question.options.join() !== SCALE_OPTIONS.join()) {
      problem("5段階の質問には選択肢を書かないでください（1〜5のボタンが自動で付きます）。1と5が何を表すかは、質問文に書いてください。");
    }
    if (question.kind === "text" && question.options.length > 0) problem("自由記述の質問には選択肢を書かないでください。");
    if (!question.required && (question.kind === "single" || question.kind === "scale")) {
      problem("「任意」にできるのは、自由記述と「いくつでも選ぶ」の質問だけです。");
    }
  });

const questionsSchema = z
  .array(questionSchema)
  .min(1, "質問を1つ以上書いてください。")
  .max(QUESTIONS_MAX, `質問は${QUESTIONS_MAX}問までにしてください。`);

// Reads the questions textarea. Every problem is reported at once, each naming its question.
export function parseQuestions(text: string): Parsed<QuestionDraft[]> {
  const errors: string[] = [];
  const drafts: QuestionDraft[] = [];
  let current: QuestionDraft | null = null;
  for (const [index, raw] of text.replace(/\r\n?/g, "\n").split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const tag = TAG_LINE.exec(line);
    if (tag) {
      const words = tag[1]!.normalize("NFKC").toLowerCase().trim().split(/\s+/).filter(Boolean);
      const kind = KIND_BY_NAME.get(words[0] ?? "");
      const unknown = words.slice(1).filter((word) => !OPTIONAL_WORDS.includes(word));
      if (!kind || unknown.length > 0) {
        errors.push(`${index + 1}行目：「${line.slice(0, tag[1]!.length + 2)}」は質問の種類として読めません。[single] [multiple] [scale] [text] のどれかを書いてください。`);
        current = null;
        continue;
      }
      current = { kind, prompt: tag[2]!.trim(), options: [], required: !words.slice(1).some((word) => OPTIONAL_WORDS.includes(word)) };
      drafts.push(current);
      continue;
    }
    if (!current) {
      if (drafts.length === 0 && errors.length === 0) errors.push(`${index + 1}行目：質問は [single] のような種類の行から始めてください。`);
      continue;
    }
    if (!current.prompt) current.prompt = line;
    else current.options.push(line.replace(/^・\s*/, ""));
  }
  for (const draft of drafts) if (draft.kind === "scale" && draft.options.length === 0) draft.options = [...SCALE_OPTIONS];
  if (errors.length > 0) return { ok: false, errors };
  const checked = questionsSchema.safeParse(drafts);
  if (!checked.success) {
    return {
      ok: false,
      errors: checked.error.issues.map((issue) => (typeof issue.path[0] === "number" ? `質問${issue.path[0] + 1}：${issue.message}` : issue.message)),
    };
  }
  return { ok: true, value: checked.data };
}

// The textarea text for stored questions; parseQuestions(formatQuestions(q)) gives q back.
export function formatQuestions(questions: QuestionDraft[]): string {
  return questions
    .map((question) => {
      const head = `[${KIND_NAMES[question.kind].tag}${question.required ? "" : " 任意"}] ${question.prompt.replace(/\s*\n\s*/g, " ")}`;
      // A standard 1〜5 scale has no option lines; any other scale (possible in seed files) shows its
      // options, which the parser then refuses instead of silently turning them into 1〜5.
      const options = question.kind === "scale" && question.options.join() === SCALE_OPTIONS.join() ? [] : question.options;
      return [head, ...options].join("\n");
    })
    .join("\n\n");
}

export function sameQuestions(a: QuestionDraft[], b: QuestionDraft[]): boolean {
  const key = (questions: QuestionDraft[]) => JSON.stringify(questions.map(({ kind, prompt, options, required }) => [kind, prompt, options, required]));
  return key(a) === key(b);
}

// Title, description, audience and department. The department is the editor's own unless an
// admin chose one (a survey without a department can be changed by admins only).
export interface SurveyMeta {
  title: string;
  description: string | null;
  audience: "all" | "link";
  department: string | null;
}

const text = (value: unknown) => (typeof value === "string" ? value.trim() : "");
const metaSchema = z.strictObject({
  title: z.string().min(1, "タイトルを入力してください。").max(TITLE_MAX, `タイトルは${TITLE_MAX}文字以内にしてください。`),
  description: z
    .string()
    .max(DESCRIPTION_MAX, `説明は${DESCRIPTION_MAX}文字以内にしてください。`)
    .transform((value) => value || null),
  audience: z.enum(["all", "link"], "公開の範囲を選んでください。"),
  department: z
    .string()
    .max(40, "担当課は40文字以内にしてください。")
    .transform((value) => value || null),
});

export function parseSurveyMeta(body: Record<string, unknown>, editor: { role: string; department: string }): Parsed<SurveyMeta> {
  const parsed = metaSchema.safeParse({
    title: text(body.title),
    description: text(body.description).replace(/\r\n?/g, "\n"),
    audience: text(body.audience),
    department: editor.role === "admin" ? text(body.department) : editor.department,
  });
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: parsed.error.issues.map((issue) => issue.message) };
}

// The name in the deep link 「/survey <slug>」: lower-case ascii letters, digits and hyphens.
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{2,39}$/;

export function parseSlug(value: unknown): Parsed<string | null> {
  const slug = text(value).normalize("NFKC").toLowerCase();
  if (!slug) return { ok: true, value: null };
  return SLUG_PATTERN.test(slug)
    ? { ok: true, value: slug }
    : { ok: false, errors: ["アンケートの識別名は、半角の英小文字・数字・ハイフン（-）で3〜40文字にしてください（例：kankou-2026）。"] };
}
