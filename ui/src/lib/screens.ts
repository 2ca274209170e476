import type { Screen } from './bindings';

/** The screens the window shows; a launch (`--screen settings`) or another instance can ask for any. */
export type AppScreen = Screen;

export interface ScreenInfo {
  id: AppScreen;
  title: string;
  /** The digit that, with Ctrl (Cmd on macOS), opens the screen. */
  key: string;
}

export const SCREENS: readonly ScreenInfo[] = [
  { id: 'create', title: 'Create', key: '1' },
  { id: 'gallery', title: 'Gallery', key: '2' },
  { id: 'account', title: 'Account', key: '3' },
  { id: 'privacy', title: 'Privacy', key: '4' },
  { id: 'settings', title: 'Settings', key: '5' },
];

export const isMac = (platform: string = navigator.platform): boolean => /mac/i.test(platform);

/** Which screen a key press asks for: Ctrl+1…5 (Cmd+1…5 on macOS), nothing else. */
export function screenForShortcut(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>, mac: boolean = isMac()): AppScreen | null {
  const modifier = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  if (!modifier || event.altKey || event.shiftKey) return null;
  return SCREENS.find((s) => s.key === event.key)?.id ?? null;
}

export function shortcutLabel(key: string, mac: boolean = isMac()): string {
  return mac ? `⌘${key}` : `Ctrl+${key}`;
}
