// CSV that opens correctly in Excel on Japanese Windows: UTF-8 with a BOM (without it Excel reads
// Shift_JIS and garbles Japanese), CRLF line ends, every cell quoted with quotes doubled, and a
// cell that would start a formula (= + - @, or a tab/CR before one) prefixed with ' so that Excel
// shows it as text instead of running it (CSV injection).
const BOM = "\uFEFF";

export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

export function csvDocument(header: string[], rows: unknown[][]): string {
  return BOM + csvLine(header) + rows.map(csvLine).join("");
}
