import { convertFileSrc } from '@tauri-apps/api/core';

/** A URL the webview can load for a file of the data folder (images and thumbnails are stored relative to it). */
export function assetUrl(dataDir: string, relative: string): string {
  return convertFileSrc(`${dataDir}/${relative}`);
}
