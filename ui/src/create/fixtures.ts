// Test data: three models shaped like the core's catalogue (crates/core/src/generation/models.json).
import type { Catalogue, Field, FieldKind, Job, Model } from '../lib/bindings';

type Kind = Extract<FieldKind, { type: string }>;

function field(name: string, label: string, kind: Kind, extra: Partial<Field> = {}): Field {
  return { name, label, help: `${label} help`, required: false, advanced: false, visible_when: null, kind, ...extra } as Field;
}

const prompt = field('prompt', 'Prompt', { type: 'prompt', max_chars: 2000 }, { required: true });
const ratios = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'];
const seed = field('seed', 'Seed', { type: 'integer', min: 0, max: 2147483647, step: 1, default: null });
const outputs = field('num_outputs', 'Images', { type: 'integer', min: 1, max: 4, step: 1, default: 1 });
const format = field('output_format', 'Format', { type: 'choice', options: ['webp', 'jpg', 'png'], default: 'webp' });
const quality = field('output_quality', 'Quality', { type: 'integer', min: 0, max: 100, step: 1, default: 80 }, { advanced: true });
const goFast = field('go_fast', 'Go fast', { type: 'toggle', default: true }, { advanced: true });

export const schnell: Model = {
  id: 'flux-schnell',
  replicate: 'black-forest-labs/flux-schnell',
  name: 'FLUX.1 [schnell]',
  summary: 'The fastest FLUX.',
  price_usd: 0.003,
  price_note: null,
  output: 'many',
  fields: [
    prompt,
    field('aspect_ratio', 'Aspect ratio', { type: 'choice', options: ratios, default: '1:1' }),
    field('megapixels', 'Size', { type: 'choice', options: ['1', '0.25'], default: '1' }),
    outputs,
    field('num_inference_steps', 'Steps', { type: 'integer', min: 1, max: 4, step: 1, default: 4 }),
    seed,
    format,
    quality,
    goFast,
  ],
};

export const dev: Model = {
  id: 'flux-dev',
  replicate: 'black-forest-labs/flux-dev',
  name: 'FLUX.1 [dev]',
  summary: 'Open-weights quality model.',
  price_usd: 0.025,
  price_note: null,
  output: 'many',
  fields: [
    prompt,
    field('image', 'Input image', { type: 'image', max_bytes: 20971520 }),
    field('aspect_ratio', 'Aspect ratio', { type: 'choice', options: ratios, default: '1:1' }),
    outputs,
    field(
      'prompt_strength',
      'Prompt strength',
      { type: 'number', min: 0, max: 1, step: 0.01, default: 0.8 },
      {
        visible_when: { field: 'image', equals: null, is_set: true },
      },
    ),
    field('num_inference_steps', 'Steps', { type: 'integer', min: 1, max: 50, step: 1, default: 28 }),
    field('guidance', 'Guidance', { type: 'number', min: 0, max: 10, step: 0.1, default: 3 }),
    seed,
    format,
    quality,
    goFast,
  ],
};

export const pro: Model = {
  id: 'flux-1.1-pro',
  replicate: 'black-forest-labs/flux-1.1-pro',
  name: 'FLUX1.1 [pro]',
  summary: 'Best prompt following, one image per run.',
  price_usd: 0.04,
  price_note: 'Third-party listing, unverified.',
  output: 'one',
  fields: [
    prompt,
    field('aspect_ratio', 'Aspect ratio', { type: 'choice', options: ['custom', '1:1', '16:9'], default: '1:1' }),
    field(
      'width',
      'Width',
      { type: 'integer', min: 256, max: 1440, step: 32, default: 1024 },
      {
        visible_when: { field: 'aspect_ratio', equals: 'custom', is_set: null },
      },
    ),
    field(
      'height',
      'Height',
      { type: 'integer', min: 256, max: 1440, step: 32, default: 1024 },
      {
        visible_when: { field: 'aspect_ratio', equals: 'custom', is_set: null },
      },
    ),
    field('safety_tolerance', 'Safety tolerance', { type: 'integer', min: 1, max: 6, step: 1, default: 2 }, { advanced: true }),
    seed,
    format,
  ],
};

export const catalogue: Catalogue = { source: 'test', models: [schnell, dev, pro] };

export function job(id: number, patch: Partial<Job> = {}): Job {
  return {
    id,
    model: 'flux-schnell',
    prompt: `prompt ${id}`,
    status: 'queued',
    progress: null,
    error: null,
    images_requested: 1,
    images_returned: 0,
    cost_usd: 0.003,
    cost_credits: null,
    created_at: id * 1000,
    completed_at: null,
    thumbs: [],
    note: null,
    cancel_requested: false,
    revision: 0,
    ...patch,
  };
}
