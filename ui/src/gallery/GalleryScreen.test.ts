import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { fail, mockBindings, ok, tauriCore, type Result } from '../test/bindings';
import { APP_INFO, galleryItem } from '../test/generations';

const item = (id: number) => galleryItem(id, { cover_file: null, cover_thumb: null, cover_width: null, cover_height: null });
const FOXES = { id: 3, name: 'Foxes', created_at: 1, items: 0 };
const DISK_FULL = { kind: 'storage', path: 'history.db', reason: 'disk full' } as const;

const listCollections = vi.fn(async (): Promise<Result> => ok([FOXES]));
const addToCollection = vi.fn(async (_collection: number, _ids: number[]): Promise<Result> => ok(1));
const setFavourite = vi.fn(async (_ids: number[], _favourite: boolean): Promise<Result> => ok(1));
const deleteGenerations = vi.fn(async (_ids: number[]): Promise<Result> => ok({ items: 1, files_removed: 1, bytes_removed: 10, platform: null }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    galleryPage: async () => ok({ items: [item(1), item(2)], next_cursor: null }),
    listCollections: () => listCollections(),
    addToCollection: (collection: number, ids: number[]) => addToCollection(collection, ids),
    setFavourite: (ids: number[], favourite: boolean) => setFavourite(ids, favourite),
    deleteGenerations: (ids: number[]) => deleteGenerations(ids),
  }),
);
vi.mock('@tauri-apps/api/core', () => tauriCore);

import GalleryScreen from '../screens/GalleryScreen.svelte';

const info = APP_INFO;
const actionError = () => screen.getByTestId('gallery-action-error').textContent;

/** The gallery with its first item selected (a Ctrl-click on its tile). */
async function withSelection() {
  render(GalleryScreen, { props: { info } });
  const tile = await waitFor(() => screen.getByTitle('fox 1'));
  await fireEvent.click(tile, { ctrlKey: true });
  await waitFor(() => expect(screen.getByTestId('bulk-bar')).toBeTruthy());
}

describe('Gallery screen: a failed action is shown, not lost', () => {
  // jsdom lays nothing out: the grid's scroller needs a size for its virtualizer to render tiles.
  const size = { offsetWidth: 800, offsetHeight: 600 };
  const original = Object.fromEntries(Object.keys(size).map((k) => [k, Object.getOwnPropertyDescriptor(HTMLElement.prototype, k)]));
  beforeAll(() => {
    for (const [k, v] of Object.entries(size)) Object.defineProperty(HTMLElement.prototype, k, { configurable: true, get: () => v });
  });
  afterAll(() => {
    for (const [k, d] of Object.entries(original)) if (d) Object.defineProperty(HTMLElement.prototype, k, d);
  });

  beforeEach(() => {
    for (const f of [listCollections, addToCollection, setFavourite, deleteGenerations]) f.mockClear();
  });

  it('says so when the collections cannot be read', async () => {
    listCollections.mockResolvedValueOnce(fail(DISK_FULL));
    render(GalleryScreen, { props: { info } });
    await waitFor(() => expect(actionError()).toBe('Could not read or write history.db: disk full'));
    expect(screen.getByTestId('gallery-action-error').getAttribute('role')).toBe('alert');
  });

  it('says so when the selection cannot be added to a collection', async () => {
    addToCollection.mockResolvedValueOnce(fail({ kind: 'not_found', what: 'Collection 3' }));
    await withSelection();
    await fireEvent.change(screen.getByLabelText('Add selection to collection'), { target: { value: '3' } });
    await waitFor(() => expect(actionError()).toBe('Collection 3 was not found.'));
    expect(addToCollection).toHaveBeenCalledWith(3, [1]);
  });

  it('says so when the selection cannot be favourited', async () => {
    setFavourite.mockResolvedValueOnce(fail(DISK_FULL));
    await withSelection();
    await fireEvent.click(screen.getByRole('button', { name: 'Favourite' }));
    await waitFor(() => expect(actionError()).toBe('Could not read or write history.db: disk full'));
    expect(setFavourite).toHaveBeenCalledWith([1], true);
  });

  it('says so when the selection cannot be unfavourited', async () => {
    setFavourite.mockResolvedValueOnce(fail(DISK_FULL));
    await withSelection();
    await fireEvent.click(screen.getByRole('button', { name: 'Unfavourite' }));
    await waitFor(() => expect(actionError()).toBe('Could not read or write history.db: disk full'));
  });

  it('says so when the selection cannot be deleted, and keeps it', async () => {
    deleteGenerations.mockResolvedValueOnce(fail(DISK_FULL));
    await withSelection();
    await fireEvent.click(screen.getByTestId('bulk-delete'));
    await fireEvent.click(screen.getByTestId('bulk-delete-confirm'));
    await waitFor(() => expect(actionError()).toBe('Could not read or write history.db: disk full'));
    expect(screen.getByTitle('fox 1').getAttribute('aria-pressed')).toBe('true');
  });

  it('clears the message when the next action works', async () => {
    setFavourite.mockResolvedValueOnce(fail(DISK_FULL));
    await withSelection();
    await fireEvent.click(screen.getByRole('button', { name: 'Favourite' }));
    await waitFor(() => expect(screen.queryByTestId('gallery-action-error')).toBeTruthy());
    await fireEvent.click(screen.getByRole('button', { name: 'Favourite' }));
    await waitFor(() => expect(screen.queryByTestId('gallery-action-error')).toBeNull());
  });
});
