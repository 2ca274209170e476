import { getCurrentWindow } from '@tauri-apps/api/window';
import type { ThemePreference } from './bindings';

export type ResolvedTheme = 'light' | 'dark';

export function resolveTheme(preference: ThemePreference, os: ResolvedTheme): ResolvedTheme {
  return preference === 'system' ? os : preference;
}

/** The cycle the sidebar's theme button walks through. */
export function nextPreference(current: ThemePreference): ThemePreference {
  return current === 'system' ? 'light' : current === 'light' ? 'dark' : 'system';
}

export function applyTheme(theme: ResolvedTheme, root: HTMLElement = document.documentElement): void {
  root.dataset.theme = theme;
}

/**
 * Follows the OS theme: the native window's theme where Tauri runs, the media query elsewhere.
 * Calls `onChange` at once and on every change; returns a function that stops following.
 */
export async function followOsTheme(onChange: (theme: ResolvedTheme) => void): Promise<() => void> {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const fromMedia = () => onChange(media.matches ? 'dark' : 'light');
  if (!('__TAURI_INTERNALS__' in window)) {
    fromMedia();
    media.addEventListener('change', fromMedia);
    return () => media.removeEventListener('change', fromMedia);
  }
  const win = getCurrentWindow();
  onChange((await win.theme()) ?? (media.matches ? 'dark' : 'light'));
  return win.onThemeChanged(({ payload }) => onChange(payload));
}
