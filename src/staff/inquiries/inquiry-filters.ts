import { z } from "zod";

// The inbox's filters from the query string. Anything unreadable is dropped, never an error page.
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const caseFiltersSchema = z.object({
  category: z.string().regex(/^[a-z_]{1,40}$/).optional().catch(undefined),
  status: z.enum(["new", "in_progress", "closed"]).optional().catch(undefined),
  department: z.string().min(1).max(40).optional().catch(undefined),
  from: date.optional().catch(undefined),
  to: date.optional().catch(undefined),
  q: z.string().trim().min(1).max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).default(1).catch(1),
});

export type CaseFilters = z.infer<typeof caseFiltersSchema>;

export function parseCaseFilters(query: unknown): CaseFilters {
  const raw = Object.fromEntries(Object.entries((query ?? {}) as Record<string, unknown>).filter(([, value]) => typeof value === "string" && value !== ""));
  return caseFiltersSchema.parse(raw);
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

// A day in Japan, as the range [start, end) in UTC.
export function japanDayStart(day: string): Date {
  return new Date(`${day}T00:00:00+09:00`);
}
export function japanDayEnd(day: string): Date {
  return new Date(japanDayStart(day).getTime() + 24 * 60 * 60 * 1000);
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
