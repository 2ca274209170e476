import { describe, expect, it } from 'vitest';
import { launchScreen } from './nav.svelte';

describe('launchScreen', () => {
  it('opens the screen the shell says the command line asked for', () => {
    expect(launchScreen('gallery')).toBe('gallery');
    expect(launchScreen('settings')).toBe('settings');
  });

  it('falls back to Create for nothing, junk or a name that is not a screen', () => {
    for (const asked of [undefined, null, '', 'Gallery', 'nope', 42, { screen: 'gallery' }]) {
      expect(launchScreen(asked)).toBe('create');
    }
  });

  it('reads the value the shell injects before any script runs', () => {
    window.__FLUX_KREA_LAUNCH_SCREEN__ = 'privacy';
    try {
      expect(launchScreen()).toBe('privacy');
    } finally {
      delete window.__FLUX_KREA_LAUNCH_SCREEN__;
    }
  });
});
