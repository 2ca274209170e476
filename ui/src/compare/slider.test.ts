import { describe, expect, it } from 'vitest';
import { sliderAt, sliderKey } from './slider';

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
