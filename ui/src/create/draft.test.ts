import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DraftKeeper, isBlank, type Draft } from './draft';

const draft = (prompt: string, patch: Partial<Draft> = {}): Draft => ({ model: 'flux-dev', prompt, models: [], style: null, ...patch });

describe('DraftKeeper', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves nothing before the stored draft was read', async () => {
    const save = vi.fn(async () => null);
    const keeper = new DraftKeeper(500, save);
    keeper.changed(draft('typed before the draft loaded'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(save).not.toHaveBeenCalled();
  });

  it('saves the last change once, shortly after typing stops, and not the draft it started from', async () => {
    const save = vi.fn(async (_d: Draft) => null);
    const keeper = new DraftKeeper(500, save);
    keeper.begin(draft('restored'));
    keeper.changed(draft('restored'));
    await vi.advanceTimersByTimeAsync(600);
    expect(save).not.toHaveBeenCalled();
    keeper.changed(draft('a'));
    await vi.advanceTimersByTimeAsync(300);
    keeper.changed(draft('ab'));
    await vi.advanceTimersByTimeAsync(499);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith(draft('ab'));
    keeper.changed(draft('ab'));
    await vi.advanceTimersByTimeAsync(600);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('tries again on the next change after a failed save', async () => {
    const save = vi.fn(async (_d: Draft) => {
      throw new Error('disk full');
    });
    const keeper = new DraftKeeper(10, save);
    keeper.begin(draft(''));
    keeper.changed(draft('x'));
    await vi.advanceTimersByTimeAsync(20);
    keeper.changed(draft('x', { models: ['flux-schnell'] }));
    await vi.advanceTimersByTimeAsync(20);
    keeper.changed(draft('x'));
    await vi.advanceTimersByTimeAsync(20);
    expect(save).toHaveBeenCalledTimes(3);
  });

  it('knows a blank draft', () => {
    expect(isBlank(draft('  '))).toBe(true);
    expect(isBlank(draft('', { style: 'Noir' }))).toBe(false);
    expect(isBlank(draft('', { models: ['flux-schnell'] }))).toBe(false);
  });
});
