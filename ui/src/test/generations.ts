/**
 * The history as the core answers it, for component tests: a Gallery item, a generation's
 * details and the app's info. Each test patches only what it is about.
 */
import type { AppInfo_Serialize, GalleryItem_Serialize, GenerationDetails_Serialize, Generation_Serialize } from '../lib/bindings';

/** A finished one-image generation with a 2000×1000 cover; `created_at` is its id. */
export const galleryItem = (id: number, patch: Partial<GalleryItem_Serialize> = {}): GalleryItem_Serialize => ({
  id,
  provider: 'replicate',
  model: 'flux-schnell',
  prompt: `fox ${id}`,
  highlighted_prompt: null,
  status: 'done',
  favourite: false,
  created_at: id,
  images_returned: 1,
  cover_file: `images/${id}.webp`,
  cover_thumb: `thumbs/${id}.webp`,
  cover_width: 2000,
  cover_height: 1000,
  ...patch,
});

/** Its details: no images, collections, input pictures or children unless given. */
export const generationDetails = (
  item: GalleryItem_Serialize,
  generation: Partial<Generation_Serialize> = {},
  rest: Partial<Omit<GenerationDetails_Serialize, 'generation'>> = {},
): GenerationDetails_Serialize => ({
  generation: {
    id: item.id,
    provider: item.provider,
    model: item.model,
    inputs: '{}',
    prompt: item.prompt,
    seed: null,
    status: item.status,
    error: null,
    prediction_id: null,
    cost_usd: null,
    cost_credits: null,
    images_requested: 1,
    images_returned: item.images_returned,
    parent_id: null,
    favourite: item.favourite,
    created_at: item.created_at,
    completed_at: null,
    ...generation,
  },
  images: [],
  collections: [],
  input_pictures: [],
  children: [],
  ...rest,
});

export const APP_INFO: AppInfo_Serialize = {
  version: '0.1.0',
  data_dir: '/data',
  log_dir: '/logs',
  config_file: '/cfg/config.toml',
  replicate_url: '',
  account_mode_available: false,
  recovered_database: null,
};
