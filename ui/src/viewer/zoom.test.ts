import { describe, expect, it } from 'vitest';
import { clampPan, FIT, fitScale, pannable, step, wheelFactor, zoomTo } from './zoom';

const image = { width: 2000, height: 1000 };
const viewport = { width: 1000, height: 800 };

describe('zoom geometry', () => {
  it('fits the whole image in the viewport, and shows 1:1 while a size is unknown', () => {
    expect(fitScale(image, viewport)).toBe(0.5);
    expect(fitScale({ width: 500, height: 1000 }, viewport)).toBe(0.8);
    expect(fitScale(image, { width: 0, height: 0 })).toBe(1);
    expect(fitScale(null, viewport)).toBe(1);
  });

  it('steps through stops that include 100 %, from any scale', () => {
    expect(step(0.5, 1)).toBe(0.75);
    expect(step(0.6, 1)).toBe(0.75);
    expect(step(0.6, -1)).toBe(0.5);
    expect(step(0.75, 1)).toBe(1);
    expect(step(8, 1)).toBe(8);
    expect(step(0.1, -1)).toBe(0.05);
  });

  it('keeps the point under the cursor in place when zooming there', () => {
    const at = { x: 200, y: 100 };
    const next = zoomTo(FIT, 1, image, viewport, at);
    // At fit (0.5) the image pixel under `at` is (400, 200) from the image's centre; at 1 it is still under `at`.
    expect(next).toMatchObject({ fit: false, scale: 1 });
    expect((at.x - next.x) / next.scale).toBeCloseTo(400);
    expect((at.y - next.y) / next.scale).toBeCloseTo(200);
  });

  it('cannot pan an image off the viewport, and centres a side smaller than it', () => {
    const zoomed = { fit: false, scale: 1, x: 0, y: 0 };
    expect(clampPan({ ...zoomed, x: 5000, y: 5000 }, image, viewport)).toMatchObject({ x: 500, y: 100 });
    expect(clampPan({ ...zoomed, scale: 0.5, x: 300, y: -300 }, image, viewport)).toMatchObject({ x: 0, y: 0 });
  });

  it('pans only when the image is larger than the viewport', () => {
    expect(pannable(FIT, image, viewport)).toBe(false);
    expect(pannable({ fit: false, scale: 0.5, x: 0, y: 0 }, image, viewport)).toBe(false);
    expect(pannable({ fit: false, scale: 0.75, x: 0, y: 0 }, image, viewport)).toBe(true);
  });

  it('zooms in on a wheel turned away (negative delta) and a pinch is finer than a notch', () => {
    expect(wheelFactor({ deltaY: -100, deltaMode: 0, ctrlKey: false })).toBeGreaterThan(1);
    expect(wheelFactor({ deltaY: 100, deltaMode: 0, ctrlKey: false })).toBeLessThan(1);
    expect(wheelFactor({ deltaY: -3, deltaMode: 1, ctrlKey: false })).toBeCloseTo(wheelFactor({ deltaY: -48, deltaMode: 0, ctrlKey: false }));
    expect(wheelFactor({ deltaY: -10, deltaMode: 0, ctrlKey: true })).toBeGreaterThan(wheelFactor({ deltaY: -10, deltaMode: 0, ctrlKey: false }));
  });
});
