import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { fail, mockBindings, ok, type Result } from '../test/bindings';

const month = (year: number, m: number, count: number) => ({
  year,
  month: m,
  day: null,
  starts_at: new Date(year, m - 1, 1).getTime(),
  ends_at: new Date(year, m, 1).getTime(),
  count,
});
const MONTHS = [month(2026, 3, 54_659), month(2026, 1, 2), month(2025, 12, 1)];

const galleryDates = vi.fn(async (_q: unknown, _period: string): Promise<Result> => ok(MONTHS));
const galleryJump = vi.fn(async (_q: unknown, _before: number): Promise<Result> => ok({ items: [{ id: 9 }], next_cursor: 'c' }));
const galleryPage = vi.fn(async (): Promise<Result> => ok({ items: [{ id: 10 }], next_cursor: null }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    galleryDates: (q: unknown, period: string) => galleryDates(q, period),
    galleryJump: (q: unknown, before: number) => galleryJump(q, before),
    galleryPage: () => galleryPage(),
  }),
);

import DateJump from './DateJump.svelte';
import { Gallery } from './store.svelte';

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
});
