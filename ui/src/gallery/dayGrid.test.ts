import { describe, expect, it } from 'vitest';
import type { GalleryQuery } from '../lib/bindings';
import { day, month } from '../test/dates';
import { CALENDAR_CELLS, calendar, dayLabel, dayName, firstWeekday, initialDay, monthQuery, neighbours, weekdays } from './dayGrid';

const query: GalleryQuery = {
  cursor: 'c',
  limit: 100,
  text: 'fox',
  favourite: true,
  model: null,
  status: null,
  collection_id: null,
  from: null,
  until: null,
};

describe('day grid', () => {
  it("asks for one month's days: the filters kept, the span narrowed to the month", () => {
    const march = month(2026, 3);
    expect(monthQuery(query, march)).toEqual({ ...query, cursor: null, from: march.starts_at, until: march.ends_at });
    // A "last 7 days" filter that starts within the month keeps its start.
    const from = new Date(2026, 2, 20).getTime();
    expect(monthQuery({ ...query, from }, march)).toMatchObject({ from, until: march.ends_at });
  });

  it('lays a month out as six weeks from the first weekday, days with items carrying their counts', () => {
    // 1 March 2026 is a Sunday.
    const days = [day(2026, 3, 31, 5), day(2026, 3, 3, 412), day(2026, 2, 28)];
    const mondays = calendar(2026, 3, days, 1);
    expect(mondays).toHaveLength(CALENDAR_CELLS);
    expect(mondays.slice(0, 7).map((c) => c?.day ?? null)).toEqual([null, null, null, null, null, null, 1]);
    expect(mondays[8]).toMatchObject({ day: 3, date: { count: 412 } });
    expect(mondays[7]).toEqual({ day: 2, date: null });
    expect(mondays[36]).toMatchObject({ day: 31, date: { count: 5 } });
    expect(mondays.slice(37).every((c) => c === null)).toBe(true);
    // Another month's day is not this month's.
    expect(mondays.filter((c) => c?.date)).toHaveLength(2);

    const sundays = calendar(2026, 3, days, 7);
    expect(sundays[0]).toEqual({ day: 1, date: null });
    expect(sundays[2]?.date?.count).toBe(412);
    // While the days load, every day is there and none holds items.
    expect(calendar(2026, 2, null, 1).filter((c) => c !== null)).toHaveLength(28);
    expect(calendar(2026, 2, null, 1).some((c) => c?.date)).toBe(false);
  });

  it('names the weekdays from the first one, and finds the first one for a locale', () => {
    expect(weekdays(1)[0]).toBe(new Intl.DateTimeFormat(undefined, { weekday: 'short' }).format(new Date(2026, 0, 5)));
    expect(weekdays(7)[0]).toBe(weekdays(1)[6]);
    expect(weekdays(1)).toHaveLength(7);
    expect([1, 7]).toContain(firstWeekday('en-GB'));
    expect(firstWeekday('not a locale!')).toBe(1);
    expect(firstWeekday()).toBeGreaterThanOrEqual(1);
  });

  it('names a day with its weekday, date and exact count', () => {
    expect(dayName(day(2026, 3, 3, 4120))).toMatch(/^Tuesday,? (March 3|3 March),? 2026, 4,120 images$/);
    expect(dayName(day(2026, 3, 2, 1))).toMatch(/^Monday,? (March 2|2 March),? 2026, 1 image$/);
    expect(dayLabel(day(2026, 3, 3))).toMatch(/^(March 3|3 March),? 2026$/);
  });

  it('opens on the day jumped to, else the newest', () => {
    const days = [day(2026, 3, 3), day(2026, 3, 12), day(2026, 3, 10)];
    expect(initialDay(days, null)?.day).toBe(12);
    expect(initialDay(days, day(2026, 3, 10).ends_at)?.day).toBe(10);
    expect(initialDay([], null)).toBeNull();
    expect(initialDay(null, null)).toBeNull();
  });

  it('finds the months with items around one', () => {
    const months = [month(2026, 3), month(2025, 12), month(2026, 1)];
    expect(neighbours(months, month(2026, 1))).toEqual({ older: month(2025, 12), newer: month(2026, 3) });
    expect(neighbours(months, month(2026, 3))).toEqual({ older: month(2026, 1), newer: null });
    expect(neighbours(months, month(2025, 12))).toEqual({ older: null, newer: month(2026, 1) });
  });
});
