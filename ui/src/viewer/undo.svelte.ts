/** How long a delete in the viewer can be undone. */
export const UNDO_MS = 5000;

/**
 * One action held back for a few seconds so it can be undone (the viewer's delete). Starting
 * another does the one waiting first: one undo at a time. `flush` does it now (leaving the viewer
 * or the app), `undo` drops it.
 */
export class UndoWindow<T> {
  pending = $state<T | null>(null);
  #commit: ((value: T) => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly delay = UNDO_MS) {}

  start(value: T, commit: (value: T) => void): void {
    this.flush();
    this.pending = value;
    this.#commit = commit;
    this.#timer = setTimeout(() => this.flush(), this.delay);
  }

  /** Drops the action waiting, and gives it back so its effects can be reverted. */
  undo(): T | null {
    const value = this.pending;
    this.#clear();
    return value;
  }

  flush(): void {
    const value = this.pending;
    const commit = this.#commit;
    this.#clear();
    if (value !== null && commit) commit(value);
  }

  #clear(): void {
    clearTimeout(this.#timer);
    this.pending = null;
    this.#commit = null;
  }
}
