import { afterEach, describe, expect, it, vi } from 'vitest';
import { announce, fillTextarea, NO_WALK, showsRecalled, step, textAt, walks, type Walk } from './recall';

const items = ['newest', 'older', 'oldest'];

describe('recall walk', () => {
  it('walks from an empty box or an unchanged recalled prompt only', () => {
    expect(walks(NO_WALK, '', 'ArrowUp')).toBe(true);
    expect(walks(NO_WALK, '', 'ArrowDown')).toBe(false);
    expect(walks(NO_WALK, 'typed', 'ArrowUp')).toBe(false);
    const at: Walk = { items, index: 1 };
    expect(showsRecalled(at, 'older')).toBe(true);
    expect(walks(at, 'older', 'ArrowUp')).toBe(true);
    expect(walks(at, 'older', 'ArrowDown')).toBe(true);
    // Edited after recall: the arrows move the caret again.
    expect(walks(at, 'older!', 'ArrowUp')).toBe(false);
    expect(walks(at, 'older', 'Enter')).toBe(false);
  });

  it('goes back to older prompts, forward to newer, and past the newest to the empty prompt', () => {
    let walk: Walk = { items, index: -1 };
    const seen: string[] = [];
    for (const key of ['ArrowUp', 'ArrowUp', 'ArrowUp'] as const) {
      walk = step(walk, key) ?? walk;
      seen.push(textAt(walk));
    }
    expect(seen).toEqual(['newest', 'older', 'oldest']);
    expect(step(walk, 'ArrowUp')).toBeNull();
    expect(announce(walk)).toBe('Earlier prompt 3 of 3.');
    walk = step({ items, index: 0 }, 'ArrowDown') ?? walk;
    expect(walk.index).toBe(-1);
    expect(textAt(walk)).toBe('');
    expect(announce(walk)).toBe('Back to an empty prompt.');
    expect(step(walk, 'ArrowDown')).toBeNull();
  });
});

describe('fillTextarea', () => {
  const original = document.execCommand;
  afterEach(() => {
    document.execCommand = original;
  });

  it('types the text with the editing command when there is one, so undo works', () => {
    const box = document.createElement('textarea');
    document.body.append(box);
    box.value = 'old';
    const exec = vi.fn((command: string, _ui?: boolean, text?: string) => {
      expect(box.selectionStart).toBe(0);
      expect(box.selectionEnd).toBe(3); // the whole old text is replaced
      if (command === 'insertText') box.value = text ?? '';
      return true;
    });
    document.execCommand = exec as typeof document.execCommand;
    fillTextarea(box, 'new text');
    expect(exec).toHaveBeenCalledWith('insertText', false, 'new text');
    expect(box.value).toBe('new text');
    expect(document.activeElement).toBe(box);
    box.remove();
  });

  it('sets the value where the command is missing or refused', () => {
    const box = document.createElement('textarea');
    box.value = 'old';
    document.execCommand = (() => false) as typeof document.execCommand;
    fillTextarea(box, 'new');
    expect(box.value).toBe('new');
    fillTextarea(box, '');
    expect(box.value).toBe('');
  });
});
