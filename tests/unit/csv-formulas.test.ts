import { describe, expect, it } from "vitest";
import { csvCell, csvDocument } from "../../src/staff/exports/csv.js";

// What residents type goes into the console's CSV downloads, which staff open in Excel: a cell that
// Excel would read as a formula, in ASCII or in the full-width forms a Japanese IME types, is
// written as text (a leading ').
describe("CSV cells that would start a formula", () => {
  it("neutralises ASCII and full-width formula starts, and those behind spaces, tabs and line breaks", () => {
    const formulas = [
      "=HYPERLINK(\"https://evil.example\",\"詳細\")",
      "+1+1",
      "-2+3",
      "@SUM(A1:A2)",
      "＝HYPERLINK(\"https://evil.example\")",
      "＋1＋1",
      "－2＋3",
      "＠SUM(A1)",
      "\t=1+1",
      "\r=1+1",
      "\n=1+1",
      " =1+1",
      "　＝1+1",
      "\tabc",
    ];
    for (const text of formulas) expect(csvCell(text), JSON.stringify(text)).toBe(`"'${text.replace(/"/g, '""')}"`);
  });

  it("leaves ordinary text, numbers and dates as they are", () => {
    for (const text of ["下林町の空き家", "090-1234-5678", "2026-04-01", "a=b", "1+1", "メール: a@example.jp", "（－）なし"]) {
      expect(csvCell(text)).toBe(`"${text}"`);
    }
    expect(csvCell(42)).toBe('"42"');
    expect(csvCell(null)).toBe('""');
    expect(csvDocument(["回答"], [["＝1+1"], ["ふつう"]])).toBe('\uFEFF"回答"\r\n"\'＝1+1"\r\n"ふつう"\r\n');
  });
});
