import { describe, expect, it } from 'vitest';
import { month } from '../test/dates';
import { byYear, initialMonth, monthStep, shortCount } from './monthGrid';

describe('month grid', () => {
  it('lays the months out as years newest first, twelve months each, empty ones kept in place', () => {
    const years = byYear([month(2026, 3, 5), month(2026, 1, 2), month(2025, 12, 9)]);
    expect(years.map((y) => y.year)).toEqual([2026, 2025]);
    expect(years[0]?.months.map((m) => m?.count ?? null)).toEqual([2, null, 5, null, null, null, null, null, null, null, null, null]);
    expect(years[1]?.months[11]?.count).toBe(9);
    expect(byYear([])).toEqual([]);
  });

  it('shortens counts so they fit under a month', () => {
    expect([7, 999, 1000, 1250, 9999, 54_659, 999_999, 1_000_000, 1_350_000].map(shortCount)).toEqual([
      '7',
      '999',
      '1k',
      '1.2k',
      '9.9k',
      '54k',
      '999k',
      '1M',
      '1.3M',
    ]);
  });

  it('opens on the month jumped to, else the newest', () => {
    const years = byYear([month(2025, 12), month(2026, 3), month(2026, 1)]);
    expect(initialMonth(years, null)).toMatchObject({ year: 2026, month: 3 });
    expect(initialMonth(years, month(2026, 1).ends_at)).toMatchObject({ year: 2026, month: 1 });
    // A jump to a day: the month holding it (the end of 14 January, not of the month).
    expect(initialMonth(years, new Date(2026, 0, 15).getTime())).toMatchObject({ year: 2026, month: 1 });
    // The start of January is the end of December's last day.
    expect(initialMonth(years, new Date(2026, 0, 1).getTime())).toMatchObject({ year: 2025, month: 12 });
    expect(initialMonth([], null)).toBeNull();
  });
});

describe('month keys', () => {
  // Two rows of four: only 0, 2, 5 and 7 hold items.
  const enabled = [true, false, true, false, false, true, false, true];
  it('moves to the next month with items in the direction, or nowhere', () => {
    expect(monthStep('ArrowRight', 0, enabled)).toBe(2);
    expect(monthStep('ArrowRight', 7, enabled)).toBeNull();
    expect(monthStep('ArrowLeft', 5, enabled)).toBe(2);
    expect(monthStep('ArrowDown', 2, enabled)).toBeNull();
    expect(monthStep('ArrowDown', 1, enabled)).toBe(5);
    expect(monthStep('ArrowUp', 7, enabled)).toBeNull();
    expect(monthStep('ArrowUp', 5, enabled)).toBeNull();
    expect(monthStep('Home', 5, enabled)).toBe(0);
    expect(monthStep('End', 0, enabled)).toBe(7);
    expect(monthStep('End', 7, enabled)).toBeNull();
    expect(monthStep('a', 0, enabled)).toBeNull();
  });
});
