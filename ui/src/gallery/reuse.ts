import { commands } from '../lib/bindings';
import { unwrap } from '../lib/errors';
import { navigate } from '../lib/nav.svelte';
import { createForm } from '../create/store.svelte';

/**
 * Re-run (exact: same seed, go_fast off) or Remix (same values, new seed): fills the Create form
 * with this generation's request (the only way the gallery changes that form) and goes there.
 * Shared by the details panel and the viewer.
 */
export async function reuseGeneration(id: number, exact: boolean): Promise<void> {
  const request = await unwrap(commands.requestFrom(id));
  await createForm.load({ ...request, parent_id: id, exact_rerun: exact }, exact);
  navigate('create');
}
