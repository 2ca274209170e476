import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import type { UpdatePrefs, UpdateStatus } from '../lib/bindings';
import { mockBindings, ok, type Result } from '../test/bindings';
import { APP_INFO } from '../test/generations';

const PREFS: UpdatePrefs = { channel: 'stable', skipped_version: null, last_check: null };
const AVAILABLE: UpdateStatus = { state: 'available', version: '1.2.0', current_version: '1.1.0', notes: null, date: null };

let checkGate: Promise<void> = Promise.resolve();
const checkForUpdate = vi.fn(async (): Promise<Result> => {
  await checkGate;
  return ok({ state: 'up_to_date', checked_at_ms: Date.now(), skipped: null });
});
const installUpdate = vi.fn(async (): Promise<Result> => ok({ state: 'failed', problem: { kind: 'offline', message: 'Offline.' }, version: '1.2.0' }));
const skipUpdateVersion = vi.fn(async (v: string | null) => ok({ ...PREFS, skipped_version: v }));
const setUpdateChannel = vi.fn(async (channel: string) => ok({ ...PREFS, channel }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    updatePrefs: async () => ok(PREFS),
    checkForUpdate: () => checkForUpdate(),
    installUpdate: () => installUpdate(),
    skipUpdateVersion: (v: string | null) => skipUpdateVersion(v),
    setUpdateChannel: (c: string) => setUpdateChannel(c),
  }),
);

import { UpdatesStore } from './updates.svelte';
import UpdatesCard from './UpdatesCard.svelte';

const INFO = { ...APP_INFO, version: '1.1.0', replicate_url: 'https://api.replicate.com/v1' };

function show(status: UpdateStatus, prefs: UpdatePrefs = PREFS) {
  const store = new UpdatesStore();
  store.status = status;
  store.prefs = prefs;
  render(UpdatesCard, { store, info: INFO });
  return store;
}
const words = () => screen.getByTestId('update-status').textContent?.trim();

describe('UpdatesCard', () => {
  beforeEach(() => {
    checkGate = Promise.resolve();
    for (const f of [checkForUpdate, installUpdate, skipUpdateVersion, setUpdateChannel]) f.mockClear();
  });

  it('says a development build has no updates, and cannot check', () => {
    show({ state: 'disabled' });
    expect(words()).toBe('Updates are not available in this build (development build).');
    expect((screen.getByTestId('update-check') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('update-channel-beta') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('update-current-version').textContent).toBe('1.1.0');
  });

  it('checks with a spinner, then says when it last looked', async () => {
    let release = () => {};
    checkGate = new Promise((r) => (release = r));
    show({ state: 'idle' });
    expect(words()).toBe('Not checked yet.');
    const check = screen.getByTestId('update-check') as HTMLButtonElement;
    await fireEvent.click(check);
    expect(checkForUpdate).toHaveBeenCalledTimes(1);
    expect(words()).toBe('Checking for updates…');
    expect(check.disabled).toBe(true);
    expect(check.querySelector('.spinner')).not.toBeNull();
    release();
    await waitFor(() => expect(words()).toBe('Up to date · checked just now'));
    expect(check.disabled).toBe(false);
    expect(check.querySelector('.spinner')).toBeNull();
  });

  it('reads "checked 2 min ago"', () => {
    show({ state: 'up_to_date', checked_at_ms: Date.now() - 2 * 60_000 - 5_000, skipped: null });
    expect(words()).toBe('Up to date · checked 2 min ago');
  });

  it('offers an available version with an Install button', async () => {
    show(AVAILABLE);
    expect(words()).toBe('Version 1.2.0 is available');
    await fireEvent.click(screen.getByTestId('update-card-install'));
    expect(installUpdate).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(words()).toBe('Offline.'));
    expect(screen.getByTestId('update-card-install').textContent).toContain('Try again');
  });

  it('shows a failed check’s message (which the banner does not)', () => {
    show({ state: 'failed', problem: { kind: 'offline', message: 'Couldn’t reach the update server.' }, version: null });
    expect(words()).toBe('Couldn’t reach the update server.');
    expect(screen.queryByTestId('update-card-install')).toBeNull();
  });

  it('shows the skipped version and offers it again', async () => {
    show({ state: 'up_to_date', checked_at_ms: Date.now(), skipped: '1.2.0' }, { ...PREFS, skipped_version: '1.2.0' });
    expect(screen.getByTestId('update-skipped').textContent).toContain('You skipped version 1.2.0.');
    await fireEvent.click(screen.getByTestId('update-unskip'));
    expect(skipUpdateVersion).toHaveBeenCalledWith(null);
    await waitFor(() => expect(screen.queryByTestId('update-skipped')).toBeNull());
    expect(checkForUpdate).toHaveBeenCalledTimes(1);
  });

  it('shows the last check’s outcome while idle', () => {
    show({ state: 'idle' }, { ...PREFS, last_check: { at_ms: Date.now() - 3 * 3_600_000, outcome: 'Version 1.2.0 is available' } });
    expect(screen.getByTestId('update-last-check').textContent).toBe('Last check: Version 1.2.0 is available · 3 h ago');
  });

  it('switches the channel', async () => {
    show({ state: 'up_to_date', checked_at_ms: Date.now(), skipped: null });
    const group = screen.getByTestId('update-channel');
    expect(group.getAttribute('role')).toBe('radiogroup');
    expect(screen.getByTestId('update-channel-stable').getAttribute('aria-checked')).toBe('true');
    await fireEvent.click(screen.getByTestId('update-channel-beta'));
    expect(setUpdateChannel).toHaveBeenCalledWith('beta');
    await waitFor(() => expect(screen.getByTestId('update-channel-beta').getAttribute('aria-checked')).toBe('true'));
  });
});
