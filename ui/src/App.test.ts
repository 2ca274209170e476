import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { accountStatus, fail, mockBindings, ok, tauriCore } from './test/bindings';
import { galleryItem, generationDetails } from './test/generations';

const updateSettings = vi.fn(async (s: { theme: string }) => ok(s));
let appInfoResult: unknown = ok({
  version: '0.1.0',
  data_dir: '/home/me/.local/share/com.fluxkrea.desktop',
  log_dir: '/logs',
  config_file: '/cfg/config.toml',
  replicate_url: 'https://api.replicate.com/v1',
  account_mode_available: false,
  recovered_database: null,
});

let damageFound: string | null = null;
let queueJobs: unknown[] = [];
let updateNow: unknown = { state: 'disabled' };
const doneJob = {
  id: 11,
  model: 'flux-schnell',
  prompt: 'fox',
  status: 'done',
  progress: null,
  error: null,
  images_requested: 1,
  images_returned: 1,
  cost_usd: 0.003,
  created_at: 1,
  completed_at: 2,
  thumbs: ['thumbs/11-0.webp'],
  note: null,
  cancel_requested: false,
  revision: 3,
};

vi.mock('@tauri-apps/api/core', () => tauriCore);
vi.mock('./lib/bindings', () =>
  mockBindings({
    appInfo: async () => appInfoResult,
    checkDatabase: async () => ok(damageFound),
    getSettings: async () => ok({ theme: 'system' }),
    updateSettings: (s: { theme: string }) => updateSettings(s),
    galleryPage: async () => ok({ items: [], next_cursor: null }),
    listCollections: async () => ok([]),
    getRetention: async () => ok({ window_days: 365, disk_budget_bytes: null, keep_favourites: false }),
    previewPurge: async () => ok({ items: 0, bytes: 0 }),
    modelCatalogue: async () => ok((await import('./create/fixtures')).catalogue),
    queueState: async () => ok({ paused: false, runs_here: true, max_running: 2, rows: 50, jobs: queueJobs }),
    generationDetails: async (id: number) =>
      ok(generationDetails(galleryItem(id, { prompt: 'fox', created_at: 1 }), { seed: 1, cost_usd: 0.003, completed_at: 2 })),
    replicateKeyStatus: async () => ok({ configured: false, source: null, account: null, keychain_unavailable: null }),
    spendSummary: async () => ok({ month_usd: 0, all_time_usd: 0, monthly_budget_usd: null, recent: [] }),
    privacyReport: async () =>
      ok({
        data_dir: '/home/me/.local/share/com.fluxkrea.desktop',
        kinds: [],
        oldest_item_at: null,
        retention_days: 365,
        next_purge_at: null,
        keychain_entries: [],
        usage: { runs: 0, succeeded: 0, failed: 0, canceled: 0, success_rate: null, average_seconds: null, spend_usd: 0 },
      }),
    accountStatus: async () => ok(accountStatus({ available: false, age_confirmed: false })),
    consents: async () => ok([]),
    consentHistory: async () => ok([]),
    privacyRequests: async () => ok([]),
    updateStatus: async () => updateNow,
    updatePrefs: async () => ok({ channel: 'stable', skipped_version: null, last_check: null }),
  }),
);

import App from './App.svelte';
import { nav } from './lib/nav.svelte';

const heading = () => screen.getByRole('heading', { level: 1 });

describe('App shell', () => {
  beforeEach(() => {
    updateSettings.mockClear();
    nav.screen = 'create';
    queueJobs = [];
    updateNow = { state: 'disabled' };
    damageFound = null;
  });

  it('says when the check after start-up found the database damaged, and what happens next', async () => {
    damageFound = 'the database file is damaged';
    render(App);
    const notice = await screen.findByTestId('damage-notice');
    expect(notice.getAttribute('role')).toBe('alert');
    expect(notice.textContent).toContain('(the database file is damaged)');
    expect(notice.textContent).toContain('set aside, not deleted');
    await fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('damage-notice')).toBeNull();
  });

  it('shows no notice when the check finds nothing', async () => {
    render(App);
    await waitFor(() => expect(heading().textContent).toBeTruthy());
    expect(screen.queryByTestId('damage-notice')).toBeNull();
  });

  it('opens on Create and switches screens from the sidebar', async () => {
    render(App);
    expect(heading().textContent).toBe('Create');
    await fireEvent.click(screen.getByRole('button', { name: /Gallery/ }));
    expect(heading().textContent).toBe('Gallery');
    expect(screen.getByRole('button', { name: /Gallery/ }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByRole('button', { name: /Create/ }).getAttribute('aria-current')).toBeNull();
    await waitFor(() => expect(screen.getByText('Your gallery is empty')).toBeTruthy());
  });

  it('switches screens with Ctrl+digit and shows the data folder on Privacy', async () => {
    render(App);
    await fireEvent.keyDown(window, { key: '4', ctrlKey: true });
    expect(heading().textContent).toBe('Privacy');
    await waitFor(() => expect(screen.getByTestId('data-dir').textContent).toContain('com.fluxkrea.desktop'));
    await fireEvent.keyDown(window, { key: '3', ctrlKey: true });
    expect(heading().textContent).toBe('Account');
  });

  it('opens Settings with Ctrl+5: updates and where the files are', async () => {
    render(App);
    await fireEvent.keyDown(window, { key: '5', ctrlKey: true });
    expect(heading().textContent).toBe('Settings');
    expect(screen.getByRole('button', { name: /Settings/ }).getAttribute('aria-current')).toBe('page');
    await waitFor(() => expect(screen.getByTestId('update-status').textContent).toContain('not available in this build'));
    expect(screen.getByTestId('about-data-dir').textContent).toContain('com.fluxkrea.desktop');
    expect(screen.getByTestId('about-log-dir').textContent).toBe('/logs');
    expect(document.title).toBe('Settings · Flux Krea');
  });

  it('shows an available update above every screen until put off', async () => {
    updateNow = { state: 'available', version: '0.2.0', current_version: '0.1.0', notes: 'New things.', date: null };
    const { updates } = await import('./updates/updates.svelte');
    await updates.load();
    render(App);
    await waitFor(() => expect(screen.getByTestId('update-version').textContent).toBe('Version 0.2.0 is available'));
    await fireEvent.click(screen.getByRole('button', { name: /Gallery/ }));
    expect(screen.getByTestId('update-banner')).toBeTruthy();
    await fireEvent.click(screen.getByTestId('update-later'));
    expect(screen.queryByTestId('update-banner')).toBeNull();
  });

  it('cycles and saves the theme preference, marking the document', async () => {
    render(App);
    const toggle = screen.getByTestId('theme-toggle');
    await fireEvent.click(toggle);
    expect(updateSettings).toHaveBeenLastCalledWith({ theme: 'light' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
    await fireEvent.click(toggle);
    expect(updateSettings).toHaveBeenLastCalledWith({ theme: 'dark' });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
  });

  it('badges running jobs on Create and opens a result in the viewer, Esc back to its tile', async () => {
    queueJobs = [{ ...doneJob, id: 12, status: 'running', thumbs: [], completed_at: null }, doneJob];
    const { queue } = await import('./create/queue.svelte');
    await queue.load();
    render(App);
    await waitFor(() => expect(screen.getByTestId('badge-create').textContent).toBe('1'));
    await waitFor(() => expect(screen.getByTestId('result-11-0')).toBeTruthy());
    expect(screen.getByTestId('job-12').dataset.status).toBe('running');
    await fireEvent.click(screen.getByTestId('result-11-0'));
    await waitFor(() => expect(screen.getByTestId('viewer').dataset.id).toBe('11'));
    expect(heading().textContent).toBe('Create');
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('viewer')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('result-11-0')));
  });

  it('shows the start-up error, naming the setting, instead of the shell', async () => {
    appInfoResult = fail({ kind: 'invalid_input', field: 'FLUX_KREA_PLATFORM_URL', reason: 'plain http is only allowed to this computer' });
    render(App);
    await waitFor(() => expect(screen.getByTestId('startup-error').textContent).toContain('FLUX_KREA_PLATFORM_URL'));
    expect(screen.queryByRole('navigation')).toBeNull();
  });
});
