import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { tick } from 'svelte';
import { catalogue } from '../create/fixtures';
import type { GalleryQuery } from '../lib/bindings';
import { fail, mockBindings, ok, tauriCore, type Result } from '../test/bindings';
import { APP_INFO, galleryItem, generationDetails as details } from '../test/generations';

const item = (id: number) => galleryItem(id);
/** Two pages: 1–3, then 4–5. */
const PAGES = new Map<string | null, { items: ReturnType<typeof item>[]; next_cursor: string | null }>([
  [null, { items: [item(1), item(2), item(3)], next_cursor: 'p2' }],
  ['p2', { items: [item(4), item(5)], next_cursor: null }],
]);

const galleryPage = vi.fn(async (q: GalleryQuery) => ok(PAGES.get(q.cursor ?? null)));
const setFavourite = vi.fn(async (_ids: number[], _favourite: boolean): Promise<Result> => ok(1));
const deleteGenerations = vi.fn(async (_ids: number[]): Promise<Result> => ok({ items: 1, files_removed: 1, bytes_removed: 10, platform: null }));
const requestFrom = vi.fn(async (id: number) => ok({ model: 'flux-schnell', inputs: { prompt: `fox ${id}`, seed: 7 }, parent_id: id, exact_rerun: false }));
const copyImage = vi.fn(async (_file: string): Promise<Result> => ok(null));
const generationDetails = vi.fn(async (id: number) => ok(details(item(id), { seed: 4242, cost_usd: 0.003 })));

vi.mock('../lib/bindings', () =>
  mockBindings({
    galleryPage: (q: GalleryQuery) => galleryPage(q),
    generationDetails: (id: number) => generationDetails(id),
    setFavourite: (ids: number[], favourite: boolean) => setFavourite(ids, favourite),
    deleteGenerations: (ids: number[]) => deleteGenerations(ids),
    requestFrom: (id: number) => requestFrom(id),
    copyImage: (file: string) => copyImage(file),
    revealFile: async () => ok(null),
    listCollections: async () => ok([]),
    modelCatalogue: async () => ok(catalogue),
  }),
);
vi.mock('@tauri-apps/api/core', () => tauriCore);

import GalleryScreen from '../screens/GalleryScreen.svelte';
import Viewer from './Viewer.svelte';
import { Gallery } from '../gallery/store.svelte';
import { nav } from '../lib/nav.svelte';

const info = APP_INFO;

const viewer = () => screen.getByTestId('viewer');
const shownId = () => viewer().dataset.id;
const scale = () => Number(viewer().dataset.scale);
const key = (k: string, init: KeyboardEventInit = {}) => fireEvent.keyDown(document.activeElement ?? document.body, { key: k, ...init });
const tile = (id: number) => {
  const found = document.querySelector<HTMLElement>(`.tile[data-id="${id}"]`);
  if (!found) throw new Error(`no tile ${id}`);
  return found;
};

/** The viewer alone over a gallery whose first page (1–3) is loaded. */
async function openViewer(startId: number, prepare?: (g: Gallery) => void) {
  const gallery = new Gallery();
  prepare?.(gallery);
  await gallery.reload();
  const start = gallery.items.find((it) => it.id === startId)!;
  const onClose = vi.fn();
  const onError = vi.fn();
  render(Viewer, { props: { source: gallery, start, dataDir: '/data', onClose, onError } });
  await tick();
  return { gallery, onClose, onError };
}

// jsdom lays nothing out: every element is 1000 × 500 (the stage, so fit is 0.5 for a 2000 × 1000
// image) and 800 × 600 for the grid's virtualizer, which renders tiles only with a size.
const sizes = { clientWidth: 1000, clientHeight: 500, offsetWidth: 800, offsetHeight: 600 };
const originals = Object.fromEntries(Object.keys(sizes).map((k) => [k, Object.getOwnPropertyDescriptor(HTMLElement.prototype, k)]));
const originalDecode = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'decode');

beforeAll(() => {
  for (const [k, v] of Object.entries(sizes)) Object.defineProperty(HTMLElement.prototype, k, { configurable: true, get: () => v });
});
afterAll(() => {
  for (const [k, d] of Object.entries(originals)) if (d) Object.defineProperty(HTMLElement.prototype, k, d);
});
beforeEach(() => {
  // jsdom decodes nothing; by default an image "decodes" at once.
  Object.defineProperty(HTMLImageElement.prototype, 'decode', { configurable: true, value: () => Promise.resolve() });
  for (const f of [galleryPage, setFavourite, deleteGenerations, requestFrom, generationDetails]) f.mockClear();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  if (originalDecode) Object.defineProperty(HTMLImageElement.prototype, 'decode', originalDecode);
  else Reflect.deleteProperty(HTMLImageElement.prototype, 'decode');
});

describe('Opening the viewer from the grid', () => {
  it('Enter on a focused tile opens a labelled modal dialog on that item; a click opens the details instead', async () => {
    const user = userEvent.setup();
    render(GalleryScreen, { props: { info } });
    const first = await waitFor(() => tile(1));
    await user.click(tile(2));
    await waitFor(() => expect(screen.getByTestId('details-prompt').textContent).toBe('fox 2'));
    expect(screen.queryByTestId('viewer')).toBeNull();

    first.focus();
    // Enter is taken (default prevented), so it does not click the tile as well: that would open the details.
    expect(await fireEvent.keyDown(first, { key: 'Enter' })).toBe(false);
    const dialog = await waitFor(() => viewer());
    expect(dialog.getAttribute('role')).toBe('dialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.getAttribute('aria-labelledby')!)?.textContent).toBe('fox 1');
    expect(screen.getByRole('dialog', { name: 'fox 1' })).toBe(dialog);
    expect(shownId()).toBe('1');
    expect(dialog.contains(document.activeElement)).toBe(true);
    expect(screen.getByTestId('details-prompt').textContent).toBe('fox 2');
  });

  it('a double-click on a tile opens it too', async () => {
    render(GalleryScreen, { props: { info } });
    await fireEvent.dblClick(await waitFor(() => tile(3)));
    await waitFor(() => expect(shownId()).toBe('3'));
  });

  it('Esc goes back to the grid with the item shown last focused', async () => {
    const user = userEvent.setup();
    render(GalleryScreen, { props: { info } });
    (await waitFor(() => tile(1))).focus();
    await user.keyboard('{Enter}');
    await waitFor(() => viewer());
    await user.keyboard('{ArrowRight}');
    await waitFor(() => expect(shownId()).toBe('2'));
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('viewer')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(tile(2)));
  });

  it('keeps Tab inside the dialog, and takes the focus back from anything behind it', async () => {
    const user = userEvent.setup();
    render(GalleryScreen, { props: { info } });
    (await waitFor(() => tile(1))).focus();
    await user.keyboard('{Enter}');
    const dialog = await waitFor(() => viewer());
    const first = screen.getByTestId('viewer-zoom-out');
    const last = screen.getByTestId('viewer-info-toggle');
    last.focus();
    await user.tab();
    expect(document.activeElement).toBe(first);
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(last);
    tile(2).focus();
    expect(dialog.contains(document.activeElement)).toBe(true);
  });
});

describe('Flipping', () => {
  it('← and → walk the query, loading the next page at the end of what is loaded, with the same filters', async () => {
    const { gallery } = await openViewer(2, (g) => (g.filters = { ...g.filters, text: 'fox', favourite: true }));
    expect(gallery.items).toHaveLength(3);
    key('ArrowRight');
    await waitFor(() => expect(shownId()).toBe('3'));
    key('ArrowRight');
    await waitFor(() => expect(shownId()).toBe('4'));
    expect(galleryPage).toHaveBeenCalledTimes(2);
    expect(galleryPage.mock.calls[1]?.[0]).toMatchObject({ cursor: 'p2', text: 'fox', favourite: true });
    key('ArrowRight');
    await waitFor(() => expect(shownId()).toBe('5'));
    expect(screen.getByTestId<HTMLButtonElement>('viewer-next').disabled).toBe(true);
    key('ArrowLeft');
    await waitFor(() => expect(shownId()).toBe('4'));
    await fireEvent.click(screen.getByTestId('viewer-prev'));
    await waitFor(() => expect(shownId()).toBe('3'));
    expect(screen.getByTestId('viewer-prompt').textContent).toBe('fox 3');
  });

  it('shows the thumbnail at once, scaled to the image, and the original once it has decoded', async () => {
    const decoding = new Map<string, () => void>();
    Object.defineProperty(HTMLImageElement.prototype, 'decode', {
      configurable: true,
      value(this: HTMLImageElement) {
        return new Promise<void>((resolve) => decoding.set(this.src, resolve));
      },
    });
    await openViewer(1);
    const img = () => screen.getByTestId<HTMLImageElement>('viewer-image');
    expect(img().getAttribute('src')).toBe('asset:///data/thumbs/1.webp');
    expect(img().style.width).toBe('1000px'); // 2000 px at fit (0.5): the thumbnail stretched to the original's box
    // The neighbour is preloaded too (and only it: item 1 has no predecessor).
    expect([...decoding.keys()].sort()).toEqual(['asset:///data/images/1.webp', 'asset:///data/images/2.webp']);
    decoding.get('asset:///data/images/1.webp')?.();
    await waitFor(() => expect(img().getAttribute('src')).toBe('asset:///data/images/1.webp'));
  });
});

describe('Zoom and pan', () => {
  it('+ − 0 and 1 change the scale; the buttons do the same', async () => {
    await openViewer(1);
    expect(scale()).toBe(0.5);
    key('+');
    await tick();
    expect(scale()).toBe(0.75);
    key('=');
    await tick();
    expect(scale()).toBe(1);
    key('-');
    await tick();
    expect(scale()).toBe(0.75);
    key('0');
    await tick();
    expect(scale()).toBe(0.5);
    key('1');
    await tick();
    expect(scale()).toBe(1);
    await fireEvent.click(screen.getByTestId('viewer-zoom-fit'));
    expect(scale()).toBe(0.5);
    await fireEvent.click(screen.getByTestId('viewer-zoom-in'));
    expect(scale()).toBe(0.75);
    await fireEvent.click(screen.getByTestId('viewer-zoom-out'));
    expect(scale()).toBe(0.5);
    await fireEvent.click(screen.getByTestId('viewer-zoom-actual'));
    expect(scale()).toBe(1);
  });

  it('zoomed past the window, the arrows pan instead of flipping; the wheel zooms', async () => {
    await openViewer(1);
    key('1');
    await tick();
    const img = screen.getByTestId('viewer-image');
    const before = img.style.transform;
    key('ArrowLeft');
    await tick();
    expect(img.style.transform).not.toBe(before);
    key('ArrowRight');
    await tick();
    expect(shownId()).toBe('1');
    await fireEvent.wheel(img, { deltaY: 200 });
    expect(scale()).toBeLessThan(1);
  });
});

describe('Delete with undo', () => {
  it('sends nothing when undone, and puts the item back where it was', async () => {
    const { gallery } = await openViewer(2);
    vi.useFakeTimers();
    await fireEvent.click(screen.getByTestId('viewer-delete'));
    await tick();
    expect(shownId()).toBe('3');
    expect(gallery.items.map((i) => i.id)).toEqual([1, 3]);
    expect(screen.getByTestId('viewer-undo-bar')).toBeTruthy();
    await vi.advanceTimersByTimeAsync(4000);
    await fireEvent.click(screen.getByTestId('viewer-undo'));
    expect(shownId()).toBe('2');
    expect(gallery.items.map((i) => i.id)).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(deleteGenerations).not.toHaveBeenCalled();
    expect(screen.queryByTestId('viewer-undo-bar')).toBeNull();
  });

  it('sends the delete when the undo window has passed, not before', async () => {
    await openViewer(2);
    vi.useFakeTimers();
    key('Delete');
    await tick();
    expect(shownId()).toBe('3');
    await vi.advanceTimersByTimeAsync(4999);
    expect(deleteGenerations).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(deleteGenerations).toHaveBeenCalledWith([2]);
    expect(screen.queryByTestId('viewer-undo-bar')).toBeNull();
  });

  it('leaving the viewer during the window deletes at once', async () => {
    const { onClose } = await openViewer(2);
    vi.useFakeTimers();
    await fireEvent.click(screen.getByTestId('viewer-delete'));
    await tick();
    key('Escape');
    expect(deleteGenerations).toHaveBeenCalledWith([2]);
    expect(onClose).toHaveBeenCalledWith(expect.objectContaining({ id: 3 }));
  });

  it('a delete that fails puts the item back and says why', async () => {
    deleteGenerations.mockResolvedValueOnce(fail({ kind: 'storage', path: 'history.db', reason: 'disk full' }));
    const { gallery } = await openViewer(2);
    vi.useFakeTimers();
    key('Delete');
    await vi.advanceTimersByTimeAsync(5000);
    expect(screen.getByTestId('viewer-error').textContent).toBe('Could not read or write history.db: disk full');
    expect(gallery.items.map((i) => i.id)).toEqual([1, 2, 3]);
  });
});

describe('Actions', () => {
  const clipboard = Object.getOwnPropertyDescriptor(navigator, 'clipboard');
  const setClipboard = (writeText: (text: string) => Promise<void>) =>
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
  afterEach(() => {
    if (clipboard) Object.defineProperty(navigator, 'clipboard', clipboard);
    else Reflect.deleteProperty(navigator, 'clipboard');
  });

  it('copies the prompt, and says so when the clipboard refuses', async () => {
    const writeText = vi.fn(async (_text: string) => {});
    setClipboard(writeText);
    await openViewer(3);
    await fireEvent.click(screen.getByTestId('viewer-copy-prompt'));
    expect(writeText).toHaveBeenCalledWith('fox 3');
    expect(screen.queryByTestId('viewer-error')).toBeNull();

    setClipboard(async () => {
      throw new Error('Clipboard access denied');
    });
    await fireEvent.click(screen.getByTestId('viewer-copy-prompt'));
    await waitFor(() => expect(screen.getByTestId('viewer-error').textContent).toBe('Could not copy the prompt: Clipboard access denied'));
    expect(screen.getByTestId('viewer-error').getAttribute('role')).toBe('alert');
  });

  it('copies the image through Rust, and says so when the clipboard refuses', async () => {
    await openViewer(2);
    await fireEvent.click(screen.getByTestId('viewer-copy-image'));
    await waitFor(() => expect(copyImage).toHaveBeenCalledWith('images/2.webp'));
    expect(screen.queryByTestId('viewer-error')).toBeNull();

    copyImage.mockResolvedValueOnce({ status: 'error', error: { kind: 'internal', message: 'the system clipboard did not take the image' } });
    await fireEvent.click(screen.getByTestId('viewer-copy-image'));
    await waitFor(() =>
      expect(screen.getByTestId('viewer-error').textContent).toBe(
        'Could not copy the image: Something went wrong: the system clipboard did not take the image',
      ),
    );
  });

  it('favourites the item shown', async () => {
    const { gallery } = await openViewer(1);
    await fireEvent.click(screen.getByTestId('viewer-favourite'));
    await waitFor(() => expect(screen.getByTestId('viewer-favourite').getAttribute('aria-pressed')).toBe('true'));
    expect(setFavourite).toHaveBeenCalledWith([1], true);
    expect(gallery.items[0]?.favourite).toBe(true);
  });

  it('the strip shows the seed, size and cost, and folds away', async () => {
    await openViewer(1);
    await waitFor(() => expect(screen.getByTestId('viewer-seed').textContent).toBe('4242'));
    expect(screen.getByTestId('viewer-cost').textContent).toBe('$0.003 (estimate)');
    expect(screen.getByTestId('viewer-info').textContent).toContain('2000 × 1000');
    const toggle = screen.getByTestId('viewer-info-toggle');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    await fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(document.getElementById(toggle.getAttribute('aria-controls')!)?.hidden).toBe(true);
  });

  it('Re-run fills the Create form from the item shown and switches to Create', async () => {
    nav.screen = 'gallery';
    await openViewer(2);
    await fireEvent.click(screen.getByTestId('viewer-rerun'));
    await waitFor(() => expect(nav.screen).toBe('create'));
    expect(requestFrom).toHaveBeenCalledWith(2);
  });

  it('every control has an accessible name', async () => {
    await openViewer(1);
    for (const button of viewer().querySelectorAll('button')) {
      const name = button.getAttribute('aria-label') ?? button.textContent?.trim();
      expect(name, button.outerHTML).toBeTruthy();
    }
  });
});

describe('Lineage in the strip', () => {
  it('walks to a parent outside the list: ← goes back to where it came from, → on from there, Esc to that tile', async () => {
    const usual = generationDetails.getMockImplementation()!;
    // 2 was made from 9, which the list (1–5) does not hold.
    generationDetails.mockImplementation(async (id: number) =>
      ok(
        details(
          item(id),
          { seed: id, parent_id: id === 2 ? 9 : null },
          {
            images: [
              {
                id,
                idx: 0,
                file: `images/${id}.webp`,
                thumb: `thumbs/${id}.webp`,
                width: 2000,
                height: 1000,
                format: 'webp',
                bytes: 1,
                source_url: null,
                downloaded_at: id,
              },
            ],
            children: id === 9 ? [2] : [],
          },
        ),
      ),
    );
    try {
      const { onClose } = await openViewer(2);
      const toggle = screen.getByTestId('viewer-info-toggle');
      if (toggle.getAttribute('aria-expanded') !== 'true') await fireEvent.click(toggle);
      const node = (id: number) => document.querySelector<HTMLButtonElement>(`[data-testid='viewer-lineage'] [data-testid='lineage-node'][data-id='${id}']`);
      await waitFor(() => expect(node(9)?.getAttribute('aria-label')).toBe('Generation #9, flux-schnell, made it'));
      await fireEvent.click(node(9)!);
      await waitFor(() => expect(shownId()).toBe('9'));
      expect(screen.getByTestId('viewer-outside').textContent).toBe('Outside this list');
      expect(screen.getByTestId('viewer-delete').hasAttribute('disabled')).toBe(true);
      await waitFor(() => expect(node(9)?.getAttribute('aria-current')).toBe('true'));
      expect(node(2)?.dataset.relation).toBe('child');

      key('ArrowLeft');
      await waitFor(() => expect(shownId()).toBe('2'));
      await fireEvent.click(node(9)!);
      await waitFor(() => expect(shownId()).toBe('9'));
      key('ArrowRight');
      await waitFor(() => expect(shownId()).toBe('3'));
      await waitFor(() => expect(node(2)).toBeNull()); // 3 has no lineage

      await fireEvent.click(screen.getByTestId('viewer-prev'));
      await waitFor(() => expect(shownId()).toBe('2'));
      await waitFor(() => expect(node(9)).not.toBeNull());
      await fireEvent.click(node(9)!);
      await waitFor(() => expect(shownId()).toBe('9'));
      key('Escape');
      expect(onClose).toHaveBeenCalledWith(expect.objectContaining({ id: 2 }));
    } finally {
      generationDetails.mockImplementation(usual);
    }
  });
});
