import { commands, type DateCount, type GalleryItem, type GalleryQuery, type Period, type Status } from '../lib/bindings';
import { messageOf, unwrap } from '../lib/errors';

export type DateRange = 'all' | '7d' | '30d' | '365d';

export interface Filters {
  text: string;
  favourite: boolean;
  model: string | null;
  status: Status | null;
  range: DateRange;
  collectionId: number | null;
}

export const EMPTY_FILTERS: Filters = {
  text: '',
  favourite: false,
  model: null,
  status: null,
  range: 'all',
  collectionId: null,
};

const DAY_MS = 24 * 3600 * 1000;
const PAGE = 100;

export function toQuery(f: Filters, cursor: string | null, now = Date.now()): GalleryQuery {
  const days = f.range === 'all' ? null : Number.parseInt(f.range, 10);
  return {
    cursor,
    limit: PAGE,
    text: f.text.trim() || null,
    favourite: f.favourite ? true : null,
    model: f.model,
    status: f.status,
    collection_id: f.collectionId,
    from: days === null ? null : now - days * DAY_MS,
    until: null,
  };
}

/** An item taken out of the list while its deletion can still be undone, and where it was. */
export interface Hidden {
  item: GalleryItem;
  index: number;
}

export function isFiltered(f: Filters): boolean {
  return JSON.stringify(f) !== JSON.stringify(EMPTY_FILTERS);
}

/** Where the grid starts after a jump to a date: the items created before `before`, and what to call it. */
export interface JumpTarget {
  before: number;
  label: string;
}

/** The gallery's items, pages and selection. Pages load in order; a filter change starts over. */
export class Gallery {
  // Raw, not deeply reactive: every change replaces the array (items are never edited in place), and a
  // deep proxy per item made each loaded page cost more as the list grew (tens of thousands of items).
  items = $state.raw<GalleryItem[]>([]);
  filters = $state<Filters>({ ...EMPTY_FILTERS });
  selected = $state<Set<number>>(new Set());
  loading = $state(false);
  error = $state<string | null>(null);
  /** What Flux Krea did with its copies of deleted account-mode images (signed in), shown once. */
  notice = $state<string | null>(null);
  done = $state(false);
  /** Bumped on every reload, so the grid can go back to the top for a new result set. */
  version = $state(0);
  /** Set after a jump to a date: the grid starts there (filters still apply) until Back to newest. */
  jumpedTo = $state<JumpTarget | null>(null);
  #cursor: string | null = null;
  #generation = 0;
  /** The page request in flight, so a second caller (the viewer at the end of the list) can wait for it. */
  #pending: Promise<void> | null = null;

  async reload(): Promise<void> {
    this.#generation += 1;
    this.version += 1;
    this.#cursor = null;
    this.items = [];
    this.done = false;
    this.loading = false;
    this.#pending = null;
    this.selected = new Set();
    await this.loadMore();
  }

  /** Loads the next page; while one is loading, waits for that one instead of asking twice. */
  loadMore(): Promise<void> {
    if (this.#pending) return this.#pending;
    if (this.done) return Promise.resolve();
    const pending = this.#loadPage().finally(() => {
      if (this.#pending === pending) this.#pending = null;
    });
    this.#pending = pending;
    return pending;
  }

  async #loadPage(): Promise<void> {
    const generation = this.#generation;
    this.loading = true;
    this.error = null;
    if (this.#cursor === null && !performance.getEntriesByName('gallery-first-request').length) {
      // User Timing for scripts/measure-startup.sh: the Gallery asks for its first page.
      performance.mark('gallery-first-request');
    }
    try {
      const query = toQuery(this.filters, this.#cursor);
      const jump = this.#cursor === null ? this.jumpedTo : null;
      const page = await unwrap(jump ? commands.galleryJump(query, jump.before) : commands.galleryPage(query));
      if (generation !== this.#generation) return; // a newer reload owns the list now
      if (this.#cursor === null && !performance.getEntriesByName('gallery-first-page').length) {
        // User Timing for scripts/measure-startup.sh: the first page of the history has arrived.
        performance.mark('gallery-first-page');
      }
      this.items = this.items.concat(page.items);
      this.#cursor = page.next_cursor;
      this.done = page.next_cursor === null;
    } catch (e) {
      if (generation === this.#generation) this.error = messageOf(e);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  setFilters(patch: Partial<Filters>): Promise<void> {
    this.filters = { ...this.filters, ...patch };
    // A time range and a jump both say where in time to look: the newer choice wins.
    if (patch.range !== undefined) this.jumpedTo = null;
    return this.reload();
  }

  /** Shows the grid from a date: its newest item first, older ones below. */
  jumpTo(target: JumpTarget): Promise<void> {
    this.jumpedTo = target;
    return this.reload();
  }

  backToNewest(): Promise<void> {
    this.jumpedTo = null;
    return this.reload();
  }

  /** The months or days holding items for the current filters and search, newest first. */
  dates(period: Period): Promise<DateCount[]> {
    return unwrap(commands.galleryDates(toQuery(this.filters, null), period));
  }

  toggleSelected(id: number): void {
    const next = new Set(this.selected);
    if (!next.delete(id)) next.add(id);
    this.selected = next;
  }

  clearSelection(): void {
    this.selected = new Set();
  }

  async setFavourite(ids: number[], favourite: boolean): Promise<void> {
    await unwrap(commands.setFavourite(ids, favourite));
    const set = new Set(ids);
    this.items = this.items.map((it) => (set.has(it.id) ? { ...it, favourite } : it));
    if (this.filters.favourite && !favourite) this.items = this.items.filter((it) => !set.has(it.id));
  }

  /** Takes an item out of the list (not the history): the viewer's delete, until its undo window passes. */
  hide(id: number): Hidden | null {
    const index = this.items.findIndex((it) => it.id === id);
    const item = this.items[index];
    if (!item) return null;
    this.items = [...this.items.slice(0, index), ...this.items.slice(index + 1)];
    if (this.selected.has(id)) this.selected = new Set([...this.selected].filter((s) => s !== id));
    return { item, index };
  }

  /** Puts a hidden item back where it was (undo, or a delete that failed). */
  restore({ item, index }: Hidden): void {
    if (this.items.some((it) => it.id === item.id)) return; // a reload brought it back already
    this.items = [...this.items.slice(0, index), item, ...this.items.slice(index)];
  }

  async remove(ids: number[]): Promise<void> {
    const report = await unwrap(commands.deleteGenerations(ids));
    this.notice = report.platform ?? null;
    const set = new Set(ids);
    this.items = this.items.filter((it) => !set.has(it.id));
    this.selected = new Set([...this.selected].filter((id) => !set.has(id)));
  }
}
