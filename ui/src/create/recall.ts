// Recall of earlier prompts with ↑/↓ in the prompt box, like a shell's history.

/** A walk through earlier prompts: newest first; `index` -1 is the empty prompt the walk started from. */
export interface Walk {
  items: readonly string[];
  index: number;
}

export const NO_WALK: Walk = { items: [], index: -1 };

/** The box shows the prompt the walk put there, unchanged (so ↑/↓ keep walking instead of moving the caret). */
export function showsRecalled(walk: Walk, text: string): boolean {
  return walk.index >= 0 && walk.items[walk.index] === text;
}

/** Does this key walk (instead of moving the caret)? ↑ from an empty box or a recalled prompt; ↓ from a recalled prompt. */
export function walks(walk: Walk, text: string, key: string): boolean {
  if (key === 'ArrowUp') return text === '' || showsRecalled(walk, text);
  if (key === 'ArrowDown') return showsRecalled(walk, text);
  return false;
}

/** One step: ↑ older, ↓ newer; past the newest is the empty prompt again. Null when there is nowhere to go. */
export function step(walk: Walk, key: 'ArrowUp' | 'ArrowDown'): Walk | null {
  const index = walk.index + (key === 'ArrowUp' ? 1 : -1);
  if (index < -1 || index >= walk.items.length) return null;
  return { items: walk.items, index };
}

/** The text of a position: the prompt, or '' for the start. */
export const textAt = (walk: Walk): string => walk.items[walk.index] ?? '';

/** What a screen reader hears after a step. */
export function announce(walk: Walk): string {
  if (walk.index < 0) return 'Back to an empty prompt.';
  return `Earlier prompt ${walk.index + 1} of ${walk.items.length}.`;
}

/**
 * Replaces the box's text as typing would, so Ctrl+Z brings the old text back: the editing command
 * where the webview has it (it also fires `input`), else the value itself (no undo step then).
 */
export function fillTextarea(textarea: HTMLTextAreaElement, text: string): void {
  textarea.focus();
  textarea.select();
  let done = false;
  if (typeof document.execCommand === 'function') {
    try {
      done = text === '' ? document.execCommand('delete', false) : document.execCommand('insertText', false, text);
    } catch {
      done = false;
    }
  }
  if (!done || textarea.value !== text) textarea.value = text;
  textarea.setSelectionRange(text.length, text.length);
}
