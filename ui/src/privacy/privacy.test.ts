import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';

type Result = { status: 'ok'; data: unknown } | { status: 'error'; error: unknown };
const ok = (data: unknown): Result => ({ status: 'ok', data });

const DIR = '/home/me/.local/share/com.fluxkrea.desktop';
const report = {
  data_dir: DIR,
  kinds: [
    { key: 'generations', label: 'Generations (model, settings, status, cost, times)', count: 42, bytes: 2_500_000, location: `${DIR}/history.db` },
    { key: 'prompts', label: 'Prompts (searchable)', count: 40, bytes: 0, location: `${DIR}/history.db` },
    { key: 'images', label: 'Images', count: 120, bytes: 340_000_000, location: `${DIR}/images` },
  ],
  oldest_item: Date.UTC(2025, 0, 15, 12),
  retention_days: 365,
  next_purge_at: Date.UTC(2025, 7, 3, 18),
  keychain_entries: ['replicate-token'],
  usage: { runs: 50, succeeded: 45, failed: 3, canceled: 2, success_rate: 0.9, average_seconds: 12.4, spend_usd: 1.234 },
};
const off = (name: string) => ({ name, granted: false, changed_at: null, source: null });
const NAMES = ['marketing_emails', 'product_analytics', 'training_use'];

let consentsNow: unknown[] = NAMES.map(off);
let history: unknown[] = [];
const setConsent = vi.fn(async (name: string, granted: boolean) => {
  const at = Date.UTC(2025, 7, 4, 9, 30);
  history = [...history, { name, granted, changed_at: at, source: 'app', synced_at: null }];
  consentsNow = NAMES.map((n) => (n === name ? { name, granted, changed_at: at, source: 'app' } : off(n)));
  return ok(consentsNow);
});
const erasePrompts = vi.fn(async () => ok({ generations: 12, files_removed: 0, bytes_removed: 0, skipped_running: 1 }));
const eraseEverything = vi.fn(async () => ok({ generations: 42, files_removed: 240, bytes_removed: 340_000_000, skipped_running: 0 }));
let progressListener: ((e: { payload: { done: number; total: number } }) => void) | null = null;
const SUGGESTED = '/home/me/Downloads/flux-krea-export-2026-11-27.zip';
let exportGate: Promise<void> = Promise.resolve();
const exportData = vi.fn(async (path: string) => {
  progressListener?.({ payload: { done: 1, total: 2 } });
  await exportGate;
  return ok({ path, bytes: 12_300_000, generations: 42, images: 120 });
});
const save = vi.fn(async (_options: unknown): Promise<string | null> => '/home/me/flux.zip');
let requests: unknown[] = [];

vi.mock('@tauri-apps/plugin-dialog', () => ({ save: (o: unknown) => save(o) }));
vi.mock('../lib/bindings', () => ({
  commands: {
    privacyReport: async () => ok(report),
    consents: async () => ok(consentsNow),
    consentHistory: async () => ok(history),
    setConsent: (name: string, granted: boolean) => setConsent(name, granted),
    privacyRequests: async () => ok(requests),
    exportData: (path: string) => exportData(path),
    suggestedExportPath: async () => ok(SUGGESTED),
    erasePrompts: () => erasePrompts(),
    eraseEverything: () => eraseEverything(),
    getRetention: async () => ok({ window_days: 365, disk_budget_bytes: null, keep_favourites: false }),
    previewPurge: async () => ok({ items: 0, bytes: 0 }),
  },
  events: {
    exportProgress: {
      listen: async (cb: typeof progressListener) => {
        progressListener = cb;
        return () => (progressListener = null);
      },
    },
  },
}));

import PrivacyScreen from '../screens/PrivacyScreen.svelte';
import { exportFileName } from './text';

const byTestId = (id: string) => screen.getByTestId(id);
const info = { version: '0.1.0', data_dir: DIR, log_dir: '/logs', config_file: '/cfg/config.toml', replicate_url: '', account_mode_available: false, recovered_database: null };

describe('Privacy screen', () => {
  beforeEach(() => {
    consentsNow = NAMES.map(off);
    history = [];
    requests = [];
    setConsent.mockClear();
    erasePrompts.mockClear();
    eraseEverything.mockClear();
    exportData.mockClear();
    save.mockClear();
  });

  it('reports what is stored, where, and the usage computed here', async () => {
    render(PrivacyScreen, { props: { info } });
    expect(byTestId('data-dir').textContent).toBe(DIR);
    await waitFor(() => expect(byTestId('kind-generations').textContent).toContain('42'));
    expect(byTestId('kind-generations').textContent).toContain('2.5 MB');
    expect(byTestId('kind-generations').textContent).toContain('history.db');
    expect(byTestId('kind-images').textContent).toContain('340 MB');
    expect(byTestId('kind-prompts').textContent).toContain('in the file above');
    expect(byTestId('keychain-entries').textContent).toBe('Replicate key');
    expect(byTestId('oldest-item').textContent).toContain('2025');
    expect(byTestId('usage-runs').textContent).toBe('50');
    expect(byTestId('usage-success').textContent).toBe('90%');
    expect(byTestId('usage-average').textContent).toBe('12 s');
    expect(byTestId('usage-spend').textContent).toBe('$1.234');
    expect(screen.getByText('Computed on this computer; sent nowhere.')).toBeTruthy();
    expect(byTestId('next-purge').textContent).toContain('Next automatic purge');
  });

  it('shows consents off by default and stores a change with its time', async () => {
    render(PrivacyScreen, { props: { info } });
    for (const name of NAMES) {
      const input = byTestId(`consent-${name}`) as HTMLInputElement;
      expect(input.checked).toBe(false);
      expect(input.getAttribute('role')).toBe('switch');
      expect(byTestId(`consent-${name}-changed`).textContent).toContain('Never changed — off by default');
    }
    await fireEvent.click(byTestId('consent-product_analytics'));
    await waitFor(() => expect(setConsent).toHaveBeenCalledWith('product_analytics', true));
    await waitFor(() => expect(byTestId('consent-product_analytics-changed').textContent).toContain('Last changed'));
    expect(byTestId('consent-product_analytics-changed').textContent).toContain('(in the app)');
    expect((byTestId('consent-product_analytics') as HTMLInputElement).checked).toBe(true);
    expect((byTestId('consent-training_use') as HTMLInputElement).checked).toBe(false);
    await waitFor(() => expect(byTestId('consent-history').textContent).toContain('Product analytics turned on'));
  });

  it('puts a switch back and says so when the change is refused', async () => {
    setConsent.mockImplementationOnce(async () => ({ status: 'error', error: { kind: 'storage', path: 'history.db', reason: 'disk full' } }));
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('consent-training_use'));
    await waitFor(() => expect(byTestId('consents-error').textContent).toContain('Could not read or write history.db: disk full'));
    expect((byTestId('consent-training_use') as HTMLInputElement).checked).toBe(false);
    expect(byTestId('consent-training_use-changed').textContent).toContain('Never changed');
  });

  it('erases prompts only after the confirmation, and says what happened', async () => {
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('erase-prompts'));
    expect(erasePrompts).not.toHaveBeenCalled();
    expect(screen.getByText(/Removes every prompt, seed and setting from your history on this computer\. Images stay\./)).toBeTruthy();
    await fireEvent.click(byTestId('erase-prompts-confirm'));
    await waitFor(() => expect(byTestId('erase-result').textContent).toContain('12 generations erased; 1 running job left alone'));
    expect(erasePrompts).toHaveBeenCalledTimes(1);
    expect(eraseEverything).not.toHaveBeenCalled();
    await waitFor(() => expect(screen.queryByTestId('erase-prompts-confirm')).toBeNull());
    expect(document.activeElement).toBe(byTestId('erase-prompts'));
  });

  it('cancels an erasure with Escape without erasing', async () => {
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('erase-everything'));
    expect(screen.getByText(/Your settings and your Replicate key stay/)).toBeTruthy();
    await fireEvent.keyDown(byTestId('erase-everything-confirm'), { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('erase-everything-confirm')).toBeNull());
    expect(eraseEverything).not.toHaveBeenCalled();
  });

  it('exports to Downloads in one click, without a dialog', async () => {
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('export-data'));
    await waitFor(() => expect(exportData).toHaveBeenCalledWith(SUGGESTED));
    expect(save).not.toHaveBeenCalled();
  });

  it('exports through the save dialog, follows progress and shows the result', async () => {
    requests = [{ id: 1, kind: 'export', requested_at: Date.UTC(2025, 7, 4), outcome: '42 generations and 120 images written to /home/me/flux.zip', platform_request_id: null, due_at: null }];
    let finish = () => {};
    exportGate = new Promise((resolve) => (finish = resolve));
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('export-choose'));
    await waitFor(() => expect(byTestId('export-progress').textContent).toContain('Writing 1 of 2 generations'));
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('1');
    expect((byTestId('erase-everything') as HTMLButtonElement).disabled).toBe(true);
    finish();
    await waitFor(() => expect(byTestId('export-result').textContent).toContain('/home/me/flux.zip'));
    expect(screen.queryByTestId('export-progress')).toBeNull();
    expect(save).toHaveBeenCalledTimes(1);
    expect(save.mock.calls[0]![0]).toMatchObject({ defaultPath: SUGGESTED, filters: [{ extensions: ['zip'] }] });
    expect(exportData).toHaveBeenCalledWith('/home/me/flux.zip');
    expect(byTestId('export-result').textContent).toContain('12 MB, 42 generations and 120 images');
    expect(byTestId('privacy-requests').textContent).toContain('Data export');
  });

  it('does nothing when the save dialog is cancelled', async () => {
    save.mockImplementationOnce(async () => null);
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('export-choose'));
    await waitFor(() => expect(save).toHaveBeenCalledTimes(1));
    expect(exportData).not.toHaveBeenCalled();
    expect(screen.queryByTestId('export-result')).toBeNull();
  });

  it('names the export file by date', () => {
    expect(exportFileName(new Date(2025, 7, 3))).toBe('flux-krea-export-2025-08-03.zip');
  });
});
