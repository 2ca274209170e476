import { describe, expect, it, vi } from 'vitest';
import type { GenerationDetails } from '../lib/bindings';
import { buildChain, cachedFetch, kindOf, nodeName } from './lineage';

interface Rec {
  model?: string;
  prompt?: string;
  seed?: number | null;
  parent?: number | null;
  children?: number[];
  pictures?: number;
}

function details(id: number, r: Rec = {}): GenerationDetails {
  return {
    generation: {
      id,
      provider: 'replicate',
      model: r.model ?? 'flux-schnell',
      inputs: '{}',
      prompt: r.prompt ?? `prompt ${id}`,
      seed: r.seed ?? id,
      status: 'done',
      images_requested: 1,
      images_returned: 1,
      parent_id: r.parent ?? null,
      favourite: false,
      created_at: id,
    },
    images: [{ id, idx: 0, file: `images/${id}.png`, thumb: `thumbs/${id}.webp`, width: 64, height: 64, format: 'png', bytes: 1, downloaded_at: id }],
    collections: [],
    input_pictures: Array.from({ length: r.pictures ?? 0 }, (_, i) => ({
      field: 'input_image',
      file: `inputs/${id}-${i}.png`,
      name: 'x.png',
      format: 'png',
      bytes: 1,
    })),
    children: r.children ?? [],
  };
}

/** A history of records by id; anything else is "not found". */
function history(records: Record<number, Rec>) {
  return vi.fn(async (id: number) => {
    const r = records[id];
    if (!r) throw new Error(`Generation ${id} was not found.`);
    return details(id, r);
  });
}

const kontext = (parent: number, children: number[] = []): Rec => ({ model: 'flux-kontext-pro', parent, pictures: 1, children });

describe('buildChain', () => {
  it('walks up to the root and lists the children, labelled by what they are', async () => {
    const records = {
      1: { children: [2] },
      2: kontext(1, [3]),
      3: kontext(2, [4, 5]),
      4: kontext(3),
      5: { model: 'flux-kontext-pro', parent: 3, prompt: 'prompt 3', seed: 3, pictures: 1 },
    };
    const fetch = history(records);
    const chain = await buildChain(details(3, records[3]), fetch);
    expect(chain.ancestors.map((n) => [n.id, n.label])).toEqual([
      [1, 'flux-schnell'],
      [2, 'Kontext edit'],
    ]);
    expect(chain.current).toMatchObject({ id: 3, label: 'Kontext edit', thumb: 'thumbs/3.webp' });
    // 5 repeats 3's prompt and seed on 3's model: a re-run, not another edit.
    expect(chain.children.map((n) => [n.id, n.label])).toEqual([
      [4, 'Kontext edit'],
      [5, 'Re-run'],
    ]);
    expect(chain.earlier).toBe(false);
    expect(chain.moreChildren).toBe(0);
  });

  it('stops at the cap with "earlier" set, keeping the nearest ancestors', async () => {
    const records: Record<number, Rec> = { 1: {} };
    for (let id = 2; id <= 12; id++) records[id] = kontext(id - 1);
    const chain = await buildChain(details(12, records[12]), history(records), 8);
    expect(chain.ancestors.map((n) => n.id)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(chain.earlier).toBe(true);
  });

  it('shows a deleted parent as missing and stops there', async () => {
    const records = { 5: kontext(4), 6: kontext(5) };
    const chain = await buildChain(details(6, records[6]), history(records));
    expect(chain.ancestors.map((n) => [n.id, n.missing])).toEqual([
      [4, true],
      [5, false],
    ]);
  });

  it('caps the children and counts the rest', async () => {
    const records: Record<number, Rec> = { 1: { children: [9, 8, 7, 6, 5, 4, 3, 2] } };
    for (let id = 2; id <= 9; id++) records[id] = { parent: 1, prompt: 'prompt 1', seed: 100 + id };
    const chain = await buildChain(details(1, records[1]), history(records), 8, 6);
    expect(chain.children.map((n) => n.id)).toEqual([9, 8, 7, 6, 5, 4]);
    expect(chain.children.every((n) => n.label === 'Remix')).toBe(true);
    expect(chain.moreChildren).toBe(2);
  });

  it('does not loop on a cycle in broken records', async () => {
    const records = { 1: { parent: 2 }, 2: { parent: 1 } };
    const fetch = history(records);
    const chain = await buildChain(details(1, records[1]), fetch);
    expect(chain.ancestors.map((n) => n.id)).toEqual([2]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('kindOf and nodeName', () => {
  it('tells image-to-image from a new prompt', () => {
    const parent = details(1).generation;
    expect(kindOf(details(2, { model: 'flux-dev', parent: 1 }).generation, parent, 1)).toBe('Image to image');
    expect(kindOf(details(2, { model: 'flux-dev', parent: 1 }).generation, parent, 0)).toBe('flux-dev');
  });

  it('names a node for screen readers', () => {
    expect(nodeName({ id: 3, label: 'Kontext edit', model: 'flux-kontext-pro', thumb: null, missing: false })).toBe(
      'Generation #3, Kontext edit with flux-kontext-pro',
    );
    expect(nodeName({ id: 4, label: '', model: '', thumb: null, missing: true })).toBe('Generation #4, no longer in the history');
  });
});

describe('cachedFetch', () => {
  it('reads each id once, but asks again after a failure', async () => {
    const inner = vi.fn(async (id: number) => {
      if (id === 2 && inner.mock.calls.filter((c) => c[0] === 2).length === 1) throw new Error('busy');
      return details(id);
    });
    const fetch = cachedFetch(inner);
    await fetch(1);
    await fetch(1);
    await expect(fetch(2)).rejects.toThrow('busy');
    await fetch(2);
    expect(inner.mock.calls.map((c) => c[0])).toEqual([1, 2, 2]);
  });
});
