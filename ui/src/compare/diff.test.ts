import { describe, expect, it } from 'vitest';
import type { GenerationDetails } from '../lib/bindings';
import { diffRows } from './diff';

function details(
  id: number,
  patch: { seed?: number | null; inputs?: object; cost_usd?: number | null; width?: number; model?: string } = {},
): GenerationDetails {
  return {
    generation: {
      id,
      provider: 'replicate',
      model: patch.model ?? 'flux-dev',
      inputs: JSON.stringify(patch.inputs ?? { prompt: 'a fox', num_inference_steps: 28 }),
      prompt: 'a fox',
      seed: patch.seed === undefined ? 7 : patch.seed,
      status: 'done',
      error: null,
      prediction_id: null,
      cost_usd: patch.cost_usd === undefined ? 0.025 : patch.cost_usd,
      cost_credits: null,
      images_requested: 1,
      images_returned: 1,
      parent_id: null,
      favourite: false,
      created_at: 1_700_000_000_000,
      completed_at: null,
    },
    images: [
      { id, idx: 0, file: `i/${id}.webp`, thumb: null, width: patch.width ?? 1024, height: 1024, format: 'webp', bytes: 1, source_url: null, downloaded_at: 0 },
    ],
    collections: [],
    input_pictures: [],
    children: [],
  };
}

const row = (rows: ReturnType<typeof diffRows>, key: string) => rows.find((r) => r.key === key);

describe('diffRows', () => {
  it('marks only the parameters that differ', () => {
    const rows = diffRows([details(1, { seed: 7 }), details(2, { seed: 8 })]);
    expect(row(rows, 'seed')).toMatchObject({ values: ['7', '8'], differs: true });
    expect(row(rows, 'prompt')).toMatchObject({ values: ['a fox', 'a fox'], differs: false });
    expect(row(rows, 'model')?.differs).toBe(false);
    expect(row(rows, 'size')).toMatchObject({ values: ['1024 × 1024', '1024 × 1024'], differs: false });
    expect(row(rows, 'cost')).toMatchObject({ values: ['$0.025 (estimate)', '$0.025 (estimate)'], differs: false });
  });

  it('lists the rows in a fixed order, leaving out inputs no generation has', () => {
    const keys = diffRows([details(1), details(2)]).map((r) => r.key);
    expect(keys).toEqual(['prompt', 'model', 'seed', 'size', 'steps', 'cost', 'date']);
  });

  it('shows a missing value as a dash, which differs from a present one', () => {
    const rows = diffRows([
      details(1, { inputs: { guidance: 3.5 }, cost_usd: null }),
      details(2, { inputs: {}, cost_usd: null }),
      details(3, { inputs: { guidance_scale: 3.5 } }),
    ]);
    expect(row(rows, 'guidance')).toMatchObject({ values: ['3.5', '—', '3.5'], differs: true });
    expect(row(rows, 'cost')).toMatchObject({ values: ['—', '—', '$0.025 (estimate)'], differs: true });
  });

  it('reads inputs that are not JSON as none', () => {
    const broken = details(2);
    broken.generation.inputs = 'not json';
    expect(row(diffRows([details(1), broken]), 'steps')).toMatchObject({ values: ['28', '—'], differs: true });
  });
});
