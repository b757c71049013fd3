// CSV that opens correctly in Excel on Japanese Windows: UTF-8 with a BOM (without it Excel reads
// Shift_JIS and garbles Japanese), CRLF line ends, every cell quoted with quotes doubled, and a
// cell that would start a formula prefixed with ' so that Excel shows it as text instead of running
// it (CSV injection, OWASP): = + - @, a tab or CR, and their full-width forms ＝ ＋ － ＠, which a
// Japanese IME types and Excel reads as formula starts once it normalises the cell.
const BOM = "\uFEFF";
// Also behind leading spaces (half- or full-width) and line breaks, which Excel and LibreOffice skip.
const FORMULA_START = /^[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n]/;

export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : value instanceof Date ? value.toISOString() : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

export function csvDocument(header: string[], rows: unknown[][]): string {
  return BOM + csvLine(header) + rows.map(csvLine).join("");
}
