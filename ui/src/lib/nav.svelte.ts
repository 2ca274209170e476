import type { AppScreen } from './screens';

/**
 * Which screen is showing, app-wide, so any component can switch screens the way the sidebar does.
 * `galleryFocus` asks the Gallery to open one item's details when it next shows.
 */
export const nav = $state<{ screen: AppScreen; galleryFocus: number | null }>({ screen: 'create', galleryFocus: null });

export function navigate(screen: AppScreen): void {
  nav.screen = screen;
}

/** Switches to the Gallery with this generation's details open. */
export function openInGallery(id: number): void {
  nav.galleryFocus = id;
  nav.screen = 'gallery';
}

/** The Gallery takes the pending focus once. */
export function takeGalleryFocus(): number | null {
  const id = nav.galleryFocus;
  nav.galleryFocus = null;
  return id;
}
