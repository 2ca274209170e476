import { describe, expect, it } from 'vitest';
import { dividerX, imageSpan, sliderAt, sliderKey } from './slider';

describe('sliderKey', () => {
  it('moves by one with the arrows and by ten with Shift or Page keys', () => {
    expect(sliderKey(50, 'ArrowLeft')).toBe(49);
    expect(sliderKey(50, 'ArrowRight')).toBe(51);
    expect(sliderKey(50, 'ArrowUp', true)).toBe(60);
    expect(sliderKey(50, 'PageDown')).toBe(40);
  });

  it('goes to the ends with Home and End and stays within them', () => {
    expect(sliderKey(50, 'Home')).toBe(0);
    expect(sliderKey(50, 'End')).toBe(100);
    expect(sliderKey(99, 'PageUp')).toBe(100);
    expect(sliderKey(0, 'ArrowLeft')).toBe(0);
  });

  it('leaves other keys alone', () => {
    expect(sliderKey(50, 'Escape')).toBeNull();
  });
});

describe('sliderAt', () => {
  it('maps a pointer to a percentage of the box, clamped', () => {
    expect(sliderAt(150, 100, 200)).toBe(25);
    expect(sliderAt(0, 100, 200)).toBe(0);
    expect(sliderAt(999, 100, 200)).toBe(100);
    expect(sliderAt(5, 0, 0)).toBe(50);
  });
});

describe('imageSpan and dividerX', () => {
  it('keep the divider on a square image fitted in a wide pane, not in the margins beside it', () => {
    // 1200-px pane, a 480-px wide image centred: it covers 360..840.
    const span = imageSpan(1200, 480, 0);
    expect(span).toEqual({ left: 360, width: 480 });
    expect(dividerX(0, span)).toBe(360);
    expect(dividerX(50, span)).toBe(600);
    expect(dividerX(100, span)).toBe(840);
  });

  it('follow a pan, and cut a zoomed image to the pane so the divider stays visible', () => {
    expect(imageSpan(1000, 400, 100)).toEqual({ left: 400, width: 400 });
    // 3000 px wide, panned 500 px right: from −500 (cut at 0) to 2500 (cut at 1000).
    const zoomed = imageSpan(1000, 3000, 500);
    expect(zoomed).toEqual({ left: 0, width: 1000 });
    expect(dividerX(25, zoomed)).toBe(250);
  });

  it('use the whole pane while the image size is unknown, and clamp the position', () => {
    expect(imageSpan(800, null, 0)).toEqual({ left: 0, width: 800 });
    expect(imageSpan(800, 0, 0)).toEqual({ left: 0, width: 800 });
    expect(dividerX(150, { left: 10, width: 100 })).toBe(110);
  });

  it('map a pointer over the image, not the pane, to a position', () => {
    const span = imageSpan(1200, 480, 0);
    expect(sliderAt(600 + 120, span.left, span.width)).toBe(75);
    expect(sliderAt(100, span.left, span.width)).toBe(0);
  });
});
