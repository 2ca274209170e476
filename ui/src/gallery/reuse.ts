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

/** The model that edits a picture from a written instruction. */
export const EDIT_MODEL = 'flux-kontext-pro';

/**
 * Edit with Kontext: the Create form on the edit model with this image as the picture to edit and
 * the prompt left for the instruction; the edit records this generation as its parent.
 */
export async function editGeneration(id: number, file: string, dataDir: string): Promise<void> {
  await createForm.load({ model: EDIT_MODEL, inputs: { input_image: `${dataDir}/${file}` }, parent_id: id, exact_rerun: false }, false);
  if (createForm.modelId !== EDIT_MODEL) throw new Error(`${EDIT_MODEL} is not in this version's catalogue.`);
  createForm.origin = { parentId: id, exact: false, edit: true };
  createForm.touched = new Set(); // the empty instruction is not an error before the user writes one
  navigate('create');
}
