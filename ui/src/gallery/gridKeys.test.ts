import { describe, expect, it } from 'vitest';
import { gridStep, tabStop } from './gridKeys';

// 3 columns, 8 items:  0 1 2 / 3 4 5 / 6 7
describe('gridStep', () => {
  it('walks the grid as it is laid out', () => {
    expect(gridStep('ArrowRight', 0, 3, 8)).toBe(1);
    expect(gridStep('ArrowRight', 2, 3, 8)).toBe(3);
    expect(gridStep('ArrowLeft', 3, 3, 8)).toBe(2);
    expect(gridStep('ArrowDown', 1, 3, 8)).toBe(4);
    expect(gridStep('ArrowUp', 4, 3, 8)).toBe(1);
    expect(gridStep('Home', 5, 3, 8)).toBe(0);
    expect(gridStep('End', 1, 3, 8)).toBe(7);
  });

  it('goes down into a shorter last row onto its last tile', () => {
    expect(gridStep('ArrowDown', 5, 3, 8)).toBe(7);
  });

  it('stops at the edges and ignores other keys', () => {
    expect(gridStep('ArrowLeft', 0, 3, 8)).toBeNull();
    expect(gridStep('ArrowUp', 2, 3, 8)).toBeNull();
    expect(gridStep('ArrowRight', 7, 3, 8)).toBeNull();
    expect(gridStep('ArrowDown', 7, 3, 8)).toBeNull();
    expect(gridStep('ArrowDown', 6, 3, 8)).toBeNull();
    expect(gridStep('Enter', 1, 3, 8)).toBeNull();
    expect(gridStep('ArrowRight', 0, 3, 0)).toBeNull();
  });
});

describe('tabStop', () => {
  it('keeps the focused tile while it is rendered, else the first rendered', () => {
    expect(tabStop([4, 5, 6], 5)).toBe(5);
    expect(tabStop([4, 5, 6], 9)).toBe(4);
    expect(tabStop([4, 5, 6], null)).toBe(4);
    expect(tabStop([], 2)).toBeNull();
  });
});
