import { describe, expect, it } from 'vitest';
import type { GenerationDetails } from '../lib/bindings';
import type { ResultImage } from '../create/queue.svelte';
import { neighbour, walkedTo, type ViewerItem } from './flip';
import { resultItems } from './results.svelte';

function details(id: number, images: number): GenerationDetails {
  return {
    generation: {
      id,
      provider: 'replicate',
      model: 'flux-schnell',
      inputs: '{}',
      prompt: `p${id}`,
      status: 'done',
      images_requested: images,
      images_returned: images,
      favourite: false,
      created_at: id,
    },
    images: Array.from({ length: images }, (_, idx) => ({
      id: id * 10 + idx,
      idx,
      file: `images/${id}-${idx}.png`,
      thumb: `thumbs/${id}-${idx}.webp`,
      width: 1024,
      height: 768,
      format: 'png',
      bytes: 1,
      downloaded_at: id,
    })),
    collections: [],
    input_pictures: [],
    children: [],
  };
}
const result = (jobId: number, idx: number): ResultImage => ({ jobId, idx, thumb: `thumbs/${jobId}-${idx}.webp`, prompt: `p${jobId}` });
const key = (it: ViewerItem | undefined) => (it ? `${it.id}:${it.image_idx}` : null);

describe("Create's results in the viewer", () => {
  // The newest job (9) has four images; 7 and 5 are older results.
  const results = [result(9, 0), result(9, 1), result(9, 2), result(9, 3), result(7, 0), result(5, 0), result(5, 1)];
  const all = new Map([9, 7, 5].map((id) => [id, details(id, id === 9 ? 4 : id === 5 ? 2 : 1)]));

  it('lists every image of the newest job, then the older results, each with its own file', () => {
    const items = resultItems(results, all);
    expect(items.map(key)).toEqual(['9:0', '9:1', '9:2', '9:3', '7:0', '5:0', '5:1']);
    expect(items[2]).toMatchObject({ id: 9, cover_file: 'images/9-2.png', cover_thumb: 'thumbs/9-2.webp', cover_width: 1024 });
  });

  it('flips from image 2 to 3 of a job, and on from its last image to the older results', async () => {
    const source = { items: resultItems(results, all), done: true, loadMore: async () => {} };
    const second = source.items[1]!;
    expect(key((await neighbour(source, { item: second, index: 1 }, 1))?.item)).toBe('9:2');
    expect(key((await neighbour(source, { item: source.items[3]!, index: 3 }, 1))?.item)).toBe('7:0');
    expect(await neighbour(source, { item: source.items[6]!, index: 6 }, 1)).toBeNull();
  });

  it('leaves out an image whose generation could not be read', () => {
    const some = new Map([[9, details(9, 4)]]);
    expect(resultItems(results, some).map(key)).toEqual(['9:0', '9:1', '9:2', '9:3']);
  });
});

describe('walking the lineage from the list', () => {
  const items = resultItems([result(9, 0), result(9, 1), result(7, 0)], new Map([9, 7].map((id) => [id, details(id, id === 9 ? 2 : 1)])));
  const outside = { ...items[2]!, id: 3, image_idx: undefined };

  it('stands just after the image it was reached from when the list lacks it', async () => {
    const pos = walkedTo(items, { item: items[1]!, index: 1 }, outside);
    expect(pos).toEqual({ item: outside, index: 2 });
    const source = { items, done: true, loadMore: async () => {} };
    expect(key((await neighbour(source, pos, -1))?.item)).toBe('9:1'); // ← back to where it came from
    expect(key((await neighbour(source, pos, 1))?.item)).toBe('7:0'); // → on to that one's successor
  });

  it("goes to the list's own entry (its first image) when the list has it", () => {
    const to = { ...items[0]!, image_idx: undefined };
    expect(walkedTo(items, { item: items[2]!, index: 2 }, to)).toEqual({ item: items[0], index: 0 });
  });

  it('keeps the place when walking on from an item outside the list', () => {
    const pos = walkedTo(items, { item: outside, index: 2 }, { ...outside, id: 2 });
    expect(pos.index).toBe(2);
  });
});
