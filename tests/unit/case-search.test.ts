import { describe, expect, it } from "vitest";
import { COUNT_CAP, countLabel, countableFromTable } from "../../src/staff/cases/case-counts.js";
import { bigramMatchIsExact, parseCaseFilters, searchText, searchTooShort } from "../../src/staff/cases/case-filters.js";

describe("inbox free text and counts", () => {
  it("searches from two characters, counted as characters, not bytes or UTF-16 units", () => {
    expect(searchText(parseCaseFilters({ q: "道" }))).toBeUndefined();
    expect(searchTooShort(parseCaseFilters({ q: " 道 " }))).toBe(true);
    expect(searchText(parseCaseFilters({ q: "𠮷" }))).toBeUndefined(); // one character, two UTF-16 units
    expect(searchText(parseCaseFilters({ q: "道路" }))).toBe("道路");
    expect(searchTooShort(parseCaseFilters({}))).toBe(false);
  });

  it("trusts a bigram match only for a two-character query without whitespace", () => {
    expect(bigramMatchIsExact("道路")).toBe(true);
    expect(bigramMatchIsExact("空き家")).toBe(false);
    expect(bigramMatchIsExact("道 ")).toBe(false);
  });

  it("shows a capped count above the cap as 「1,000件以上」 and an exact one as the number", () => {
    expect(countLabel(COUNT_CAP + 1, false)).toBe("1,000件以上");
    expect(countLabel(COUNT_CAP, false)).toBe("1,000");
    expect(countLabel(250_000, true)).toBe("250,000");
  });

  it("reads the kept counts only when nothing but the department narrows the list", () => {
    expect(countableFromTable(parseCaseFilters({ department: "建設課", status: "new", page: "3" }))).toBe(true);
    expect(countableFromTable(parseCaseFilters({ q: "道" }))).toBe(true);
    expect(countableFromTable(parseCaseFilters({ q: "道路" }))).toBe(false);
    expect(countableFromTable(parseCaseFilters({ category: "relocation" }))).toBe(false);
    expect(countableFromTable(parseCaseFilters({ from: "2026-04-01" }))).toBe(false);
  });
});
