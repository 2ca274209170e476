import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import { fail, mockBindings, ok, type Result } from '../test/bindings';
import { day, month } from '../test/dates';

const MONTHS = [month(2026, 3, 54_659), month(2026, 1, 2), month(2025, 12, 1)];
// 1 March 2026 is a Sunday: Mon 2, Tue 3, Tue 10 and Thu 12 hold items.
const DAYS = [day(2026, 3, 12, 1), day(2026, 3, 10, 7), day(2026, 3, 3, 412), day(2026, 3, 2, 1), day(2026, 1, 20, 2), day(2025, 12, 1, 1)];

/** As the core: the days between the query's from and until, newest first. */
function answer(q: { from?: number | null; until?: number | null }, period: string): Result {
  if (period === 'month') return ok(MONTHS);
  return ok(DAYS.filter((d) => d.starts_at >= (q.from ?? -Infinity) && d.starts_at < (q.until ?? Infinity)));
}
const galleryDates = vi.fn(async (q: { from?: number | null; until?: number | null }, period: string): Promise<Result> => answer(q, period));
const galleryJump = vi.fn(async (_q: unknown, _before: number): Promise<Result> => ok({ items: [{ id: 9 }], next_cursor: 'c' }));
const galleryPage = vi.fn(async (): Promise<Result> => ok({ items: [{ id: 10 }], next_cursor: null }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    galleryDates: (q: { from?: number | null; until?: number | null }, period: string) => galleryDates(q, period),
    galleryJump: (q: unknown, before: number) => galleryJump(q, before),
    galleryPage: () => galleryPage(),
  }),
);

import DateJump from './DateJump.svelte';
import { Gallery } from './store.svelte';

/** Opens the picker and the days of a month by the › beside it; resolves with the newest day's button. */
async function openDays(monthName: string): Promise<HTMLElement> {
  await fireEvent.click(screen.getByTestId('date-jump'));
  await fireEvent.click(await waitFor(() => screen.getByRole('button', { name: `Days of ${monthName}` })));
  await waitFor(() => expect(document.activeElement?.matches('button.day')).toBe(true));
  return document.activeElement as HTMLElement;
}

/** A day button's accessible name: its visually hidden text (the visible parts are aria-hidden). */
const spoken = (el: Element | null) => el?.querySelector('.visually-hidden')?.textContent ?? null;
const focusedDay = () => spoken(document.activeElement);

describe('Jump to date', () => {
  beforeEach(() => {
    galleryDates.mockClear();
    galleryJump.mockClear();
  });

  it('offers only the months with items, named with their counts, the newest focused', async () => {
    const gallery = new Gallery();
    await gallery.setFilters({ text: 'fox' });
    render(DateJump, { props: { gallery, onJumped: () => {} } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump to date' }));
    const march = await waitFor(() => screen.getByRole('button', { name: /^Mar 2026, 54,659 images$/ }));
    expect(document.activeElement).toBe(march);
    expect(screen.getByRole('button', { name: /^Dec 2025, 1 image$/ })).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Feb 2026/ })).toBeNull();
    expect(galleryDates.mock.calls[0]?.[0]).toMatchObject({ text: 'fox' });
    expect(galleryDates.mock.calls[0]?.[1]).toBe('month');
    expect(screen.getByRole('dialog', { name: 'Jump to date' })).toBeTruthy();
  });

  it('arrows skip empty months; Enter jumps there and shows the month on the control with Back to newest', async () => {
    const gallery = new Gallery();
    const onJumped = vi.fn();
    render(DateJump, { props: { gallery, onJumped } });
    await fireEvent.click(screen.getByRole('button', { name: 'Jump to date' }));
    const march = await waitFor(() => screen.getByRole('button', { name: /Mar 2026/ }));
    await fireEvent.keyDown(march, { key: 'ArrowLeft' });
    const january = screen.getByRole('button', { name: /Jan 2026/ });
    await waitFor(() => expect(document.activeElement).toBe(january));
    await fireEvent.click(january);
    await waitFor(() => expect(onJumped).toHaveBeenCalled());
    expect(galleryJump.mock.calls[0]?.[1]).toBe(new Date(2026, 1, 1).getTime());
    expect(gallery.items.map((i) => i.id)).toEqual([9]);
    expect(screen.queryByRole('dialog')).toBeNull();
    const control = screen.getByTestId('date-jump');
    expect(control.getAttribute('aria-label')).toBe('Jump to date, showing from January 2026');
    expect(control.textContent).toContain('January 2026');

    await fireEvent.click(screen.getByRole('button', { name: 'Back to newest' }));
    await waitFor(() => expect(gallery.items.map((i) => i.id)).toEqual([10]));
    expect(gallery.jumpedTo).toBeNull();
    expect(screen.queryByRole('button', { name: 'Back to newest' })).toBeNull();
  });

  it('Escape closes and gives the focus back; a failure is said, not swallowed', async () => {
    const gallery = new Gallery();
    render(DateJump, { props: { gallery, onJumped: () => {} } });
    const control = screen.getByRole('button', { name: 'Jump to date' });
    await fireEvent.click(control);
    const march = await waitFor(() => screen.getByRole('button', { name: /Mar 2026/ }));
    await fireEvent.keyDown(march, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(control);

    galleryDates.mockResolvedValueOnce(fail({ kind: 'storage', path: 'history.db', reason: 'disk full' }));
    await fireEvent.click(control);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/disk full/));
  });

  it("lists a month's days with items, named with weekday, date and count, asked over that month with the filters kept", async () => {
    const gallery = new Gallery();
    await gallery.setFilters({ text: 'fox' });
    render(DateJump, { props: { gallery, onJumped: () => {} } });
    const newest = await openDays('March 2026');
    expect(galleryDates.mock.calls[1]?.[1]).toBe('day');
    expect(galleryDates.mock.calls[1]?.[0]).toMatchObject({
      text: 'fox',
      from: new Date(2026, 2, 1).getTime(),
      until: new Date(2026, 3, 1).getTime(),
    });

    const grid = screen.getByRole('group', { name: 'March 2026' });
    const names = within(grid)
      .getAllByRole('button')
      .map((b) => spoken(b));
    expect(names).toHaveLength(4);
    // In calendar order; the exact count in the name, the day number and a short count shown.
    expect(names[1]).toMatch(/^Tuesday,? (March 3|3 March),? 2026, 412 images$/);
    expect(names[0]).toMatch(/^Monday,? (March 2|2 March),? 2026, 1 image$/);
    const third = within(grid).getByRole('button', { name: /412 images/ });
    expect([...third.querySelectorAll('[aria-hidden="true"]')].map((s) => s.textContent).join(' ')).toBe('3 412');
    // The newest day has the focus; days without items are shown but cannot be chosen.
    expect(spoken(newest)).toMatch(/^Thursday,? (March 12|12 March),? 2026, 1 image$/);
    expect(screen.queryByRole('button', { name: /March 11|11 March/ })).toBeNull();
    expect(grid.querySelectorAll('.day.empty')).toHaveLength(31 - 4);
    // Six weeks whatever the month.
    expect(grid.children).toHaveLength(42);
    expect(screen.getByRole('dialog', { name: 'Jump to date' }).textContent).toMatch(/Days with images/);
  });

  it('choosing a day lands the grid at its newest item (the end of the day), and the picker reopens there', async () => {
    const gallery = new Gallery();
    const onJumped = vi.fn();
    render(DateJump, { props: { gallery, onJumped } });
    await openDays('March 2026');
    await fireEvent.click(screen.getByRole('button', { name: /412 images/ }));
    await waitFor(() => expect(onJumped).toHaveBeenCalled());
    expect(galleryJump.mock.calls[0]?.[1]).toBe(new Date(2026, 2, 4).getTime());
    expect(gallery.items.map((i) => i.id)).toEqual([9]);
    expect(screen.queryByRole('dialog')).toBeNull();
    const control = screen.getByTestId('date-jump');
    expect(control.getAttribute('aria-label')).toMatch(/^Jump to date, showing from (March 3|3 March),? 2026$/);
    expect(screen.getByRole('button', { name: 'Back to newest' })).toBeTruthy();

    // Reopened: the days again (asked again: the filters may have changed), the day jumped to focused and marked.
    await fireEvent.click(control);
    await waitFor(() => expect(focusedDay()).toMatch(/412 images/));
    expect(document.activeElement?.getAttribute('aria-current')).toBe('date');
    expect(galleryDates.mock.calls.map((c) => c[1])).toEqual(['month', 'day', 'month', 'day']);
    // The month holding it is marked among the months.
    await fireEvent.click(screen.getByRole('button', { name: 'Months' }));
    const march = await waitFor(() => screen.getByRole('button', { name: /^Mar 2026/ }));
    expect(march.getAttribute('aria-current')).toBe('date');
    expect(screen.getByRole('button', { name: /^Jan 2026/ }).getAttribute('aria-current')).toBeNull();
  });

  it('goes back to the months by its button or Escape, that month focused; Escape there closes', async () => {
    const gallery = new Gallery();
    render(DateJump, { props: { gallery, onJumped: () => {} } });
    await openDays('March 2026');
    await fireEvent.click(screen.getByRole('button', { name: 'Months' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: /^Mar 2026/ })));
    expect(screen.queryByRole('group', { name: 'March 2026' })).toBeNull();

    // The › beside a month is in the Tab order after it, and opens its days.
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: 'ArrowLeft' });
    const days = screen.getByRole('button', { name: 'Days of January 2026' });
    expect(days.getAttribute('tabindex')).toBe('0');
    await fireEvent.click(days);
    await waitFor(() => expect(focusedDay()).toMatch(/^Tuesday,? (January 20|20 January),? 2026, 2 images$/));
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: 'Escape' });
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: /^Jan 2026/ })));
    expect(screen.getByRole('dialog')).toBeTruthy();
    await fireEvent.keyDown(document.activeElement as HTMLElement, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('date-jump'));
    expect(galleryJump).not.toHaveBeenCalled();
  });

  it('arrows move over the days with items, a week up and down; Page Up and Down go to the months around', async () => {
    const gallery = new Gallery();
    render(DateJump, { props: { gallery, onJumped: () => {} } });
    await openDays('March 2026');
    const press = async (key: string, expected: RegExp) => {
      await fireEvent.keyDown(document.activeElement as HTMLElement, { key });
      await waitFor(() => expect(focusedDay()).toMatch(expected));
    };
    await press('ArrowLeft', /(March 10|10 March),/); // past the 11th, which holds nothing
    await press('ArrowUp', /(March 3|3 March),/); // a week back
    await press('ArrowLeft', /(March 2|2 March),/);
    await press('ArrowLeft', /(March 2|2 March),/); // nothing before it
    await press('ArrowDown', /(March 2|2 March),/); // no Monday below holds items
    await press('ArrowRight', /(March 3|3 March),/);
    await press('ArrowDown', /(March 10|10 March),/);
    await press('End', /(March 12|12 March),/);
    await press('Home', /(March 2|2 March),/);
    // One tab stop in the calendar: the focused day.
    expect(screen.getByRole('group', { name: 'March 2026' }).querySelectorAll('[tabindex="0"]')).toHaveLength(1);

    // The header names the months around that hold items (February holds none).
    expect(screen.getByRole('button', { name: 'Earlier month with images, January 2026' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'No later month with images' }).getAttribute('aria-disabled')).toBe('true');
    await press('PageUp', /(January 20|20 January),/);
    expect(screen.getByRole('group', { name: 'January 2026' })).toBeTruthy();
    expect(galleryDates.mock.calls[2]?.[0]).toMatchObject({ from: new Date(2026, 0, 1).getTime(), until: new Date(2026, 1, 1).getTime() });
    await press('PageDown', /(March 12|12 March),/);
    expect(galleryDates).toHaveBeenCalledTimes(3); // March's days were kept for this opening

    // Enter on a day (a button: a click) jumps there.
    await fireEvent.click(document.activeElement as HTMLElement);
    await waitFor(() => expect(galleryJump).toHaveBeenCalledWith(expect.anything(), new Date(2026, 2, 13).getTime()));
  });

  it("a month's days that fail to load are said, and the months are one step back", async () => {
    const gallery = new Gallery();
    render(DateJump, { props: { gallery, onJumped: () => {} } });
    await fireEvent.click(screen.getByTestId('date-jump'));
    const days = await waitFor(() => screen.getByRole('button', { name: 'Days of March 2026' }));
    galleryDates.mockResolvedValueOnce(fail({ kind: 'storage', path: 'history.db', reason: 'disk full' }));
    await fireEvent.click(days);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/disk full/));
    expect(screen.getByRole('dialog').contains(document.activeElement)).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Months' }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: /^Mar 2026/ })));
  });
});
