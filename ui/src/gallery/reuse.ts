import { commands } from '../lib/bindings';
import { unwrap } from '../lib/errors';
import { navigate } from '../lib/nav.svelte';
import { createForm } from '../create/store.svelte';
import { assetUrl } from '../lib/assets';

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
 * The image's pixels as a PNG. The page may not fetch files (connect-src), but it may show them, and
 * the asset protocol allows this origin (CORS), so a canvas reads them untainted.
 */
async function pictureOf(url: string): Promise<Blob> {
  const img = new Image();
  img.crossOrigin = 'anonymous';
  img.src = url;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  canvas.getContext('2d')?.drawImage(img, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('The image could not be read.');
  return blob;
}

/**
 * Edit with Kontext: the Create form on the edit model with this image as the picture to edit and
 * the prompt left for the instruction; the edit records this generation as its parent. The shell
 * takes only pictures chosen in this session, so the image is handed over as a paste is.
 */
export async function editGeneration(id: number, file: string, dataDir: string): Promise<void> {
  const picture = await pictureOf(assetUrl(dataDir, file));
  await createForm.load({ model: EDIT_MODEL, inputs: {}, parent_id: id, exact_rerun: false }, false);
  const field = createForm.fields.find((f) => f.kind.type === 'image');
  if (createForm.modelId !== EDIT_MODEL || field?.kind.type !== 'image') throw new Error(`${EDIT_MODEL} is not in this version's catalogue.`);
  await createForm.pasteFile(field.name, picture, field.kind.max_bytes);
  createForm.origin = { parentId: id, exact: false, edit: true };
  createForm.touched = new Set(); // the empty instruction is not an error before the user writes one
  navigate('create');
}
