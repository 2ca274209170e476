/**
 * The date jump's second level: the days of one month that hold items (from `galleryDates(…, 'day')`
 * asked over that month alone), laid out as a calendar of six weeks so every month takes the same
 * room. Dates are local time, as the core's (history/timeline.rs).
 */
import type { DateCount, GalleryQuery } from '../lib/bindings';

/** One day of the month shown; `date` is null when it holds nothing. */
export interface DayCell {
  day: number;
  date: DateCount | null;
}

/** Six weeks: enough for any month, whatever weekday it starts on. */
export const CALENDAR_CELLS = 42;

/**
 * The query for one month's days: the same filters and search, its span narrowed to the month (the
 * core answers days from the query's oldest to its newest item, so the whole history would be
 * thousands of days, over its limit of periods in one answer).
 */
export function monthQuery(query: GalleryQuery, month: Pick<DateCount, 'starts_at' | 'ends_at'>): GalleryQuery {
  return {
    ...query,
    cursor: null,
    from: Math.max(query.from ?? month.starts_at, month.starts_at),
    until: Math.min(query.until ?? month.ends_at, month.ends_at),
  };
}

/** 1 (Monday) to 7 (Sunday), as Intl's week info counts. */
function isoWeekday(date: Date): number {
  const day = date.getDay();
  return day === 0 ? 7 : day;
}

type WeekInfo = { firstDay?: number };
type LocaleWithWeek = Intl.Locale & { getWeekInfo?: () => WeekInfo; weekInfo?: WeekInfo };

/** The first day of the week in the user's locale (1 Monday … 7 Sunday); Monday where Intl cannot say. */
export function firstWeekday(locale?: string): number {
  try {
    const l = new Intl.Locale(locale ?? new Intl.DateTimeFormat().resolvedOptions().locale) as LocaleWithWeek;
    const first = (l.getWeekInfo ? l.getWeekInfo() : l.weekInfo)?.firstDay;
    if (first !== undefined && first >= 1 && first <= 7) return first;
  } catch {
    // An unknown locale: fall through to Monday.
  }
  return 1;
}

/** The weekday names over the calendar's columns ("Mon", "Tue", …), the first one first. */
export function weekdays(firstDay: number): string[] {
  const format = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
  // 5 January 2026 is a Monday.
  return Array.from({ length: 7 }, (_, i) => format.format(new Date(2026, 0, 5 + ((firstDay - 1 + i) % 7))));
}

/**
 * The month as six weeks of cells in reading order: null before its first day and after its last,
 * each day with its count where it holds items (`days` null while they load: every day empty).
 */
export function calendar(year: number, month: number, days: readonly DateCount[] | null, firstDay: number): (DayCell | null)[] {
  const byDay = new Map<number, DateCount>();
  for (const d of days ?? []) {
    if (d.year === year && d.month === month && typeof d.day === 'number') byDay.set(d.day, d);
  }
  const offset = (isoWeekday(new Date(year, month - 1, 1)) - firstDay + 7) % 7;
  const length = new Date(year, month, 0).getDate();
  return Array.from({ length: CALENDAR_CELLS }, (_, i) => {
    const day = i - offset + 1;
    return day >= 1 && day <= length ? { day, date: byDay.get(day) ?? null } : null;
  });
}

/** The day to focus when a month's days open: the one jumped to, else the newest. */
export function initialDay(days: readonly DateCount[] | null, jumpedBefore: number | null): DateCount | null {
  const all = days ?? [];
  return all.find((d) => d.ends_at === jumpedBefore) ?? [...all].sort((a, b) => b.starts_at - a.starts_at)[0] ?? null;
}

/** The nearest months holding items before and after `month` (`months` in any order). */
export function neighbours(months: readonly DateCount[], month: DateCount): { older: DateCount | null; newer: DateCount | null } {
  let older: DateCount | null = null;
  let newer: DateCount | null = null;
  for (const m of months) {
    if (m.starts_at < month.starts_at && (!older || m.starts_at > older.starts_at)) older = m;
    if (m.starts_at > month.starts_at && (!newer || m.starts_at < newer.starts_at)) newer = m;
  }
  return { older, newer };
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
const fullDayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const count = new Intl.NumberFormat();

function dateOf(d: DateCount): Date {
  return new Date(d.year, d.month - 1, d.day ?? 1);
}

/** "3 March 2026" (in the user's language): what the jump control says after a jump to the day. */
export function dayLabel(d: DateCount): string {
  return dayFormat.format(dateOf(d));
}

/** "Tuesday 3 March 2026, 412 images" (in the user's language): a day's name for screen readers. */
export function dayName(d: DateCount): string {
  return `${fullDayFormat.format(dateOf(d))}, ${count.format(d.count)} ${d.count === 1 ? 'image' : 'images'}`;
}
