import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';

const updateSettings = vi.fn(async (s: { theme: string }) => ({ status: 'ok', data: s }));
let appInfoResult: unknown = {
  status: 'ok',
  data: {
    version: '0.1.0',
    data_dir: '/home/me/.local/share/com.fluxkrea.desktop',
    log_dir: '/logs',
    config_file: '/cfg/config.toml',
    replicate_url: 'https://api.replicate.com/v1',
    account_mode_available: false,
    recovered_database: null,
  },
};

vi.mock('./lib/bindings', () => ({
  commands: {
    appInfo: async () => appInfoResult,
    getSettings: async () => ({ status: 'ok', data: { theme: 'system' } }),
    updateSettings: (s: { theme: string }) => updateSettings(s),
    launchScreen: async () => null,
    galleryPage: async () => ({ status: 'ok', data: { items: [], next_cursor: null } }),
    listCollections: async () => ({ status: 'ok', data: [] }),
    getRetention: async () => ({ status: 'ok', data: { window_days: 365, disk_budget_bytes: null, keep_favourites: false } }),
    previewPurge: async () => ({ status: 'ok', data: { items: 0, bytes: 0 } }),
    modelCatalogue: async () => ({ status: 'ok', data: { source: 'test', models: [] } }),
    queueState: async () => ({ status: 'ok', data: { paused: false, runs_here: true, limit: 2, jobs: [] } }),
    replicateKeyStatus: async () => ({ status: 'ok', data: { configured: false, source: null, account: null } }),
    spendSummary: async () => ({
      status: 'ok',
      data: { month_usd: 0, all_time_usd: 0, monthly_budget_usd: null, recent: [] },
    }),
  },
  events: {
    navigateRequested: { listen: async () => () => {} },
    jobUpdated: { listen: async () => () => {} },
  },
}));

import App from './App.svelte';

const heading = () => screen.getByRole('heading', { level: 1 });

describe('App shell', () => {
  beforeEach(() => updateSettings.mockClear());

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

  it('shows the start-up error, naming the setting, instead of the shell', async () => {
    appInfoResult = {
      status: 'error',
      error: { kind: 'invalid_input', field: 'FLUX_KREA_PLATFORM_URL', reason: 'plain http is only allowed to this computer' },
    };
    render(App);
    await waitFor(() => expect(screen.getByTestId('startup-error').textContent).toContain('FLUX_KREA_PLATFORM_URL'));
    expect(screen.queryByRole('navigation')).toBeNull();
  });
});
