import type { ResultImage } from './queue.svelte';

/** The newest finished job's images (shown large) and the ones before it (a strip of thumbnails). */
export function splitResults(results: readonly ResultImage[]): { latest: ResultImage[]; older: ResultImage[] } {
  const first = results[0];
  if (!first) return { latest: [], older: [] };
  return { latest: results.filter((r) => r.jobId === first.jobId), older: results.filter((r) => r.jobId !== first.jobId) };
}
