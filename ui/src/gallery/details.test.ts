import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { catalogue } from '../create/fixtures';
import { CommandError } from '../lib/errors';
import type { ImageEntry_Serialize, KeptInput } from '../lib/bindings';
import { fail, mockBindings, ok, tauriCore, type Result } from '../test/bindings';
import { galleryItem, generationDetails as details } from '../test/generations';

/** The item's first image, when it has one (the Show file button needs it). */
let images: unknown[] = [];
/** Item 7's lineage: its parent, kept input pictures and children (the others have none). */
let lineage: { parent_id: number | null; input_pictures: unknown[]; children: number[] } = { parent_id: null, input_pictures: [], children: [] };
const revealFile = vi.fn(async (_file: string): Promise<Result> => ok(null));
const requestFrom = vi.fn(async (id: number) =>
  ok({ model: 'flux-schnell', inputs: { prompt: 'a red fox', seed: 4242, num_inference_steps: 2 }, parent_id: id, exact_rerun: false }),
);

const generationDetails = vi.fn(async (id: number): Promise<Result> =>
  ok(
    details(
      galleryItem(id, { prompt: 'a red fox', created_at: 1_700_000_000_000 }),
      { seed: 4242, cost_usd: 0.003, parent_id: id === 7 ? lineage.parent_id : null, completed_at: 1_700_000_001_000 },
      {
        images: images as ImageEntry_Serialize[],
        input_pictures: (id === 7 ? lineage.input_pictures : []) as KeptInput[],
        children: id === 7 ? lineage.children : [],
      },
    ),
  ),
);

vi.mock('../lib/bindings', () =>
  mockBindings({
    generationDetails: (id: number) => generationDetails(id),
    requestFrom: (id: number) => requestFrom(id),
    revealFile: (file: string) => revealFile(file),
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
  onOpen: () => {},
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

describe('A failed action in the details panel is shown, not lost', () => {
  const diskFull = async () => {
    throw new CommandError({ kind: 'storage', path: 'history.db', reason: 'disk full' });
  };
  const shown = (testId: string) => screen.getByTestId(testId);

  beforeEach(() => {
    images = [];
  });

  it('says so when the favourite cannot be changed', async () => {
    render(DetailsPanel, { props: { ...props, onFavourite: diskFull } });
    await fireEvent.click(await waitFor(() => shown('details-favourite')));
    await waitFor(() => expect(shown('details-action-error').textContent).toBe('Could not read or write history.db: disk full'));
    expect(shown('details-action-error').getAttribute('role')).toBe('alert');
    expect(shown('details-favourite').getAttribute('aria-pressed')).toBe('false');
  });

  it('says so when the file cannot be shown', async () => {
    images = [
      {
        id: 1,
        idx: 0,
        file: 'images/7-0.webp',
        thumb: 'thumbs/7-0.webp',
        width: 1024,
        height: 1024,
        format: 'webp',
        bytes: 1000,
        source_url: null,
        downloaded_at: 1,
      },
    ];
    revealFile.mockResolvedValueOnce(fail({ kind: 'not_found', what: 'images/7-0.webp' }));
    render(DetailsPanel, { props });
    await fireEvent.click(await waitFor(() => screen.getByRole('button', { name: 'Show file' })));
    await waitFor(() => expect(shown('details-action-error').textContent).toBe('images/7-0.webp was not found.'));
    expect(revealFile).toHaveBeenCalledWith('images/7-0.webp');
  });

  it('says so when the item cannot be deleted', async () => {
    render(DetailsPanel, { props: { ...props, onDelete: diskFull } });
    await fireEvent.click(await waitFor(() => shown('details-delete')));
    await fireEvent.click(shown('confirm-delete'));
    await waitFor(() => expect(shown('details-action-error').textContent).toBe('Could not read or write history.db: disk full'));
  });

  it('says so when the item cannot be added to a collection', async () => {
    const collections = [{ id: 3, name: 'Foxes', created_at: 1, items: 0 }];
    render(DetailsPanel, { props: { ...props, collections, onAddToCollection: diskFull } });
    await fireEvent.change(await waitFor(() => shown('add-to-collection')), { target: { value: '3' } });
    await waitFor(() => expect(shown('add-to-collection-error').textContent).toBe('Could not read or write history.db: disk full'));
    expect(shown('add-to-collection-error').getAttribute('role')).toBe('alert');
  });

  it('says so when the item cannot be read again after adding it', async () => {
    const collections = [{ id: 3, name: 'Foxes', created_at: 1, items: 0 }];
    const onAddToCollection = vi.fn(async () => {});
    render(DetailsPanel, { props: { ...props, collections, onAddToCollection } });
    const select = await waitFor(() => shown('add-to-collection'));
    generationDetails.mockResolvedValueOnce(fail({ kind: 'not_found', what: 'Generation 7' }));
    await fireEvent.change(select, { target: { value: '3' } });
    await waitFor(() => expect(shown('add-to-collection-error').textContent).toBe('Generation 7 was not found.'));
    expect(onAddToCollection).toHaveBeenCalledWith(3, 7);
  });
});

describe('Lineage in the details panel', () => {
  beforeEach(() => {
    lineage = { parent_id: null, input_pictures: [], children: [] };
  });

  it('shows the sent picture, the parent and the children, and walks to them', async () => {
    lineage = {
      parent_id: 3,
      input_pictures: [{ field: 'image', file: 'inputs/ab/abcd.jpg', name: 'holiday.jpg', format: 'jpg', bytes: 1000 }],
      children: [9, 10],
    };
    const onOpen = vi.fn();
    render(DetailsPanel, { props: { ...props, onOpen } });
    const section = await screen.findByTestId('details-lineage');
    expect(section.querySelector('img')?.getAttribute('src')).toContain('inputs/ab/abcd.jpg');
    expect(section.textContent).toContain('holiday.jpg');
    const node = (id: number) => section.querySelector<HTMLButtonElement>(`[data-testid='lineage-node'][data-id='${id}']`)!;
    // Read: the parent and both children around this one, each named with what it is (same prompt and seed: a re-run).
    await waitFor(() => expect(node(9).getAttribute('aria-label')).toBe('Generation #9, Re-run with flux-schnell, made from this'));
    expect([...section.querySelectorAll<HTMLElement>('[data-testid=lineage-node]')].map((n) => [n.dataset.id, n.dataset.relation])).toEqual([
      ['3', 'ancestor'],
      ['7', 'current'],
      ['9', 'child'],
      ['10', 'child'],
    ]);
    expect(node(7).getAttribute('aria-current')).toBe('true');
    await fireEvent.click(node(3));
    expect(onOpen).toHaveBeenLastCalledWith(3);
    await fireEvent.click(node(10));
    expect(onOpen).toHaveBeenLastCalledWith(10);
    onOpen.mockClear();
    await fireEvent.click(node(7));
    expect(onOpen).not.toHaveBeenCalled();
  });

  it('shows the first six children, and all of them after "+N more", focusing the first one revealed', async () => {
    lineage = { parent_id: null, input_pictures: [], children: [20, 19, 18, 17, 16, 15, 14, 13] };
    render(DetailsPanel, { props });
    const section = await screen.findByTestId('details-lineage');
    const children = () => [...section.querySelectorAll<HTMLElement>("[data-testid=lineage-node][data-relation='child']")].map((n) => Number(n.dataset.id));
    await waitFor(() => expect(children()).toEqual([20, 19, 18, 17, 16, 15]));
    const more = screen.getByTestId('lineage-more');
    expect(more.textContent?.trim()).toBe('+2 more made from this');
    more.focus();
    await fireEvent.click(more);
    await waitFor(() => expect(children()).toEqual([20, 19, 18, 17, 16, 15, 14, 13]));
    expect(screen.queryByTestId('lineage-more')).toBeNull();
    await waitFor(() => expect((document.activeElement as HTMLElement | null)?.dataset.id).toBe('14'));
  });

  it('shows nothing for a generation with no lineage', async () => {
    render(DetailsPanel, { props });
    await screen.findByTestId('details-prompt');
    expect(screen.queryByTestId('details-lineage')).toBeNull();
  });
});
