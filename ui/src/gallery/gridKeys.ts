/**
 * Keyboard movement in the Gallery's grid: the arrows walk the tiles as they are laid out, Home
 * and End go to the first and last loaded one. The grid is one Tab stop (a roving tabindex), so
 * Tab leaves it at once instead of walking hundreds of tiles.
 */

/** The index the key moves to from `index`, or null when the key is not a move or goes nowhere. */
export function gridStep(key: string, index: number, columns: number, count: number): number | null {
  if (count === 0) return null;
  let next: number;
  switch (key) {
    case 'ArrowRight':
      next = index + 1;
      break;
    case 'ArrowLeft':
      next = index - 1;
      break;
    case 'ArrowDown':
      // Down into a shorter last row lands on its last tile rather than nowhere.
      next = index + columns < count ? index + columns : Math.floor(index / columns) < Math.floor((count - 1) / columns) ? count - 1 : index;
      break;
    case 'ArrowUp':
      next = index - columns;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = count - 1;
      break;
    default:
      return null;
  }
  return next >= 0 && next < count && next !== index ? next : null;
}

/** The one tile Tab reaches: the last focused one while it is rendered, else the first rendered. */
export function tabStop(rendered: readonly number[], focused: number | null): number | null {
  if (focused !== null && rendered.includes(focused)) return focused;
  return rendered[0] ?? null;
}
