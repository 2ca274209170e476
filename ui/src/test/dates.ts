import type { DateCount } from '../lib/bindings';

/** A month of the date picker as the core sends it: local midnight of its first day to the next month's. */
export const month = (year: number, m: number, count = 1): DateCount => ({
  year,
  month: m,
  day: null,
  starts_at: new Date(year, m - 1, 1).getTime(),
  ends_at: new Date(year, m, 1).getTime(),
  count,
});

/** A day as the core sends it: local midnight to the next. */
export const day = (year: number, m: number, d: number, count = 1): DateCount => ({
  year,
  month: m,
  day: d,
  starts_at: new Date(year, m - 1, d).getTime(),
  ends_at: new Date(year, m - 1, d + 1).getTime(),
  count,
});
