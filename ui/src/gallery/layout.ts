/** Grid geometry for the virtualized gallery: square tiles filling the width. */
export interface GridLayout {
  columns: number;
  tile: number;
  rowHeight: number;
}

export const GAP = 8;
export const MIN_TILE = 180;

export function gridLayout(width: number, minTile = MIN_TILE, gap = GAP): GridLayout {
  const usable = Math.max(0, width);
  const columns = Math.max(1, Math.floor((usable + gap) / (minTile + gap)));
  const tile = Math.max(1, Math.floor((usable - gap * (columns - 1)) / columns));
  return { columns, tile, rowHeight: tile + gap };
}

/** The items of row `row` when `columns` fit in a row. */
export function rowSlice<T>(items: readonly T[], row: number, columns: number): T[] {
  return items.slice(row * columns, row * columns + columns);
}
