import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import type { UpdateStatus } from '../lib/bindings';
import { mockBindings, ok, type Result } from '../test/bindings';

const PREFS = { channel: 'stable', skipped_version: null, last_check: null };

const installUpdate = vi.fn(async (): Promise<Result> => ok({ state: 'failed', problem: { kind: 'offline', message: 'Offline.' }, version: '1.2.0' }));
const skipUpdateVersion = vi.fn(async (v: string | null) => ok({ ...PREFS, skipped_version: v }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    updatePrefs: async () => ok(PREFS),
    installUpdate: () => installUpdate(),
    skipUpdateVersion: (v: string | null) => skipUpdateVersion(v),
  }),
);

import { UpdatesStore } from './updates.svelte';
import UpdateBanner from './UpdateBanner.svelte';

const AVAILABLE: UpdateStatus = { state: 'available', version: '1.2.0', current_version: '1.1.0', notes: 'Faster start-up.', date: null };

function show(status: UpdateStatus) {
  const store = new UpdatesStore();
  store.status = status;
  render(UpdateBanner, { store });
  return store;
}

describe('UpdateBanner', () => {
  beforeEach(() => {
    installUpdate.mockClear();
    skipUpdateVersion.mockClear();
  });

  it('offers an available version with its notes, politely', () => {
    show(AVAILABLE);
    const banner = screen.getByTestId('update-banner');
    expect(banner.getAttribute('role')).toBe('status');
    expect(banner.getAttribute('aria-live')).toBe('polite');
    expect(screen.getByTestId('update-version').textContent).toBe('Version 1.2.0 is available');
    expect(screen.getByTestId('update-notes').textContent).toBe('Faster start-up.');
    expect(screen.getByTestId('update-install').textContent).toContain('Install and restart');
    expect(screen.getByTestId('update-install').classList.contains('btn-primary')).toBe(true);
  });

  it('shows release notes as plain text, never as HTML, folding long ones', async () => {
    const notes = `<img src=x onerror="alert(1)"><b>Bold</b>\n${'A long line. '.repeat(40)}`;
    show({ ...AVAILABLE, notes });
    const shown = screen.getByTestId('update-notes');
    expect(shown.textContent).toBe(notes.trim());
    expect(shown.querySelector('img, b')).toBeNull();
    expect(shown.classList.contains('folded')).toBe(true);
    const toggle = screen.getByRole('button', { name: 'Show all release notes' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(toggle);
    expect(shown.classList.contains('folded')).toBe(false);
    expect(screen.getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('"Later" hides it, and "Skip this version" tells the core', async () => {
    const store = show(AVAILABLE);
    await fireEvent.click(screen.getByTestId('update-later'));
    expect(screen.queryByTestId('update-banner')).toBeNull();
    expect(store.dismissed).toEqual(['1.2.0']);

    store.dismissed = [];
    await waitFor(() => expect(screen.getByTestId('update-banner')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('update-skip'));
    expect(skipUpdateVersion).toHaveBeenCalledWith('1.2.0');
    await waitFor(() => expect(screen.queryByTestId('update-banner')).toBeNull());
  });

  it('installs, then shows what stopped it with "Try again"', async () => {
    show(AVAILABLE);
    await fireEvent.click(screen.getByTestId('update-install'));
    expect(installUpdate).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.getByTestId('update-message').textContent).toContain('Offline.'));
    expect(screen.getByTestId('update-version').textContent).toBe('Version 1.2.0 was not installed');
    await fireEvent.click(screen.getByTestId('update-retry'));
    expect(installUpdate).toHaveBeenCalledTimes(2);
  });

  it('shows download progress with percent and bytes', () => {
    show({ state: 'downloading', version: '1.2.0', received: 1_000_000, total: 4_000_000 });
    const bar = screen.getByTestId('update-progress');
    expect(bar.getAttribute('role')).toBe('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(bar.getAttribute('aria-valuetext')).toBe('25% (1.0 MB of 4.0 MB)');
    expect(screen.getByTestId('update-banner').textContent).toContain('25% · 1.0 MB of 4.0 MB');
    expect(screen.queryByTestId('update-install')).toBeNull();
  });

  it('shows an indeterminate bar while the size is unknown', () => {
    show({ state: 'downloading', version: '1.2.0', received: 2_500_000, total: null });
    const bar = screen.getByTestId('update-progress');
    expect(bar.classList.contains('indeterminate')).toBe(true);
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(bar.getAttribute('aria-valuetext')).toBe('2.5 MB');
  });

  it('says it waits for running generations, then installs', () => {
    show({ state: 'waiting_for_idle', version: '1.2.0', generations: 2 });
    expect(screen.getByTestId('update-message').textContent?.trim()).toBe('Downloaded and verified. Installing once your 2 running generations finish.');
  });

  it('says it is installing', () => {
    show({ state: 'installing', version: '1.2.0' });
    expect(screen.getByTestId('update-message').textContent).toContain('Installing…');
  });

  it('offers no "Try again" when installing again cannot help', async () => {
    const message = 'The download is not signed by Flux Krea’s release key.';
    show({ state: 'failed', problem: { kind: 'bad_signature', message }, version: '1.2.0' });
    expect(screen.getByTestId('update-message').textContent?.trim()).toBe(message);
    expect(screen.queryByTestId('update-retry')).toBeNull();
    await fireEvent.click(screen.getByTestId('update-dismiss'));
    expect(screen.queryByTestId('update-banner')).toBeNull();
  });

  it('can skip a version that failed to install', async () => {
    const message = 'The update was downloaded and verified, but this copy of Flux Krea was not installed from a package.';
    show({ state: 'failed', problem: { kind: 'not_installed', message }, version: '1.2.0' });
    expect(screen.queryByTestId('update-retry')).toBeNull();
    await fireEvent.click(screen.getByTestId('update-skip'));
    expect(skipUpdateVersion).toHaveBeenCalledWith('1.2.0');
    await waitFor(() => expect(screen.queryByTestId('update-banner')).toBeNull());
  });

  it('stays away for a failed automatic check and the quiet states', () => {
    show({ state: 'failed', problem: { kind: 'offline', message: 'Offline.' }, version: null });
    expect(screen.queryByTestId('update-banner')).toBeNull();
    show({ state: 'up_to_date', checked_at_ms: 1, skipped: null });
    show({ state: 'checking' });
    show({ state: 'disabled' });
    expect(screen.queryByTestId('update-banner')).toBeNull();
  });
});
