import type { GalleryItem, GenerationDetails } from '../lib/bindings';
import type { Hidden } from '../gallery/store.svelte';

/**
 * One image the viewer can show: a gallery record, whose cover is the image. Create's results show
 * image N of a generation: the cover fields are that image's, and `image_idx` says which it is.
 */
export type ViewerItem = GalleryItem & { image_idx?: number };

/** The same image (a generation has up to four). */
export function sameImage(a: ViewerItem, b: ViewerItem): boolean {
  return a.id === b.id && (a.image_idx ?? 0) === (b.image_idx ?? 0);
}

/**
 * The item the viewer shows and its index when last seen: the item may leave the list (deleted,
 * unfavourited) or never have been in it (walked to along its lineage); then `index` is where its
 * successor stands.
 */
export interface Position {
  item: ViewerItem;
  index: number;
}

/** What the viewer flips through: the gallery's loaded items for the current query and its next page, or Create's results. */
export interface Source {
  readonly items: ViewerItem[];
  readonly done: boolean;
  loadMore(): Promise<void>;
}

/** Everything the viewer asks of its list: the Gallery's store, or Create's results (which have no delete). */
export interface ViewerSource extends Source {
  readonly error: string | null;
  setFavourite(ids: number[], favourite: boolean): Promise<void>;
  hide?(id: number): Hidden | null;
  restore?(hidden: Hidden): void;
  remove?(ids: number[]): Promise<void>;
}

/** The index to go to from `pos`; when the shown item is not in the list, its successor has taken its index. */
function targetIndex(items: ViewerItem[], pos: Position, dir: 1 | -1): number {
  const at = items.findIndex((it) => sameImage(it, pos.item));
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
export function neighbours(items: ViewerItem[], index: number): ViewerItem[] {
  return [items[index - 1], items[index + 1]].filter((it): it is ViewerItem => it !== undefined);
}

/** A generation read by id (walked to along its lineage) as the viewer shows it: its first image. */
export function itemOf(d: GenerationDetails): ViewerItem {
  const g = d.generation;
  const first = d.images[0];
  return {
    id: g.id,
    provider: g.provider,
    model: g.model,
    prompt: g.prompt,
    highlighted_prompt: null,
    status: g.status,
    favourite: g.favourite,
    created_at: g.created_at,
    images_returned: g.images_returned,
    cover_file: first?.file ?? null,
    cover_thumb: first?.thumb ?? null,
    cover_width: first?.width ?? null,
    cover_height: first?.height ?? null,
  };
}

/**
 * Where a generation walked to along the lineage stands in the list: at its own place when the
 * query has it (first image), else just after the item it was reached from, so ← goes back there
 * and → goes on to that item's successor.
 */
export function walkedTo(items: ViewerItem[], from: Position, to: ViewerItem): Position {
  const at = items.findIndex((it) => it.id === to.id && (it.image_idx ?? 0) === 0);
  if (at >= 0) return { item: items[at]!, index: at };
  const here = items.findIndex((it) => sameImage(it, from.item));
  return { item: to, index: here >= 0 ? here + 1 : from.index };
}
