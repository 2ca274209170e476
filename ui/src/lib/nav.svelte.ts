import { SCREENS, type AppScreen } from './screens';

declare global {
  interface Window {
    /** Set by the shell before any script runs: the screen asked for on the command line. */
    __FLUX_KREA_LAUNCH_SCREEN__?: string | null;
  }
}

/** The screen to show first: the one the command line asked for (`--screen gallery`), else Create. */
export function launchScreen(asked: unknown = globalThis.window?.__FLUX_KREA_LAUNCH_SCREEN__): AppScreen {
  return SCREENS.find((s) => s.id === asked)?.id ?? 'create';
}

/**
 * Which screen is showing, app-wide, so any component can switch screens the way the sidebar does.
 * `galleryFocus` asks the Gallery to open one item's details when it next shows.
 */
export const nav = $state<{ screen: AppScreen; galleryFocus: number | null }>({
  screen: launchScreen(),
  galleryFocus: null,
});

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
