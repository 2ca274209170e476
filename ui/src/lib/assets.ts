import { convertFileSrc } from '@tauri-apps/api/core';

/** A URL the webview can load for a file of the data folder (images and thumbnails are stored relative to it). */
export function assetUrl(dataDir: string, relative: string): string {
  return convertFileSrc(`${dataDir}/${relative}`);
}

/**
 * `{@attach releasePixels}` on an `<img>` that comes and goes (a virtual list's tiles): WebKit keeps
 * an image's decoded pixels while its element lives, and a removed element lives on until the next
 * garbage collection, which a quiet page may not have for minutes. Dropping the source on removal
 * lets the pixels go at once.
 */
export function releasePixels(img: HTMLImageElement): () => void {
  return () => img.removeAttribute('src');
}
