import { describe, expect, it } from 'vitest';
import { highlightSegments } from './highlight';
import { gridLayout, rowSlice } from './layout';

describe('highlightSegments', () => {
  it('splits marked words out, keeping order', () => {
    expect(highlightSegments('a \u0002red\u0003 fox and \u0002reddish\u0003 sky')).toEqual([
      { text: 'a ', match: false },
      { text: 'red', match: true },
      { text: ' fox and ', match: false },
      { text: 'reddish', match: true },
      { text: ' sky', match: false },
    ]);
  });

  it('treats markup as text', () => {
    expect(highlightSegments('<img src=x onerror=1>')).toEqual([{ text: '<img src=x onerror=1>', match: false }]);
  });
});

describe('gridLayout', () => {
  it('fits as many columns of at least the minimum size as the width allows', () => {
    expect(gridLayout(1000, 180, 8)).toEqual({ columns: 5, tile: 193, rowHeight: 201 });
    expect(gridLayout(100, 180, 8).columns).toBe(1);
    expect(gridLayout(0, 180, 8).columns).toBe(1);
  });

  it('slices rows', () => {
    expect(rowSlice([1, 2, 3, 4, 5], 1, 2)).toEqual([3, 4]);
    expect(rowSlice([1, 2, 3, 4, 5], 2, 2)).toEqual([5]);
  });
});
