// Dates and times as residents read them, always in Japan time whatever the server's zone.
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];

function inJapan(date: Date): Date {
  return new Date(date.getTime() + JST_OFFSET_MS);
}

// 12月12日（土）
export function japanDate(date: Date): string {
  const jst = inJapan(date);
  return `${jst.getUTCMonth() + 1}月${jst.getUTCDate()}日（${WEEKDAYS[jst.getUTCDay()]}）`;
}

// 14:00
export function japanTime(date: Date): string {
  const jst = inJapan(date);
  return `${jst.getUTCHours()}:${String(jst.getUTCMinutes()).padStart(2, "0")}`;
}

// The given hour (Japan time) of the day before `date` in Japan.
export function dayBeforeAt(date: Date, hour: number): Date {
  const jst = inJapan(date);
  const dayBefore = Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth(), jst.getUTCDate() - 1, hour);
  return new Date(dayBefore - JST_OFFSET_MS);
}
