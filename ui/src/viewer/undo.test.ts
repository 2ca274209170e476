import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UndoWindow } from './undo.svelte';

describe('UndoWindow', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('does the action when the window passes, not before', () => {
    const commit = vi.fn();
    const w = new UndoWindow<string>(5000);
    w.start('a', commit);
    vi.advanceTimersByTime(4999);
    expect(commit).not.toHaveBeenCalled();
    expect(w.pending).toBe('a');
    vi.advanceTimersByTime(1);
    expect(commit).toHaveBeenCalledWith('a');
    expect(w.pending).toBeNull();
  });

  it('undo gives the value back and the action never happens', () => {
    const commit = vi.fn();
    const w = new UndoWindow<string>(5000);
    w.start('a', commit);
    expect(w.undo()).toBe('a');
    vi.advanceTimersByTime(60_000);
    expect(commit).not.toHaveBeenCalled();
  });

  it('a second action does the first now; flush does the waiting one at once, once', () => {
    const commit = vi.fn();
    const w = new UndoWindow<string>(5000);
    w.start('a', commit);
    w.start('b', commit);
    expect(commit.mock.calls).toEqual([['a']]);
    w.flush();
    w.flush();
    vi.advanceTimersByTime(60_000);
    expect(commit.mock.calls).toEqual([['a'], ['b']]);
  });
});
