import { z } from "zod";

// The inboxes' filters from the query string (inquiries, reports, their CSV). A value the form
// would never send (a date that is no date, a control character, a page below 1) is refused with
// what to fix (CaseFilterError → 400), never passed on to the database.
export const KEYWORD_MAX = 100;
export const PAGE_MAX = 10_000;
const FIELD_LABELS: Record<string, string> = { category: "種類", status: "状態", department: "担当課", from: "期間の開始日", to: "期間の終了日", q: "キーワード", page: "ページ" };

// C0 controls, DEL and unpaired surrogates: nothing a person types in a search box, and Postgres
// refuses NUL in text.
const UNUSABLE = /[\u0000-\u001f\u007f]|\p{Cs}/u;
const usable = (label: string) => z.string().refine((value) => !UNUSABLE.test(value), `${label}に使えない文字（制御文字など）が含まれています。`);

// A real calendar day (2024-02-30 is not), in years the console deals with.
const day = (label: string) =>
  z.string().refine((value) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!match || Number(match[1]) < 1900 || Number(match[1]) > 2999) return false;
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }, `${label}は「2026-04-01」のような年-月-日の日付（1900〜2999年）で入力してください。`);

const caseFiltersSchema = z.object({
  category: z.string().regex(/^[a-z_]{1,40}$/, "種類の指定が正しくありません。一覧の「種類」から選んでください。").optional(),
  status: z.enum(["new", "in_progress", "closed"], { message: "状態の指定が正しくありません。一覧の上のタブから選んでください。" }).optional(),
  department: usable("担当課").pipe(z.string().max(40, "担当課の指定が長すぎます。一覧の「担当課」から選んでください。")).optional(),
  from: day("期間の開始日").optional(),
  to: day("期間の終了日").optional(),
  q: usable("キーワード")
    .transform((value) => value.trim())
    .refine((value) => [...value].length <= KEYWORD_MAX, `キーワードは${KEYWORD_MAX}文字以内で入力してください。`)
    .transform((value) => (value === "" ? undefined : value))
    .optional(),
  page: z
    .string()
    .refine((value) => /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= PAGE_MAX, `ページは1〜${PAGE_MAX}の数で指定してください。`)
    .transform(Number)
    .default(1),
});

export type CaseFilters = Omit<z.infer<typeof caseFiltersSchema>, "page"> & { page: number };

export class CaseFilterError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join(" "));
    this.name = "CaseFilterError";
  }
}

// `categories`: the values the category filter may take (report categories are stored by their
// label); without it, an inquiry category code.
export function parseCaseFilters(query: unknown, options: { categories?: readonly string[] } = {}): CaseFilters {
  const problems: string[] = [];
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (!(key in FIELD_LABELS) || value === "" || value === undefined) continue;
    if (typeof value === "string") raw[key] = value;
    else problems.push(`${FIELD_LABELS[key]}は1つだけ指定してください。`);
  }
  const { categories } = options;
  const category = raw.category;
  if (categories && category !== undefined) delete raw.category;
  const parsed = caseFiltersSchema.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => issue.message));
  if (categories && category !== undefined && !categories.includes(category)) problems.push("種類の指定が正しくありません。一覧の「種類」から選んでください。");
  if (problems.length > 0 || !parsed.success) throw new CaseFilterError([...new Set(problems)]);
  const filters: CaseFilters = { ...parsed.data, page: parsed.data.page };
  if (filters.q === undefined) delete filters.q;
  return categories && category !== undefined ? { ...filters, category } : filters;
}

// Free text is searched by character bigrams (migration 0010), so it needs two characters: one
// character would match nearly everything and could only be found by reading every row.
export const MIN_SEARCH_CHARS = 2;

export function searchText(filters: CaseFilters): string | undefined {
  return filters.q !== undefined && [...filters.q].length >= MIN_SEARCH_CHARS ? filters.q : undefined;
}

export function searchTooShort(filters: CaseFilters): boolean {
  return filters.q !== undefined && searchText(filters) === undefined;
}

// A two-character query is one bigram: a case whose bigrams contain it has those two characters
// side by side in one of its texts, so there is nothing to recheck. The texts are joined by
// whitespace, so a bigram with whitespace may span two of them and is rechecked.
export function bigramMatchIsExact(text: string): boolean {
  return [...text].length === MIN_SEARCH_CHARS && !/\s/.test(text);
}

export function filtersQuery(filters: CaseFilters, overrides: Partial<CaseFilters> = {}): string {
  const merged = { ...filters, ...overrides };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined && value !== "" && !(key === "page" && value === 1)) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

// For LIKE: the resident's text is matched literally (% and _ are not wildcards).
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
