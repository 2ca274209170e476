import { commands, type GenerationDetails } from '../lib/bindings';
import { unwrap } from '../lib/errors';
import type { ResultImage } from '../create/queue.svelte';
import { itemOf, type ViewerItem, type ViewerSource } from './flip';

/**
 * Create's results as the viewer flips through them, in the card's order: every image of the newest
 * job, then the older results. An image whose generation could not be read is left out.
 */
export function resultItems(results: readonly ResultImage[], details: ReadonlyMap<number, GenerationDetails>): ViewerItem[] {
  return results.flatMap((r) => {
    const d = details.get(r.jobId);
    if (!d) return [];
    const image = d.images.find((i) => i.idx === r.idx);
    return [
      {
        ...itemOf(d),
        image_idx: r.idx,
        cover_file: image?.file ?? null,
        cover_thumb: image?.thumb ?? r.thumb,
        cover_width: image?.width ?? null,
        cover_height: image?.height ?? null,
      },
    ];
  });
}

/** The viewer's list over Create's results: read once when the viewer opens (a dozen images at most). */
export class ResultsSource implements ViewerSource {
  items = $state<ViewerItem[]>([]);
  error = $state<string | null>(null);
  readonly done = true;

  async open(results: readonly ResultImage[]): Promise<void> {
    const ids = [...new Set(results.map((r) => r.jobId))];
    const read = await Promise.allSettled(ids.map((id) => unwrap(commands.generationDetails(id))));
    const details = new Map<number, GenerationDetails>();
    read.forEach((r) => r.status === 'fulfilled' && details.set(r.value.generation.id, r.value));
    this.items = resultItems(results, details);
  }

  loadMore(): Promise<void> {
    return Promise.resolve();
  }

  async setFavourite(ids: number[], favourite: boolean): Promise<void> {
    await unwrap(commands.setFavourite(ids, favourite));
    const set = new Set(ids);
    this.items = this.items.map((it) => (set.has(it.id) ? { ...it, favourite } : it));
  }
}
