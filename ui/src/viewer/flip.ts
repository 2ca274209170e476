import type { GalleryItem } from '../lib/bindings';

/** The item the viewer shows and its index when last seen: the item may leave the list (deleted, unfavourited). */
export interface Position {
  item: GalleryItem;
  index: number;
}

/** What the viewer flips through: the gallery store's loaded items for the current query, and its next page. */
export interface Source {
  readonly items: GalleryItem[];
  readonly done: boolean;
  loadMore(): Promise<void>;
}

/** The index to go to from `pos`; when the shown item has left the list, its successor has taken its index. */
function targetIndex(items: GalleryItem[], pos: Position, dir: 1 | -1): number {
  const at = items.findIndex((it) => it.id === pos.item.id);
  if (at >= 0) return at + dir;
  return dir > 0 ? pos.index : pos.index - 1;
}

/**
 * The previous or next item of the query. At the end of what is loaded, the next page is loaded
 * first (the same store the grid reads, so the grid has it too). Null at either end.
 */
export async function neighbour(source: Source, pos: Position, dir: 1 | -1): Promise<Position | null> {
  const index = targetIndex(source.items, pos, dir);
  if (index < 0) return null;
  if (index >= source.items.length && !source.done) await source.loadMore();
  const item = source.items[index];
  return item ? { item, index } : null;
}

/** Where to stand after the shown item left the list at `index`: the next one, else the previous one, else nowhere. */
export async function afterRemoval(source: Source, index: number): Promise<Position | null> {
  if (index >= source.items.length && !source.done) await source.loadMore();
  const at = Math.min(index, source.items.length - 1);
  const item = source.items[at];
  return item ? { item, index: at } : null;
}

/** The items either side of `index`, the ones worth preloading. */
export function neighbours(items: GalleryItem[], index: number): GalleryItem[] {
  return [items[index - 1], items[index + 1]].filter((it): it is GalleryItem => it !== undefined);
}
