// Japan time, the one place it is computed: dates and times as residents read them, calendar days
// and fiscal years as the city counts them, always in Japan Standard Time whatever the server's
// zone. Japan has no daylight saving time, so JST is UTC+9 all year.
export const JAPAN_OFFSET_MS = 9 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const WEEKDAYS = ["日", "月", "火", "水", "木", "金", "土"];

// The instant shifted by +9 hours: its getUTC…() parts are the Japan calendar and clock.
export function inJapan(date: Date): Date {
  return new Date(date.getTime() + JAPAN_OFFSET_MS);
}

// "2026-12-01" and "09:00" read as Japan time (an invalid date when they are not a date and time).
export function japanInstant(day: string, time = "00:00"): Date {
  return new Date(`${day}T${time}:00+09:00`);
}

// The first instant of a calendar day ("2026-12-01") in Japan, and the first of the next day.
export function japanDayStart(day: string): Date {
  return japanInstant(day);
}
export function japanDayEnd(day: string): Date {
  return new Date(japanDayStart(day).getTime() + DAY_MS);
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
  return new Date(dayBefore - JAPAN_OFFSET_MS);
}

// The calendar year and month (1–12) of an instant, in Japan.
export function japanYearMonth(date: Date): { year: number; month: number } {
  const shifted = inJapan(date);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 };
}

// Japanese fiscal years start on 1 April in Japan (whatever the server's time zone); 令和1年 = 2019,
// so 令和N年度 starts in 2018 + N.
export function fiscalYearOf(date: Date): number {
  const japan = inJapan(date);
  return japan.getUTCMonth() >= 3 ? japan.getUTCFullYear() : japan.getUTCFullYear() - 1;
}

// Fiscal year N runs from 1 April N to 31 March N+1 (Japan Standard Time).
export function fiscalYearRange(fiscalYear: number): { from: Date; to: Date } {
  return { from: japanDayStart(`${fiscalYear}-04-01`), to: japanDayStart(`${fiscalYear + 1}-04-01`) };
}
