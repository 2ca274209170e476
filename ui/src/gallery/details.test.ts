import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { catalogue } from '../create/fixtures';
import { mockBindings, ok, tauriCore } from '../test/bindings';

const requestFrom = vi.fn(async (id: number) =>
  ok({ model: 'flux-schnell', inputs: { prompt: 'a red fox', seed: 4242, num_inference_steps: 2 }, parent_id: id, exact_rerun: false }),
);

vi.mock('../lib/bindings', () =>
  mockBindings({
    generationDetails: async (id: number) =>
      ok({
        generation: {
          id,
          provider: 'replicate',
          model: 'flux-schnell',
          inputs: '{}',
          prompt: 'a red fox',
          seed: 4242,
          status: 'done',
          error: null,
          prediction_id: null,
          cost_usd: 0.003,
          cost_credits: null,
          images_requested: 1,
          images_returned: 1,
          parent_id: null,
          favourite: false,
          created_at: 1_700_000_000_000,
          completed_at: 1_700_000_001_000,
        },
        images: [],
        collections: [],
      }),
    requestFrom: (id: number) => requestFrom(id),
    modelCatalogue: async () => ok(catalogue),
  }),
);
vi.mock('@tauri-apps/api/core', () => tauriCore);

import DetailsPanel from './DetailsPanel.svelte';
import { createForm } from '../create/store.svelte';
import { nav } from '../lib/nav.svelte';

const props = {
  id: 7,
  dataDir: '/data',
  collections: [],
  onClose: () => {},
  onFavourite: async () => {},
  onDelete: async () => {},
  onAddToCollection: async () => {},
};

describe('Re-run and Remix in the details panel', () => {
  beforeEach(() => {
    nav.screen = 'gallery';
    requestFrom.mockClear();
  });

  it('Re-run fills the Create form exactly and switches to Create', async () => {
    render(DetailsPanel, { props });
    await waitFor(() => expect(screen.getByTestId('rerun')).toBeTruthy());
    expect(screen.getByText(/Exact re-runs send go_fast: off because the fast path isn't deterministic/)).toBeTruthy();
    await fireEvent.click(screen.getByTestId('rerun'));
    await waitFor(() => expect(nav.screen).toBe('create'));
    expect(requestFrom).toHaveBeenCalledWith(7);
    expect(createForm.origin).toEqual({ parentId: 7, exact: true });
    expect(createForm.request()).toMatchObject({ model: 'flux-schnell', parent_id: 7, exact_rerun: true, inputs: { seed: 4242, num_inference_steps: 2 } });
  });

  it('Remix fills the same values with the seed unlocked', async () => {
    render(DetailsPanel, { props });
    await waitFor(() => expect(screen.getByTestId('remix')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('remix'));
    await waitFor(() => expect(nav.screen).toBe('create'));
    expect(createForm.origin).toEqual({ parentId: 7, exact: false });
    const request = createForm.request();
    expect(request).toMatchObject({ exact_rerun: false, inputs: { prompt: 'a red fox', num_inference_steps: 2 } });
    expect(request?.inputs).not.toHaveProperty('seed');
  });

  it('opening details alone leaves the Create form as it was', async () => {
    createForm.set('prompt', 'my own draft');
    render(DetailsPanel, { props: { ...props, id: 8 } });
    await waitFor(() => expect(screen.getByTestId('details-prompt')).toBeTruthy());
    expect(createForm.values.prompt).toBe('my own draft');
  });
});
