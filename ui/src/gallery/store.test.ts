import { describe, expect, it, vi, beforeEach } from 'vitest';
import { mockBindings, ok } from '../test/bindings';

const pages = new Map<string | null, { items: { id: number; favourite: boolean }[]; next_cursor: string | null }>();
const galleryPage = vi.fn(async (q: { cursor: string | null }) => ok(pages.get(q.cursor)));
const deleteGenerations = vi.fn(async () =>
  ok({ items: 1, files_removed: 1, bytes_removed: 10, platform: 'Flux Krea removed 1 image from its temporary storage' }),
);
const setFavourite = vi.fn(async () => ok(1));
const galleryJump = vi.fn(async (_q: { cursor: string | null }, _before: number) => ok({ items: [item(2)], next_cursor: 'c1' }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    galleryPage: (q: { cursor: string | null }) => galleryPage(q),
    galleryJump: (q: { cursor: string | null }, before: number) => galleryJump(q, before),
    deleteGenerations: () => deleteGenerations(),
    setFavourite: () => setFavourite(),
  }),
);

import { Gallery, toQuery, EMPTY_FILTERS, isFiltered } from './store.svelte';

const item = (id: number, favourite = false) => ({ id, favourite });

describe('Gallery store', () => {
  beforeEach(() => {
    pages.clear();
    pages.set(null, { items: [item(3), item(2)], next_cursor: 'c1' });
    pages.set('c1', { items: [item(1, true)], next_cursor: null });
    galleryPage.mockClear();
  });

  it('loads pages in order until the last one, then stops asking', async () => {
    const g = new Gallery();
    await g.reload();
    expect(g.items.map((i) => i.id)).toEqual([3, 2]);
    await g.loadMore();
    expect(g.items.map((i) => i.id)).toEqual([3, 2, 1]);
    expect(g.done).toBe(true);
    await g.loadMore();
    expect(galleryPage).toHaveBeenCalledTimes(2);
  });

  it('a jump starts at the date with the filters kept, pages on from there; a filter keeps it, a time range replaces it', async () => {
    const g = new Gallery();
    await g.setFilters({ favourite: true });
    await g.jumpTo({ before: 1234, label: 'March 2026' });
    expect(galleryJump).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: null, favourite: true }), 1234);
    expect(g.items.map((i) => i.id)).toEqual([2]);
    await g.loadMore();
    expect(galleryPage).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: 'c1' }));
    expect(g.items.map((i) => i.id)).toEqual([2, 1]);
    galleryJump.mockClear();
    await g.setFilters({ text: 'fox' });
    expect(galleryJump).toHaveBeenLastCalledWith(expect.objectContaining({ text: 'fox' }), 1234);
    await g.setFilters({ range: '30d' });
    expect(g.jumpedTo).toBeNull();
    expect(galleryPage).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: null, text: 'fox' }));
    await g.jumpTo({ before: 1234, label: 'March 2026' });
    await g.backToNewest();
    expect(galleryPage).toHaveBeenLastCalledWith(expect.objectContaining({ cursor: null }));
    expect(g.items.map((i) => i.id)).toEqual([3, 2]);
  });

  it('a filter change starts over from the first page with the filter in the query', async () => {
    const g = new Gallery();
    await g.reload();
    await g.setFilters({ favourite: true, text: '  fox ' });
    const last = galleryPage.mock.calls.at(-1)?.[0] as unknown as Record<string, unknown>;
    expect(last).toMatchObject({ cursor: null, favourite: true, text: 'fox' });
  });

  it('removes deleted items and their selection, and updates favourites in place', async () => {
    const g = new Gallery();
    await g.reload();
    g.toggleSelected(3);
    g.toggleSelected(2);
    await g.remove([3]);
    expect(g.items.map((i) => i.id)).toEqual([2]);
    expect([...g.selected]).toEqual([2]);
    expect(g.notice).toBe('Flux Krea removed 1 image from its temporary storage');
    await g.setFavourite([2], true);
    expect(g.items[0]?.favourite).toBe(true);
  });
});

describe('Gallery store for the viewer', () => {
  beforeEach(() => {
    pages.clear();
    pages.set(null, { items: [item(3), item(2)], next_cursor: 'c1' });
    pages.set('c1', { items: [item(1)], next_cursor: null });
    galleryPage.mockClear();
  });

  it('a second loadMore while a page is loading waits for that page instead of returning early or asking twice', async () => {
    const g = new Gallery();
    await g.reload();
    const first = g.loadMore();
    const second = g.loadMore();
    await second;
    expect(g.items.map((i) => i.id)).toEqual([3, 2, 1]);
    await first;
    expect(galleryPage).toHaveBeenCalledTimes(2);
  });

  it('hides an item (and its selection) and restores it where it was', async () => {
    const g = new Gallery();
    await g.reload();
    await g.loadMore();
    g.toggleSelected(2);
    const hidden = g.hide(2);
    expect(hidden?.index).toBe(1);
    expect(g.items.map((i) => i.id)).toEqual([3, 1]);
    expect(g.selected.size).toBe(0);
    g.restore(hidden!);
    expect(g.items.map((i) => i.id)).toEqual([3, 2, 1]);
    g.restore(hidden!); // already back: not twice
    expect(g.items).toHaveLength(3);
    expect(g.hide(99)).toBeNull();
  });
});

describe('toQuery', () => {
  it('maps date ranges to a lower bound and leaves empty filters out', () => {
    const q = toQuery({ ...EMPTY_FILTERS, range: '7d' }, null, 10 * 24 * 3600 * 1000);
    expect(q.from).toBe(3 * 24 * 3600 * 1000);
    expect(q.text).toBeNull();
    expect(q.favourite).toBeNull();
    expect(isFiltered(EMPTY_FILTERS)).toBe(false);
    expect(isFiltered({ ...EMPTY_FILTERS, favourite: true })).toBe(true);
  });
});
