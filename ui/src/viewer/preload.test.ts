import { describe, expect, it } from 'vitest';
import { Preloader } from './preload';

/** Images whose decode() resolves at once and that remember every src they were given. */
function fakeImages() {
  const made: HTMLImageElement[] = [];
  const make = () => {
    const img = document.createElement('img');
    img.decode = () => Promise.resolve();
    made.push(img);
    return img;
  };
  return { made, make };
}

describe('Preloader', () => {
  it('holds only the current image and its neighbours while flipping through hundreds', async () => {
    const { made, make } = fakeImages();
    const p = new Preloader(make);
    const url = (i: number) => `asset:///data/images/${i}.webp`;
    for (let i = 1; i < 300; i++) {
      p.keep([url(i), url(i - 1), url(i + 1)]);
      expect(p.urls.length).toBeLessThanOrEqual(3);
    }
    expect(p.urls.sort()).toEqual([url(298), url(299), url(300)].sort());
    // Every dropped image had its load stopped (src cleared), so nothing keeps it alive.
    const live = made.filter((img) => img.getAttribute('src'));
    expect(live).toHaveLength(3);
  });

  it('reports an image ready once decoded, and drops readiness with the image', async () => {
    const { make } = fakeImages();
    const p = new Preloader(make);
    await p.decoded('a');
    expect(p.ready('a')).toBe(true);
    p.keep(['b']);
    expect(p.ready('a')).toBe(false);
    expect(p.urls).toEqual(['b']);
  });

  it('loads an image once however often it is asked for', async () => {
    const { made, make } = fakeImages();
    const p = new Preloader(make);
    p.keep(['a', 'b']);
    p.keep(['a', 'b', 'c']);
    await p.decoded('a');
    expect(made).toHaveLength(3);
  });
});
