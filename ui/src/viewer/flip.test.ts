import { describe, expect, it, vi } from 'vitest';
import type { GalleryItem } from '../lib/bindings';
import { afterRemoval, neighbour, neighbours, type Source } from './flip';

const item = (id: number) => ({ id }) as GalleryItem;

/** A list whose next page (if any) arrives when asked. */
function source(ids: number[], nextPage: number[] = []): Source & { loadMore: ReturnType<typeof vi.fn> } {
  const s = {
    items: ids.map(item),
    done: nextPage.length === 0,
    loadMore: vi.fn(async () => {
      s.items = s.items.concat(nextPage.map(item));
      s.done = true;
    }),
  };
  return s;
}

describe('flipping through the gallery list', () => {
  it('goes to the previous and next item, and stops at the ends', async () => {
    const s = source([1, 2, 3]);
    expect((await neighbour(s, { item: item(2), index: 1 }, 1))?.item.id).toBe(3);
    expect((await neighbour(s, { item: item(2), index: 1 }, -1))?.item.id).toBe(1);
    expect(await neighbour(s, { item: item(1), index: 0 }, -1)).toBeNull();
    expect(await neighbour(s, { item: item(3), index: 2 }, 1)).toBeNull();
    expect(s.loadMore).not.toHaveBeenCalled();
  });

  it('loads the next page at the end of what is loaded', async () => {
    const s = source([1, 2], [3, 4]);
    expect(await neighbour(s, { item: item(2), index: 1 }, 1)).toEqual({ item: item(3), index: 2 });
    expect(s.loadMore).toHaveBeenCalledTimes(1);
  });

  it('when the shown item has left the list, its successor and predecessor are the neighbours', async () => {
    const s = source([1, 3]); // 2 was at index 1
    expect((await neighbour(s, { item: item(2), index: 1 }, 1))?.item.id).toBe(3);
    expect((await neighbour(s, { item: item(2), index: 1 }, -1))?.item.id).toBe(1);
  });

  it('after a removal stands on the next item, else the previous, else nowhere', async () => {
    expect((await afterRemoval(source([1, 3]), 1))?.item.id).toBe(3);
    expect((await afterRemoval(source([1, 2]), 2))?.item.id).toBe(2);
    expect((await afterRemoval(source([1], [5]), 1))?.item.id).toBe(5);
    expect(await afterRemoval(source([]), 0)).toBeNull();
  });

  it('names at most the two neighbours for preloading', () => {
    expect(neighbours([1, 2, 3, 4].map(item), 1).map((i) => i.id)).toEqual([1, 3]);
    expect(neighbours([1, 2].map(item), 0).map((i) => i.id)).toEqual([2]);
  });
});
