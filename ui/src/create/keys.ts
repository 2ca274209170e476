/** Arrow keys in a radio group: +1 for Right/Down, -1 for Left/Up, 0 for anything else. */
export function arrowStep(key: string): -1 | 0 | 1 {
  if (key === 'ArrowRight' || key === 'ArrowDown') return 1;
  if (key === 'ArrowLeft' || key === 'ArrowUp') return -1;
  return 0;
}

/** Moves a radio group's selection with the arrow keys, wrapping, and focuses the new option. */
export function radioKeydown(event: KeyboardEvent, options: readonly string[], current: string, select: (option: string) => void): void {
  const step = arrowStep(event.key);
  if (!step || options.length === 0) return;
  event.preventDefault();
  const index = options.indexOf(current);
  const next = options[(Math.max(0, index) + step + options.length) % options.length];
  if (next === undefined) return;
  select(next);
  const group = (event.currentTarget as HTMLElement).closest('[role="radiogroup"]');
  const target = [...(group?.querySelectorAll<HTMLElement>('[data-option]') ?? [])].find((el) => el.dataset.option === next);
  queueMicrotask(() => target?.focus());
}
