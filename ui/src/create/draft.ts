// The Create screen's draft (#23): kept by the core, never in the webview's storage, because the
// privacy erasures can clear the core's copy and cannot reach the webview's.

import { commands, type PromptDraft_Serialize } from '../lib/bindings';
import { unwrap } from '../lib/errors';

export type Draft = PromptDraft_Serialize;

/** Nothing worth keeping: the core removes its copy when it gets one of these. */
export const isBlank = (draft: Draft): boolean => draft.prompt.trim() === '' && draft.models.length === 0 && draft.style === null;

/**
 * Saves the draft shortly after it changes. Nothing is saved before `begin` (the stored draft is
 * not read yet, and the empty form would replace it) nor when the draft is the one last kept.
 */
export class DraftKeeper {
  #ready = false;
  #last = '';
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly delay = 500,
    private readonly save: (draft: Draft) => Promise<unknown> = (draft) => unwrap(commands.saveDraft(draft)),
  ) {}

  /** The stored draft was read (and applied or not): from now on, changes from `current` are saved. */
  begin(current: Draft): void {
    this.#ready = true;
    this.#last = JSON.stringify(current);
  }

  get ready(): boolean {
    return this.#ready;
  }

  changed(draft: Draft): void {
    if (!this.#ready) return;
    clearTimeout(this.#timer);
    const key = JSON.stringify(draft);
    if (key === this.#last) return;
    this.#timer = setTimeout(() => {
      this.save(draft).then(
        () => (this.#last = key),
        // A lost draft is not worth an error on the screen; the next change tries again.
        () => {},
      );
    }, this.delay);
  }

  /** After an erasure: nothing pending is saved, and `current` counts as kept. */
  forget(current: Draft): void {
    clearTimeout(this.#timer);
    this.#last = JSON.stringify(current);
  }

  reset(): void {
    clearTimeout(this.#timer);
    this.#ready = false;
    this.#last = '';
  }
}
