import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { UpdatePrefs, UpdateStatus } from '../lib/bindings';
import { fail, mockBindings, ok, type Result } from '../test/bindings';

const PREFS: UpdatePrefs = { channel: 'stable', skipped_version: null, last_check: null };
const AVAILABLE: UpdateStatus = { state: 'available', version: '1.2.0', current_version: '1.1.0', notes: 'Faster', date: null };
const failed = (kind: 'offline' | 'bad_signature' | 'not_installed' | 'install_failed', version: string | null): UpdateStatus => ({
  state: 'failed',
  problem: { kind, message: `problem: ${kind}` },
  version,
});

let statusNow: UpdateStatus = { state: 'idle' };
let statusGate: Promise<void> = Promise.resolve();
let listener: ((e: { payload: { status: UpdateStatus } }) => void) | null = null;
const updateStatus = vi.fn(async () => {
  const answer = statusNow;
  await statusGate;
  return answer;
});
const updatePrefs = vi.fn(async (): Promise<Result> => ok(PREFS));
const checkForUpdate = vi.fn(async (): Promise<Result> => ok(AVAILABLE));
const installUpdate = vi.fn(async (): Promise<Result> => ok(failed('offline', '1.2.0')));
const skipUpdateVersion = vi.fn(async (v: string | null) => ok({ ...PREFS, skipped_version: v }));
const setUpdateChannel = vi.fn(async (channel: string) => ok({ ...PREFS, channel }));

vi.mock('../lib/bindings', () =>
  mockBindings(
    {
      updateStatus: () => updateStatus(),
      updatePrefs: () => updatePrefs(),
      checkForUpdate: () => checkForUpdate(),
      installUpdate: () => installUpdate(),
      skipUpdateVersion: (v: string | null) => skipUpdateVersion(v),
      setUpdateChannel: (c: string) => setUpdateChannel(c),
    },
    {
      updateStatusChanged: {
        listen: async (cb: typeof listener) => {
          listener = cb;
          return () => (listener = null);
        },
      },
    },
  ),
);

import { canRetry, isCheckFailure, showBanner, UpdatesStore } from './updates.svelte';
import { ago, lastCheckWords, notesAreLong, progressPercent, progressWords, statusWords, waitingWords } from './text';

const emit = (status: UpdateStatus) => listener?.({ payload: { status } });

describe('when the banner shows', () => {
  it('shows an offer, and hides it once skipped or put off for that version only', () => {
    expect(showBanner(AVAILABLE, null, [])).toBe(true);
    expect(showBanner(AVAILABLE, '1.2.0', [])).toBe(false);
    expect(showBanner(AVAILABLE, '1.1.5', [])).toBe(true);
    expect(showBanner(AVAILABLE, null, ['1.2.0'])).toBe(false);
    expect(showBanner({ ...AVAILABLE, version: '1.3.0' }, null, ['1.2.0'])).toBe(true);
  });

  it('never shows for a failed automatic check, but does for a failed install', () => {
    expect(isCheckFailure(failed('offline', null))).toBe(true);
    expect(showBanner(failed('offline', null), null, [])).toBe(false);
    expect(showBanner(failed('offline', '1.2.0'), null, [])).toBe(true);
    expect(showBanner(failed('offline', '1.2.0'), null, ['1.2.0'])).toBe(false);
    expect(showBanner(failed('not_installed', '1.2.0'), '1.2.0', [])).toBe(false);
  });

  it('always shows an install under way, and never the quiet states', () => {
    expect(showBanner({ state: 'downloading', version: '1.2.0', received: 1, total: null }, null, ['1.2.0'])).toBe(true);
    expect(showBanner({ state: 'waiting_for_idle', version: '1.2.0', generations: 2 }, null, [])).toBe(true);
    expect(showBanner({ state: 'installing', version: '1.2.0' }, null, [])).toBe(true);
    for (const state of ['disabled', 'idle', 'checking'] as const) expect(showBanner({ state }, null, [])).toBe(false);
    expect(showBanner({ state: 'up_to_date', checked_at_ms: 1, skipped: '1.2.0' }, null, [])).toBe(false);
  });

  it('offers "Try again" only when installing again can help', () => {
    expect(canRetry(failed('offline', '1.2.0'))).toBe(true);
    expect(canRetry(failed('install_failed', '1.2.0'))).toBe(true);
    expect(canRetry(failed('bad_signature', '1.2.0'))).toBe(false);
    expect(canRetry(failed('not_installed', '1.2.0'))).toBe(false);
    expect(canRetry(failed('offline', null))).toBe(false);
    expect(canRetry(AVAILABLE)).toBe(false);
  });
});

describe('progress and words', () => {
  it('computes a whole, bounded percent, or none while the size is unknown', () => {
    expect(progressPercent(50, 200)).toBe(25);
    expect(progressPercent(999, 1000)).toBe(99);
    expect(progressPercent(1200, 1000)).toBe(100);
    expect(progressPercent(null, 1000)).toBe(0);
    expect(progressPercent(500, null)).toBeNull();
    expect(progressPercent(500, 0)).toBeNull();
    expect(progressWords(1_000_000, 4_000_000)).toBe('1.0 MB of 4.0 MB');
    expect(progressWords(2_500_000, null)).toBe('2.5 MB');
  });

  it('says how long ago, in minutes and hours', () => {
    const now = Date.UTC(2026, 10, 28, 12);
    expect(ago(now - 20_000, now)).toBe('just now');
    expect(ago(now - 2 * 60_000 - 5_000, now)).toBe('2 min ago');
    expect(ago(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(ago(now - 3 * 86_400_000, now)).not.toMatch(/ago/);
  });

  it('words the card status for every state', () => {
    const now = Date.UTC(2026, 10, 28, 12);
    expect(statusWords({ state: 'disabled' }, now)).toBe('Updates are not available in this build (development build).');
    expect(statusWords({ state: 'idle' }, now)).toBe('Not checked yet.');
    expect(statusWords({ state: 'checking' }, now)).toBe('Checking for updates…');
    expect(statusWords({ state: 'up_to_date', checked_at_ms: now - 120_000, skipped: null }, now)).toBe('Up to date · checked 2 min ago');
    expect(statusWords(AVAILABLE, now)).toBe('Version 1.2.0 is available');
    expect(statusWords({ state: 'downloading', version: '1.2.0', received: 30, total: 120 }, now)).toBe('Downloading version 1.2.0… 25%');
    expect(statusWords({ state: 'downloading', version: '1.2.0', received: 3_000_000, total: null }, now)).toBe('Downloading version 1.2.0… 3.0 MB');
    expect(statusWords({ state: 'waiting_for_idle', version: '1.2.0', generations: 2 }, now)).toBe(
      'Downloaded and verified. Installing once your 2 running generations finish.',
    );
    expect(statusWords({ state: 'installing', version: '1.2.0' }, now)).toBe('Installing version 1.2.0…');
    expect(statusWords(failed('offline', null), now)).toBe('problem: offline');
  });

  it('counts running generations in words', () => {
    expect(waitingWords(1)).toBe('Downloaded and verified. Installing once your 1 running generation finishes.');
  });

  it('tells the last check only when the status does not already', () => {
    const now = Date.UTC(2026, 10, 28, 12);
    const prefs: UpdatePrefs = { ...PREFS, last_check: { at_ms: now - 3 * 3_600_000, outcome: 'Up to date' } };
    expect(lastCheckWords(prefs, { state: 'idle' }, now)).toBe('Last check: Up to date · 3 h ago');
    expect(lastCheckWords(prefs, { state: 'installing', version: '1.2.0' }, now)).toBe('Last check: Up to date · 3 h ago');
    expect(lastCheckWords(prefs, { state: 'up_to_date', checked_at_ms: now, skipped: null }, now)).toBeNull();
    expect(lastCheckWords(prefs, failed('offline', null), now)).toBeNull();
    expect(lastCheckWords(PREFS, { state: 'idle' }, now)).toBeNull();
    expect(lastCheckWords(prefs, { state: 'disabled' }, now)).toBeNull();
  });

  it('folds long release notes', () => {
    expect(notesAreLong('Faster start-up.')).toBe(false);
    expect(notesAreLong('x'.repeat(300))).toBe(true);
    expect(notesAreLong('a\nb\nc\nd\ne')).toBe(true);
  });
});

describe('UpdatesStore', () => {
  beforeEach(() => {
    statusNow = { state: 'idle' };
    statusGate = Promise.resolve();
    listener = null;
    for (const f of [updateStatus, updatePrefs, checkForUpdate, installUpdate, skipUpdateVersion, setUpdateChannel]) f.mockClear();
  });

  it('loads the status and preferences, then follows events', async () => {
    statusNow = AVAILABLE;
    const store = new UpdatesStore();
    const stop = await store.start();
    expect(store.status).toEqual(AVAILABLE);
    expect(store.prefs).toEqual(PREFS);
    expect(store.bannerShown).toBe(true);
    emit({ state: 'downloading', version: '1.2.0', received: 10, total: 100 });
    expect(store.status.state).toBe('downloading');
    stop();
    expect(listener).toBeNull();
  });

  it('keeps an event heard while the first status loads', async () => {
    let release = () => {};
    statusGate = new Promise((r) => (release = r));
    statusNow = { state: 'idle' };
    const store = new UpdatesStore();
    const started = store.start();
    await vi.waitFor(() => expect(updateStatus).toHaveBeenCalled());
    emit(AVAILABLE);
    release();
    await started;
    expect(store.status).toEqual(AVAILABLE);
  });

  it('re-reads the preferences after a check, for "last check"', async () => {
    const store = new UpdatesStore();
    await store.start();
    updatePrefs.mockClear();
    emit({ state: 'up_to_date', checked_at_ms: 1, skipped: null });
    emit({ state: 'downloading', version: '1.2.0', received: 1, total: 2 });
    expect(updatePrefs).toHaveBeenCalledTimes(1);
  });

  it('"Later" hides the banner for that version only, for this session', async () => {
    const store = new UpdatesStore();
    store.apply(AVAILABLE);
    store.later();
    expect(store.bannerShown).toBe(false);
    store.apply({ ...AVAILABLE, version: '1.3.0' });
    expect(store.bannerShown).toBe(true);
    expect(new UpdatesStore().dismissed).toEqual([]);
  });

  it('skips a version through the core and hides its banner', async () => {
    const store = new UpdatesStore();
    store.apply(AVAILABLE);
    await store.skip('1.2.0');
    expect(skipUpdateVersion).toHaveBeenCalledWith('1.2.0');
    expect(store.skipped).toBe('1.2.0');
    expect(store.bannerShown).toBe(false);
  });

  it('offers a skipped version again and looks for it', async () => {
    const store = new UpdatesStore();
    store.prefs = { ...PREFS, skipped_version: '1.2.0' };
    store.apply({ state: 'up_to_date', checked_at_ms: 1, skipped: '1.2.0' });
    await store.offerAgain();
    expect(skipUpdateVersion).toHaveBeenCalledWith(null);
    expect(checkForUpdate).toHaveBeenCalledTimes(1);
    expect(store.status).toEqual(AVAILABLE);
    expect(store.bannerShown).toBe(true);
  });

  it('installs a version put off before, showing what stopped it', async () => {
    const store = new UpdatesStore();
    store.apply(AVAILABLE);
    store.later();
    await store.install();
    expect(installUpdate).toHaveBeenCalledTimes(1);
    expect(store.status).toEqual(failed('offline', '1.2.0'));
    expect(store.bannerShown).toBe(true);
    expect(store.installing).toBe(false);
  });

  it('checks again when the core no longer holds the offer, then installs', async () => {
    installUpdate.mockResolvedValueOnce(fail({ kind: 'invalid_input', field: 'update', reason: 'no update is ready' }));
    const store = new UpdatesStore();
    store.apply(failed('install_failed', '1.2.0'));
    await store.install();
    expect(checkForUpdate).toHaveBeenCalledTimes(1);
    expect(installUpdate).toHaveBeenCalledTimes(2);
    expect(store.error).toBeNull();
  });

  it('does not check in a build without updates', async () => {
    const store = new UpdatesStore();
    store.apply({ state: 'disabled' });
    await store.check();
    expect(checkForUpdate).not.toHaveBeenCalled();
  });

  it('shows a command error from a check', async () => {
    checkForUpdate.mockResolvedValueOnce(fail({ kind: 'internal', message: 'boom' }));
    const store = new UpdatesStore();
    await store.check();
    expect(store.error).toBe('Something went wrong: boom');
    expect(store.checking).toBe(false);
  });

  it('saves the channel, showing it chosen meanwhile', async () => {
    const store = new UpdatesStore();
    store.prefs = PREFS;
    const saving = store.setChannel('beta');
    expect(store.channel).toBe('beta');
    await saving;
    expect(setUpdateChannel).toHaveBeenCalledWith('beta');
    expect(store.prefs?.channel).toBe('beta');
    await store.setChannel('beta');
    expect(setUpdateChannel).toHaveBeenCalledTimes(1);
  });
});
