import type { Generation, GenerationDetails } from '../lib/bindings';

/** One generation of a lineage as the tree shows it: a thumbnail, what it is, and its id. */
export interface LineageNode {
  id: number;
  /** "Kontext edit", "Re-run", "Remix", "Image to image", else the model. */
  label: string;
  model: string;
  /** Relative to the data folder; null when it has no image (failed, withheld). */
  thumb: string | null;
  /** Not in the history any more (deleted or purged): shown, not walkable. */
  missing: boolean;
}

/** Where a generation came from (root first) and what was made from it. */
export interface Chain {
  ancestors: LineageNode[];
  /** True when the ancestors go further back than the cap. */
  earlier: boolean;
  current: LineageNode;
  children: LineageNode[];
  /** Children not shown (past the cap, or past the history's own limit of listed children). */
  moreChildren: number;
}

export type FetchDetails = (id: number) => Promise<GenerationDetails>;

export const MAX_ANCESTORS = 8;
export const MAX_CHILDREN = 6;

const KONTEXT = /kontext/i;

/** What a generation is to its parent, as far as the records say. */
export function kindOf(g: Generation, parent: Generation | null, pictures: number): string {
  if (parent && g.model === parent.model && g.prompt === parent.prompt) {
    return g.seed != null && g.seed === parent.seed ? 'Re-run' : 'Remix';
  }
  if (KONTEXT.test(g.model) && (parent || pictures > 0)) return 'Kontext edit';
  if (parent && pictures > 0) return 'Image to image';
  return g.model;
}

function node(d: GenerationDetails, parent: Generation | null): LineageNode {
  const g = d.generation;
  const first = d.images[0];
  return {
    id: g.id,
    label: kindOf(g, parent, d.input_pictures.length),
    model: g.model,
    thumb: first ? (first.thumb ?? first.file) : null,
    missing: false,
  };
}

const missing = (id: number): LineageNode => ({ id, label: 'No longer in the history', model: '', thumb: null, missing: true });

/**
 * The chain of `details`: its ancestors up to the root (at most `maxAncestors`, nearest kept), then
 * its children (at most `maxChildren`). A parent that cannot be read ends the walk as a missing node.
 */
export async function buildChain(details: GenerationDetails, fetch: FetchDetails, maxAncestors = MAX_ANCESTORS, maxChildren = MAX_CHILDREN): Promise<Chain> {
  const up: GenerationDetails[] = [];
  const seen = new Set([details.generation.id]);
  let parentId = details.generation.parent_id ?? null;
  let lost: number | null = null;
  let earlier = false;
  while (parentId !== null && !seen.has(parentId)) {
    if (up.length === maxAncestors) {
      earlier = true;
      break;
    }
    seen.add(parentId);
    try {
      const d = await fetch(parentId);
      up.push(d);
      parentId = d.generation.parent_id ?? null;
    } catch {
      lost = parentId;
      break;
    }
  }
  const shown = details.children.slice(0, maxChildren);
  const kids = await Promise.all(
    shown.map((id) =>
      fetch(id).then(
        (d) => node(d, details.generation),
        () => missing(id),
      ),
    ),
  );
  // Nearest first while walking; the tree reads from the root down.
  const ancestors = up.map((d, i) => node(d, up[i + 1]?.generation ?? null)).reverse();
  if (lost !== null) ancestors.unshift(missing(lost));
  return {
    ancestors,
    earlier,
    current: node(details, up[0]?.generation ?? null),
    children: kids,
    moreChildren: details.children.length - shown.length,
  };
}

/** A details reader that asks once per id: walking up and down the same chain reads nothing twice. */
export function cachedFetch(fetch: FetchDetails, limit = 64): FetchDetails {
  const cache = new Map<number, Promise<GenerationDetails>>();
  return (id) => {
    let hit = cache.get(id);
    if (!hit) {
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
      hit = fetch(id);
      cache.set(id, hit);
      hit.catch(() => cache.delete(id)); // a failure is asked again next time
    }
    return hit;
  };
}

/** The name a screen reader hears for a node. */
export function nodeName(n: LineageNode): string {
  if (n.missing) return `Generation #${n.id}, no longer in the history`;
  if (!n.model) return `Generation #${n.id}`; // not read yet
  return n.label === n.model ? `Generation #${n.id}, ${n.model}` : `Generation #${n.id}, ${n.label} with ${n.model}`;
}

/** What is known before any other generation is read: the parent and children by id, so the tree has its size at once. */
export function provisionalChain(details: GenerationDetails, maxChildren = MAX_CHILDREN): Chain {
  const g = details.generation;
  const unknown = (id: number): LineageNode => ({ id, label: `Generation #${id}`, model: '', thumb: null, missing: false });
  return {
    ancestors: g.parent_id != null ? [unknown(g.parent_id)] : [],
    earlier: false,
    current: node(details, null),
    children: details.children.slice(0, maxChildren).map(unknown),
    moreChildren: Math.max(0, details.children.length - maxChildren),
  };
}

/** The chain as one list, root first, each entry with its place: one keyed list keeps a focused entry's element when the current one changes. */
export function entries(chain: Chain): { node: LineageNode; relation: 'ancestor' | 'current' | 'child' }[] {
  return [
    ...chain.ancestors.map((node) => ({ node, relation: 'ancestor' as const })),
    { node: chain.current, relation: 'current' as const },
    ...chain.children.map((node) => ({ node, relation: 'child' as const })),
  ];
}
