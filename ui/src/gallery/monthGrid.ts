/**
 * The Gallery's date jump: the months that hold items (from `galleryDates`) laid out as a calendar
 * of years, each a grid of twelve months in reading order, so a month without items keeps its place.
 */
import type { DateCount } from '../lib/bindings';

export interface YearOfMonths {
  year: number;
  /** January to December; null where the month holds nothing. */
  months: (DateCount | null)[];
}

/** Years newest first, each with its twelve months. */
export function byYear(dates: readonly DateCount[]): YearOfMonths[] {
  const years = new Map<number, (DateCount | null)[]>();
  for (const d of dates) {
    let months = years.get(d.year);
    if (!months) {
      months = Array<DateCount | null>(12).fill(null);
      years.set(d.year, months);
    }
    months[d.month - 1] = d;
  }
  return [...years.entries()].sort((a, b) => b[0] - a[0]).map(([year, months]) => ({ year, months }));
}

/** 7, 980, 1.2k, 54k, 1.3M: a count that fits under a month's name. */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(Math.floor(n / 100) / 10).toString()}k`;
  if (n < 1_000_000) return `${Math.floor(n / 1000).toString()}k`;
  return `${(Math.floor(n / 100_000) / 10).toString()}M`;
}

const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });
const shortMonthFormat = new Intl.DateTimeFormat(undefined, { month: 'short' });

/** "March 2026", in the user's language. */
export function monthLabel(year: number, month: number): string {
  return monthFormat.format(new Date(year, month - 1, 1));
}

/** "Mar". */
export function shortMonth(month: number): string {
  return shortMonthFormat.format(new Date(2000, month - 1, 1));
}

/**
 * Whether the grid, jumped to `before`, starts in this month: a jump to the month itself (its end) or
 * to one of its days (a day's end, after the month's start).
 */
export function holdsJump(m: DateCount, jumpedBefore: number | null): boolean {
  return jumpedBefore !== null && m.starts_at < jumpedBefore && jumpedBefore <= m.ends_at;
}

/** The month to focus when the picker opens: the one jumped to (or to one of its days), else the newest. */
export function initialMonth(years: readonly YearOfMonths[], jumpedBefore: number | null): DateCount | null {
  const all = years.flatMap((y) => y.months.filter((m): m is DateCount => m !== null));
  return all.find((m) => holdsJump(m, jumpedBefore)) ?? all.sort((a, b) => b.starts_at - a.starts_at)[0] ?? null;
}

/**
 * Arrow keys over the months as laid out (four a row, years one after another): the next month
 * that holds items in that direction, skipping empty ones; Home and End go to the first and last.
 */
export function monthStep(key: string, index: number, enabled: readonly boolean[], columns = 4): number | null {
  const count = enabled.length;
  if (key === 'Home') return enabled.indexOf(true) >= 0 && enabled.indexOf(true) !== index ? enabled.indexOf(true) : null;
  if (key === 'End') {
    const last = enabled.lastIndexOf(true);
    return last >= 0 && last !== index ? last : null;
  }
  const delta = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns }[key];
  if (delta === undefined) return null;
  for (let next = index + delta; next >= 0 && next < count; next += delta) {
    if (enabled[next]) return next;
  }
  return null;
}
