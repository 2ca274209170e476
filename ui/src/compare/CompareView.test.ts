import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { render, screen, fireEvent, waitFor, cleanup } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { GalleryQuery } from '../lib/bindings';
import { mockBindings, ok } from '../test/bindings';
import { APP_INFO, galleryItem, generationDetails as details } from '../test/generations';

const item = (id: number) => galleryItem(id, { model: 'flux-dev', created_at: 1_700_000_000_000 });
const ITEMS = [1, 2, 3, 4, 5].map(item);

const galleryPage = vi.fn(async (_q: GalleryQuery) => ok({ items: ITEMS, next_cursor: null }));
// Every generation the same but its seed (and prompt, from the item).
const generationDetails = vi.fn(async (id: number) => ok(details(item(id), { inputs: '{"num_inference_steps":28}', seed: 100 + id, cost_usd: 0.025 })));

vi.mock('../lib/bindings', () =>
  mockBindings({
    galleryPage: (q: GalleryQuery) => galleryPage(q),
    generationDetails: (id: number) => generationDetails(id),
    listCollections: async () => ok([]),
  }),
);
vi.mock('@tauri-apps/api/core', async () => (await import('../test/bindings')).tauriCore);

import GalleryScreen from '../screens/GalleryScreen.svelte';

const info = APP_INFO;

// jsdom lays nothing out: every element is 1000 × 500, and 800 × 600 for the grid's virtualizer.
const sizes = { clientWidth: 1000, clientHeight: 500, offsetWidth: 800, offsetHeight: 600 };
const originals = Object.fromEntries(Object.keys(sizes).map((k) => [k, Object.getOwnPropertyDescriptor(HTMLElement.prototype, k)]));
beforeAll(() => {
  for (const [k, v] of Object.entries(sizes)) Object.defineProperty(HTMLElement.prototype, k, { configurable: true, get: () => v });
});
afterAll(() => {
  for (const [k, d] of Object.entries(originals)) if (d) Object.defineProperty(HTMLElement.prototype, k, d);
});
afterEach(() => cleanup());

const tile = (id: number) => {
  const found = document.querySelector<HTMLElement>(`.tile[data-id="${id}"]`);
  if (!found) throw new Error(`no tile ${id}`);
  return found;
};

/** The Gallery with these tiles selected (Ctrl+click) and the compare view opened. */
async function openCompare(ids: number[]) {
  const user = userEvent.setup();
  render(GalleryScreen, { props: { info } });
  await waitFor(() => tile(ids[0]!));
  for (const id of ids) await fireEvent.click(tile(id), { ctrlKey: true });
  const button = screen.getByTestId('compare-open');
  await user.click(button);
  const view = await waitFor(() => screen.getByTestId('compare-view'));
  return { user, button, view };
}

describe('Compare', () => {
  it('is offered for two to four selected images', async () => {
    render(GalleryScreen, { props: { info } });
    await waitFor(() => tile(1));
    await fireEvent.click(tile(1), { ctrlKey: true });
    expect(screen.queryByTestId('compare-open')).toBeNull();
    for (const id of [2, 3, 4]) await fireEvent.click(tile(id), { ctrlKey: true });
    expect(screen.getByTestId<HTMLButtonElement>('compare-open').disabled).toBe(false);
    await fireEvent.click(tile(5), { ctrlKey: true });
    const button = screen.getByTestId<HTMLButtonElement>('compare-open');
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-label')).toBe('Compare (select at most 4)');
  });

  it('opens a labelled modal over the selection, with their parameters side by side and the differing ones marked', async () => {
    const { view } = await openCompare([2, 4]);
    expect(screen.getByRole('dialog', { name: 'Compare 2 images' })).toBe(view);
    expect(view.contains(document.activeElement)).toBe(true);
    expect(screen.getAllByTestId('compare-pane').map((p) => p.dataset.id)).toEqual(['2', '4']);
    const rows = await waitFor(() => screen.getAllByTestId('compare-diff-row'));
    const byKey = (k: string) => rows.find((r) => r.dataset.key === k)!;
    expect(byKey('seed').dataset.differs).toBe('true');
    expect(byKey('seed').textContent).toContain('differs');
    expect([...byKey('seed').querySelectorAll('td')].map((td) => td.textContent)).toEqual(['102', '104']);
    expect(byKey('prompt').dataset.differs).toBe('true');
    expect(byKey('model').dataset.differs).toBe('false');
    expect(byKey('model').textContent).not.toContain('differs');
    expect(byKey('steps').dataset.differs).toBe('false');
    expect(generationDetails.mock.calls.map((c) => c[0])).toEqual(expect.arrayContaining([2, 4]));
  });

  it('zooms and pans every image together', async () => {
    const { user } = await openCompare([1, 2, 3]);
    const widths = () => screen.getAllByTestId<HTMLImageElement>('viewer-image').map((img) => img.style.width);
    // Fitted: 2000 × 1000 in 1000 × 500 is 50 %.
    expect(widths()).toEqual(['1000px', '1000px', '1000px']);
    await fireEvent.wheel(screen.getAllByTestId('viewer-image')[1]!.parentElement!, { deltaY: -200 });
    const zoomed = widths();
    expect(zoomed[0]).not.toBe('1000px');
    expect(new Set(zoomed).size).toBe(1);
    await user.keyboard('{ArrowLeft}');
    const transforms = screen.getAllByTestId<HTMLImageElement>('viewer-image').map((img) => img.style.transform);
    expect(transforms[0]).toContain('translate(80px, 0px)');
    expect(new Set(transforms).size).toBe(1);
    await user.keyboard('0');
    expect(widths()).toEqual(['1000px', '1000px', '1000px']);
  });

  it('for two, a slider mode whose divider the keys move', async () => {
    const { user } = await openCompare([1, 3]);
    await user.click(screen.getByTestId('compare-mode-slider'));
    expect(screen.getByTestId('compare-mode-slider').getAttribute('aria-pressed')).toBe('true');
    const slider = screen.getByRole('slider', { name: 'Divider between image 1 and image 2' });
    expect(slider.dataset.testid).toBe('compare-slider');
    expect(slider.getAttribute('aria-valuenow')).toBe('50');
    slider.focus();
    await user.keyboard('{ArrowRight}');
    expect(slider.getAttribute('aria-valuenow')).toBe('51');
    await user.keyboard('{Shift>}{ArrowLeft}{/Shift}');
    expect(slider.getAttribute('aria-valuenow')).toBe('41');
    expect(slider.getAttribute('aria-valuetext')).toBe('41 % image 1, 59 % image 2');
    await user.keyboard('{End}');
    expect(slider.getAttribute('aria-valuenow')).toBe('100');
    await user.keyboard('{Home}');
    expect(slider.getAttribute('aria-valuenow')).toBe('0');
    expect(screen.getByTestId('compare-view')).toBeTruthy();
  });

  it("puts the slider's divider and cut on the image as shown, not on the pane around it", async () => {
    const { user } = await openCompare([1, 3]);
    await user.click(screen.getByTestId('compare-mode-slider'));
    const box = document.querySelector<HTMLElement>('.slider-box')!;
    const at = () => box.style.getPropertyValue('--at');
    // Fitted, 2000 × 1000 fills the 1000 × 500 pane: the middle is 500 px either way.
    expect(at()).toBe('500px');
    // Zoomed out to 25 %: a 500-px image centred in the pane, from 250 to 750.
    await user.keyboard('-');
    expect(screen.getAllByTestId<HTMLImageElement>('viewer-image')[0]!.style.width).toBe('500px');
    screen.getByTestId('compare-slider').focus();
    await user.keyboard('{Home}');
    expect(at()).toBe('250px');
    await user.keyboard('{End}');
    expect(at()).toBe('750px');
    expect(box.style.getPropertyValue('--span-top')).toBe('125px');
  });

  it('offers no slider for more than two', async () => {
    await openCompare([1, 2, 3]);
    expect(screen.queryByTestId('compare-mode-slider')).toBeNull();
  });

  it('Esc closes it, keeps the selection and gives the focus back to the Compare button', async () => {
    const { user } = await openCompare([1, 2]);
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('compare-view')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('compare-open')));
    expect(screen.getByTestId('bulk-bar').textContent).toContain('2 selected');
  });
});
