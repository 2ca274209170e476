import { describe, expect, it } from 'vitest';
import { screenForShortcut, shortcutLabel, SCREENS } from './screens';

const press = (key: string, mods: Partial<KeyboardEvent> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('screen shortcuts', () => {
  it('maps Ctrl+1..5 to the five screens in sidebar order', () => {
    expect(SCREENS.map((s) => screenForShortcut(press(s.key, { ctrlKey: true }), false))).toEqual(['create', 'gallery', 'account', 'privacy', 'settings']);
  });

  it('uses Cmd on macOS and ignores Ctrl there', () => {
    expect(screenForShortcut(press('3', { metaKey: true }), true)).toBe('account');
    expect(screenForShortcut(press('3', { ctrlKey: true }), true)).toBeNull();
  });

  it('ignores plain digits, other modifiers and other keys', () => {
    expect(screenForShortcut(press('1'), false)).toBeNull();
    expect(screenForShortcut(press('1', { ctrlKey: true, shiftKey: true }), false)).toBeNull();
    expect(screenForShortcut(press('1', { ctrlKey: true, altKey: true }), false)).toBeNull();
    expect(screenForShortcut(press('6', { ctrlKey: true }), false)).toBeNull();
  });

  it('labels shortcuts per platform', () => {
    expect(shortcutLabel('2', false)).toBe('Ctrl+2');
    expect(shortcutLabel('2', true)).toBe('⌘2');
  });
});
