import type { Screen } from './bindings';

export interface ScreenInfo {
  id: Screen;
  title: string;
  /** The digit that, with Ctrl (Cmd on macOS), opens the screen. */
  key: string;
}

export const SCREENS: readonly ScreenInfo[] = [
  { id: 'create', title: 'Create', key: '1' },
  { id: 'gallery', title: 'Gallery', key: '2' },
  { id: 'account', title: 'Account', key: '3' },
  { id: 'privacy', title: 'Privacy', key: '4' },
];

export const isMac = (platform: string = navigator.platform): boolean => /mac/i.test(platform);

/** Which screen a key press asks for: Ctrl+1…4 (Cmd+1…4 on macOS), nothing else. */
export function screenForShortcut(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  mac: boolean = isMac(),
): Screen | null {
  const modifier = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  if (!modifier || event.altKey || event.shiftKey) return null;
  return SCREENS.find((s) => s.key === event.key)?.id ?? null;
}

export function shortcutLabel(key: string, mac: boolean = isMac()): string {
  return mac ? `⌘${key}` : `Ctrl+${key}`;
}
