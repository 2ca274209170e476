import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/svelte';
import { mockBindings, ok } from '../test/bindings';
import { galleryItem, generationDetails as details } from '../test/generations';
import source from './DetailsPanel.svelte?raw';

/** The image record the panel is showing. */
let record = { width: 1024, height: 1024 };

vi.mock('../lib/bindings', () =>
  mockBindings({
    generationDetails: async (id: number) =>
      ok(
        details(
          galleryItem(id, { prompt: 'a red fox', created_at: 1 }),
          { seed: 1, completed_at: 2 },
          { images: [{ id: 1, idx: 0, file: 'images/7-0.webp', thumb: null, ...record, format: 'webp', bytes: 1, source_url: null, downloaded_at: 1 }] },
        ),
      ),
  }),
);
vi.mock('@tauri-apps/api/core', async () => (await import('../test/bindings')).tauriCore);

import DetailsPanel from './DetailsPanel.svelte';

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

/**
 * The preview once showed a grey box with a sliver of the picture: the box shrank in the panel's
 * flex column and was square whatever the picture. jsdom lays nothing out (no sizes, so a panel
 * width changes nothing here), but it does cascade styles: the panel's own stylesheet is loaded
 * (unscoped) and the rules that prevent the sliver are checked on the elements they apply to. The
 * box keeps the record's shape and never shrinks; the picture fills it whole, contained.
 */
describe('The details preview shows the whole image', () => {
  beforeAll(() => {
    const style = document.createElement('style');
    style.textContent = source.match(/<style>([\s\S]*)<\/style>/)?.[1] ?? '';
    document.head.append(style);
  });
  afterEach(() => cleanup());

  async function preview(width: number, height: number) {
    record = { width, height };
    render(DetailsPanel, { props });
    const box = await waitFor(() => screen.getByTestId('details-preview'));
    const img = box.querySelector('img')!;
    return { box: getComputedStyle(box), img, imgStyle: getComputedStyle(img) };
  }

  const shapes = [
    { name: 'landscape', width: 1344, height: 768 },
    { name: 'portrait', width: 768, height: 1344 },
  ];

  for (const { name, width, height } of shapes) {
    it(`${name} ${width} × ${height}: the box has the image's shape and never shrinks, and the picture fills it`, async () => {
      const { box, img, imgStyle } = await preview(width, height);
      const [w = NaN, h = 1] = box.aspectRatio.split('/').map((n) => Number(n.trim()));
      expect(w / h).toBeCloseTo(width / height);
      expect(box.flexShrink).toBe('0');
      // The width rule caps a tall picture's height by narrowing the box, so it keeps its shape.
      expect(box.getPropertyValue('--ratio')).toBe(String(width / height));
      // Width and height on the element reserve the box before the picture has loaded.
      expect(img.getAttribute('width')).toBe(String(width));
      expect(img.getAttribute('height')).toBe(String(height));
      expect(imgStyle.objectFit).toBe('contain');
      expect(imgStyle.position).toBe('absolute');
      expect([imgStyle.width, imgStyle.height]).toEqual(['100%', '100%']);
    });
  }
});
