import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { accountStatus, fail, mockBindings, ok, type Result } from '../test/bindings';

const DIR = '/home/me/.local/share/com.fluxkrea.desktop';
const report = {
  data_dir: DIR,
  kinds: [
    { key: 'generations', label: 'Generations (model, settings, status, cost, times)', count: 42, bytes: 2_500_000, location: `${DIR}/history.db` },
    { key: 'prompts', label: 'Prompts (searchable)', count: 40, bytes: 0, location: `${DIR}/history.db` },
    { key: 'images', label: 'Images', count: 120, bytes: 340_000_000, location: `${DIR}/images` },
  ],
  oldest_item_at: Date.UTC(2025, 0, 15, 12),
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
const saveDraft = vi.fn(async (_draft: unknown) => ok(null));
const eraseEverything = vi.fn(async () => ok({ generations: 42, files_removed: 240, bytes_removed: 340_000_000, skipped_running: 0 }));
type Progress = { phase: 'history' | 'files'; done: number; total: number };
let progressListener: ((e: { payload: Progress }) => void) | null = null;
const SUGGESTED = '/home/me/Downloads/flux-krea-export-2026-11-27.zip';
let exportGate: Promise<void> = Promise.resolve();
const exportData = vi.fn(async (path: string) => {
  progressListener?.({ payload: { phase: 'history', done: 1, total: 2 } });
  await exportGate;
  return ok({ path, bytes: 12_300_000, generations: 42, images: 120 });
});
// The shell's save dialog: it returns where the user chose, or null when cancelled.
const chooseExportPath = vi.fn(async (): Promise<Result> => ok('/home/me/flux.zip'));
let requests: unknown[] = [];

const SIGNED_OUT = accountStatus();
const UNAVAILABLE = accountStatus({ available: false });
const SIGNED_IN = accountStatus({
  signed_in: true,
  profile: { id: 'u_1', name: 'Ada Lovelace', email: 'ada@example.com', provider: 'github', avatar: null },
});
let account: unknown = UNAVAILABLE;
const REQUESTED_AT = Date.UTC(2025, 7, 4, 10);
const DUE_AT = Date.UTC(2025, 8, 3, 10);
const deletionRequest = {
  id: 7,
  kind: 'account_deletion',
  status: 'pending',
  requested_at: REQUESTED_AT,
  outcome: 'account deletion requested; the platform answers by the due date',
  platform_request_id: 'del_8f3a2c',
  due_at: DUE_AT,
};
const deletePlatformImages = vi.fn(async (): Promise<Result> =>
  ok({
    id: 6,
    kind: 'delete_images',
    status: 'done',
    requested_at: REQUESTED_AT,
    outcome: 'Flux Krea removed 3 images from its temporary storage',
    platform_request_id: null,
    due_at: null,
  }),
);
const requestAccountDeletion = vi.fn(async (): Promise<Result> => {
  requests = [deletionRequest, ...requests];
  return ok(deletionRequest);
});
const cancelled = {
  ...deletionRequest,
  status: 'cancelled',
  outcome: 'account deletion requested, then cancelled: the account stays',
};
const cancelAccountDeletion = vi.fn(async (): Promise<Result> => {
  requests = requests.map((r) => ((r as { id: number }).id === deletionRequest.id ? cancelled : r));
  return ok(cancelled);
});

vi.mock('../lib/bindings', () =>
  mockBindings(
    {
      privacyReport: async () => ok(report),
      consents: async () => ok(consentsNow),
      consentHistory: async () => ok(history),
      setConsent: (name: string, granted: boolean) => setConsent(name, granted),
      privacyRequests: async () => ok(requests),
      exportData: (path: string) => exportData(path),
      suggestedExportPath: async () => ok(SUGGESTED),
      chooseExportPath: () => chooseExportPath(),
      erasePrompts: () => erasePrompts(),
      eraseEverything: () => eraseEverything(),
      getRetention: async () => ok({ window_days: 365, disk_budget_bytes: null, keep_favourites: false }),
      previewPurge: async () => ok({ items: 0, bytes: 0 }),
      accountStatus: async () => ok(account),
      deletePlatformImages: () => deletePlatformImages(),
      requestAccountDeletion: () => requestAccountDeletion(),
      cancelAccountDeletion: () => cancelAccountDeletion(),
      saveDraft: (draft: unknown) => saveDraft(draft),
    },
    {
      exportProgress: {
        listen: async (cb: typeof progressListener) => {
          progressListener = cb;
          return () => (progressListener = null);
        },
      },
    },
  ),
);

import PrivacyScreen from '../screens/PrivacyScreen.svelte';
import { createForm } from '../create/store.svelte';
import { exportFileName, exportProgressWords, requestKindWords } from './text';
import { POLICY, parsePolicy } from './policy';

const byTestId = (id: string) => screen.getByTestId(id);
const info = {
  version: '0.1.0',
  data_dir: DIR,
  log_dir: '/logs',
  config_file: '/cfg/config.toml',
  replicate_url: '',
  account_mode_available: false,
  recovered_database: null,
};

describe('Privacy screen', () => {
  beforeEach(() => {
    consentsNow = NAMES.map(off);
    history = [];
    requests = [];
    setConsent.mockClear();
    erasePrompts.mockClear();
    eraseEverything.mockClear();
    exportData.mockClear();
    chooseExportPath.mockClear();
    deletePlatformImages.mockClear();
    requestAccountDeletion.mockClear();
    account = UNAVAILABLE;
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

  it('holds its layout while the report and the policy load, so nothing below moves', async () => {
    render(PrivacyScreen, { props: { info } });
    // Before any answer: the table keeps a row for each kind the core reports, and the
    // retention fields are there, disabled.
    const rows = () => byTestId('privacy-report').querySelectorAll('tbody tr');
    expect(rows().length).toBe(9);
    expect(screen.getByText('Reading what is stored…')).toBeTruthy();
    const windowSelect = byTestId('retention-window') as HTMLSelectElement;
    expect(windowSelect.closest('fieldset')?.disabled).toBe(true);
    await waitFor(() => expect(byTestId('kind-generations')).toBeTruthy());
    expect(rows().length).toBe(report.kinds.length);
    await waitFor(() => expect(windowSelect.closest('fieldset')?.disabled).toBe(false));
    expect(windowSelect.value).toBe('365');
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
    setConsent.mockImplementationOnce(async () => fail({ kind: 'storage', path: 'history.db', reason: 'disk full' }));
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

  it('erasing prompts also empties the Create prompt, which is not saved as a draft again', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      createForm.values = { ...createForm.values, prompt: 'a secret garden' };
      createForm.drafts.begin({ model: 'flux-schnell', prompt: '', models: [], style: null });
      createForm.drafts.changed({ model: 'flux-schnell', prompt: 'a secret garden', models: [], style: null });
      render(PrivacyScreen, { props: { info } });
      await fireEvent.click(byTestId('erase-prompts'));
      await fireEvent.click(byTestId('erase-prompts-confirm'));
      await waitFor(() => expect(byTestId('erase-result')).toBeTruthy());
      expect(createForm.values['prompt']).toBe('');
      await vi.advanceTimersByTimeAsync(2000);
      expect(saveDraft).not.toHaveBeenCalled();
    } finally {
      createForm.drafts.reset();
      vi.useRealTimers();
    }
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
    expect(chooseExportPath).not.toHaveBeenCalled();
  });

  it('exports through the save dialog, follows progress and shows the result', async () => {
    requests = [
      {
        id: 1,
        kind: 'export',
        status: 'done',
        requested_at: Date.UTC(2025, 7, 4),
        outcome: '42 generations and 120 images written to /home/me/flux.zip',
        platform_request_id: null,
        due_at: null,
      },
    ];
    let finish = () => {};
    exportGate = new Promise((resolve) => (finish = resolve));
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('export-choose'));
    await waitFor(() => expect(byTestId('export-progress').textContent).toContain('Writing history: 1 of 2 generations'));
    const wrap = byTestId('export-progress');
    const bar = screen.getByRole('progressbar');
    expect(wrap.dataset.phase).toBe('history');
    expect(bar.getAttribute('aria-valuenow')).toBe('1');
    expect(bar.getAttribute('aria-valuemax')).toBe('2');
    expect(bar.getAttribute('aria-valuetext')).toBe('Writing history: 1 of 2 generations…');
    expect(wrap.closest('[aria-live]')?.getAttribute('aria-live')).toBe('polite');
    expect((byTestId('erase-everything') as HTMLButtonElement).disabled).toBe(true);
    // Then the image files: the same line and bar, counting again from the start.
    progressListener?.({ payload: { phase: 'files', done: 0, total: 9 } });
    await waitFor(() => expect(wrap.dataset.phase).toBe('files'));
    expect(wrap.textContent).toContain('Copying images: 0 of 9…');
    expect(bar.getAttribute('aria-valuenow')).toBe('0');
    progressListener?.({ payload: { phase: 'files', done: 3, total: 9 } });
    await waitFor(() => expect(wrap.textContent).toContain('Copying images: 3 of 9…'));
    expect(byTestId('export-progress')).toBe(wrap);
    expect(screen.getByRole('progressbar')).toBe(bar);
    expect(bar.getAttribute('aria-valuenow')).toBe('3');
    expect(bar.getAttribute('aria-valuemax')).toBe('9');
    expect(bar.getAttribute('aria-valuetext')).toBe('Copying images: 3 of 9…');
    expect((bar.firstElementChild as HTMLElement).style.width).toBe(`${(3 / 9) * 100}%`);
    finish();
    await waitFor(() => expect(byTestId('export-result').textContent).toContain('/home/me/flux.zip'));
    expect(screen.queryByTestId('export-progress')).toBeNull();
    expect(chooseExportPath).toHaveBeenCalledTimes(1);
    expect(exportData).toHaveBeenCalledWith('/home/me/flux.zip');
    expect(byTestId('export-result').textContent).toContain('12 MB, 42 generations and 120 images');
    expect(byTestId('privacy-requests').textContent).toContain('Data export');
  });

  it('says each phase of the export in words, with its counts', () => {
    const n = (x: number) => x.toLocaleString();
    expect(exportProgressWords(null)).toBe('Preparing the archive…');
    expect(exportProgressWords({ phase: 'history', done: 0, total: 0 })).toBe('Preparing the archive…');
    expect(exportProgressWords({ phase: 'history', done: 40_000, total: 100_000 })).toBe(`Writing history: ${n(40_000)} of ${n(100_000)} generations…`);
    expect(exportProgressWords({ phase: 'files', done: 1_200, total: 9_000 })).toBe(`Copying images: ${n(1_200)} of ${n(9_000)}…`);
    expect(exportProgressWords({ phase: 'files', done: 0, total: 0 })).toBe('Finishing the archive…');
    // Rows added while the export runs never read as more than the total.
    expect(exportProgressWords({ phase: 'history', done: 3, total: 2 })).toBe('Writing history: 2 of 2 generations…');
  });

  it('does nothing when the save dialog is cancelled', async () => {
    chooseExportPath.mockImplementationOnce(async () => ok(null));
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('export-choose'));
    await waitFor(() => expect(chooseExportPath).toHaveBeenCalledTimes(1));
    expect(exportData).not.toHaveBeenCalled();
    expect(screen.queryByTestId('export-result')).toBeNull();
  });

  it('names the export file by date', () => {
    expect(exportFileName(new Date(2025, 7, 3))).toBe('flux-krea-export-2025-08-03.zip');
  });

  it('hides the account rights behind one line when this build has no account mode', async () => {
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(byTestId('platform-rights-unavailable').textContent).toContain('need a Flux Krea account'));
    expect(screen.queryByTestId('delete-platform-images')).toBeNull();
    expect(screen.queryByTestId('request-deletion')).toBeNull();
    expect(screen.queryByTestId('consents-sync')).toBeNull();
  });

  it('shows the account rights disabled, with the reason, when signed out', async () => {
    account = SIGNED_OUT;
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(byTestId('platform-reason').textContent).toContain('Sign in to your Flux Krea account to use this'));
    for (const id of ['delete-platform-images', 'request-deletion']) {
      const button = byTestId(id) as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.getAttribute('aria-describedby')).toBe('platform-reason');
    }
    expect(screen.queryByTestId('platform-rights-unavailable')).toBeNull();
    expect(screen.queryByTestId('consents-sync')).toBeNull();
    expect(screen.queryByText(/platform_account\.json/)).toBeNull();
  });

  it('deletes the images on Flux Krea only after the confirmation, and says what happened', async () => {
    account = SIGNED_IN;
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect((byTestId('delete-platform-images') as HTMLButtonElement).disabled).toBe(false));
    expect(byTestId('platform-account').textContent).toContain('Ada Lovelace');
    await fireEvent.click(byTestId('delete-platform-images'));
    expect(deletePlatformImages).not.toHaveBeenCalled();
    expect(
      screen.getByText(/remove the images of your account from its temporary storage now, instead of within 48 hours\. Your copies on this computer stay\./),
    ).toBeTruthy();
    await fireEvent.click(byTestId('delete-platform-images-confirm'));
    await waitFor(() => expect(byTestId('delete-platform-images-result').textContent).toBe('Flux Krea removed 3 images from its temporary storage.'));
    expect(deletePlatformImages).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByTestId('delete-platform-images-confirm')).toBeNull());
    expect(document.activeElement).toBe(byTestId('delete-platform-images'));
  });

  it('says why the images were not deleted when offline', async () => {
    account = SIGNED_IN;
    deletePlatformImages.mockImplementationOnce(async () => fail({ kind: 'offline', service: 'Flux Krea' }));
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect((byTestId('delete-platform-images') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(byTestId('delete-platform-images'));
    await fireEvent.click(byTestId('delete-platform-images-confirm'));
    await waitFor(() => expect(screen.getByText(/Nothing was deleted: You appear to be offline: Flux Krea cannot be reached\./)).toBeTruthy());
    expect(screen.queryByTestId('delete-platform-images-result')).toBeNull();
  });

  it('requests the account deletion after the confirmation and shows its id and due date', async () => {
    account = SIGNED_IN;
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect((byTestId('request-deletion') as HTMLButtonElement).disabled).toBe(false));
    expect(screen.queryByTestId('deletion-request')).toBeNull();
    await fireEvent.click(byTestId('request-deletion'));
    expect(requestAccountDeletion).not.toHaveBeenCalled();
    expect(
      screen.getByText(
        'Flux Krea will delete your account, its credits and everything it stores about you. It answers within 30 days. Your history on this computer stays until you erase it.',
      ),
    ).toBeTruthy();
    await fireEvent.click(byTestId('request-deletion-confirm'));
    await waitFor(() => expect(byTestId('deletion-request').getAttribute('data-request-id')).toBe('del_8f3a2c'));
    expect(requestAccountDeletion).toHaveBeenCalledTimes(1);
    const due = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' }).format(new Date(DUE_AT));
    expect(byTestId('deletion-request').textContent).toContain('del_8f3a2c');
    expect(byTestId('deletion-request').textContent).toContain(`answer due by ${due}`);
    await waitFor(() => expect(byTestId('privacy-request-7').textContent).toContain('Account deletion requested'));
    expect(byTestId('privacy-request-7').textContent).toContain('del_8f3a2c');
    expect(byTestId('privacy-request-7').textContent).toContain(`answer due by ${due}`);
  });

  it('withdraws a pending deletion request and then shows it as withdrawn, not pending', async () => {
    account = SIGNED_IN;
    requests = [deletionRequest];
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(byTestId('deletion-request').getAttribute('data-status')).toBe('pending'));
    await fireEvent.click(byTestId('cancel-deletion'));
    await waitFor(() => expect(byTestId('deletion-request').getAttribute('data-status')).toBe('cancelled'));
    expect(cancelAccountDeletion).toHaveBeenCalledTimes(1);
    expect(byTestId('deletion-request').textContent).toContain('then withdrawn: your account stays');
    expect(byTestId('deletion-request').textContent).not.toContain('answer due by');
    expect(screen.queryByTestId('cancel-deletion')).toBeNull();
    await waitFor(() => expect(byTestId('privacy-request-7').textContent).toContain('then cancelled'));
  });

  it('offers no withdrawal while signed out (the platform must be asked)', async () => {
    account = SIGNED_OUT;
    requests = [deletionRequest];
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(byTestId('deletion-request').getAttribute('data-status')).toBe('pending'));
    expect(screen.queryByTestId('cancel-deletion')).toBeNull();
  });

  it('shows a pending deletion request from the list, even signed out', async () => {
    account = SIGNED_OUT;
    requests = [deletionRequest];
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(byTestId('deletion-request').getAttribute('data-request-id')).toBe('del_8f3a2c'));
  });

  it('shows what Flux Krea did with its copies in the erase result, and mentions them in the confirmation', async () => {
    account = SIGNED_IN;
    erasePrompts.mockImplementationOnce(async () =>
      ok({ generations: 12, files_removed: 0, bytes_removed: 0, skipped_running: 0, platform: 'Flux Krea removed 3 stored prompts' }),
    );
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect((byTestId('request-deletion') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(byTestId('erase-prompts'));
    expect(screen.getByText(/Flux Krea is also asked to remove the prompts and parameters it stores for your account\./)).toBeTruthy();
    await fireEvent.click(byTestId('erase-prompts-confirm'));
    await waitFor(() => expect(byTestId('erase-result').textContent).toContain('12 generations erased'));
    expect(byTestId('erase-result').textContent).toContain('Flux Krea removed 3 stored prompts.');
    expect(byTestId('erase-platform').classList.contains('failed')).toBe(false);
  });

  it('marks a platform note that says Flux Krea could not be asked', async () => {
    account = SIGNED_IN;
    eraseEverything.mockImplementationOnce(async () =>
      ok({
        generations: 42,
        files_removed: 240,
        bytes_removed: 0,
        skipped_running: 0,
        platform: 'Flux Krea could not be asked to remove stored prompts (offline): try again when online',
      }),
    );
    render(PrivacyScreen, { props: { info } });
    await fireEvent.click(byTestId('erase-everything'));
    await fireEvent.click(byTestId('erase-everything-confirm'));
    await waitFor(() => expect(byTestId('erase-platform').textContent).toContain('try again when online'));
    expect(byTestId('erase-platform').classList.contains('failed')).toBe(true);
  });

  it('mentions the account data in the export explanation when signed in', async () => {
    account = SIGNED_IN;
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(screen.getByText('platform_account.json')).toBeTruthy());
    expect(screen.getByText('platform_account.json').parentElement?.textContent).toContain('the record of these requests. It also holds platform_account.json');
  });

  it('says whether consent changes reached the account', async () => {
    account = SIGNED_IN;
    history = [{ name: 'marketing_emails', granted: true, changed_at: Date.UTC(2025, 7, 1), source: 'app', synced_at: Date.UTC(2025, 7, 1) }];
    render(PrivacyScreen, { props: { info } });
    await waitFor(() => expect(byTestId('consents-sync').textContent).toContain('Synced to your Flux Krea account'));
    // The mock records the change unsynced, as when Flux Krea cannot be reached.
    await fireEvent.click(byTestId('consent-training_use'));
    await waitFor(() => expect(byTestId('consents-sync').textContent).toContain('Not synced yet — will be sent when online'));
    expect(byTestId('consents-sync').textContent).toContain('Training use');
    expect(byTestId('consents-sync').textContent).not.toContain('Marketing');
  });

  it('labels every kind of request', () => {
    expect(requestKindWords('export')).toBe('Data export');
    expect(requestKindWords('erase_prompts')).toBe('Prompts and parameters erased');
    expect(requestKindWords('erase_all')).toBe('Everything erased');
    expect(requestKindWords('delete_images')).toBe('Images deleted from Flux Krea');
    expect(requestKindWords('account_deletion')).toBe('Account deletion requested');
  });

  it('renders the full policy with its date, headings and lists', async () => {
    render(PrivacyScreen, { props: { info } });
    const full = byTestId('policy-full');
    expect(full.tagName).toBe('DETAILS');
    expect(full.querySelector('summary')?.textContent).toContain('Read the full policy');
    expect(full.textContent).toContain('Privacy Policy');
    const date = full.querySelector('time');
    expect(date?.textContent).toBe('August 3, 2025');
    expect(date?.getAttribute('datetime')).toBe('2025-08-03');
    const headings = [...full.querySelectorAll('h3')].map((h) => h.textContent);
    expect(headings).toContain('Introduction');
    expect(headings).toContain('1. Information You Provide Directly');
    expect(headings).toContain('Your Rights and Choices');
    expect(headings).toContain('Data Retention');
    // Sentences ending with a colon are paragraphs, not headings.
    expect(headings.some((h) => h?.endsWith(':'))).toBe(false);
    const items = [...full.querySelectorAll('li')].map((li) => li.textContent);
    expect(items).toContain('Deletion: Request deletion of your personal information in certain circumstances');
    expect(items).toContain('Marketing Communications: Retained until you unsubscribe or request deletion');
    expect(full.querySelector('li strong')?.textContent).toBe('Account Information:');
    // The summary date agrees with the policy text.
    expect(byTestId('policy').querySelector('.date time')?.getAttribute('datetime')).toBe('2025-08-03');
  });

  it('reads plain policy text into title, date, headings, paragraphs and lists', () => {
    const p = parsePolicy('Policy\nLast updated: May 1, 2024\nIntro\nWe keep little.\n1. What\n- One: first\n - Two\n \n- Three\nThe end:\n');
    expect(p.title).toBe('Policy');
    expect(p.updated).toEqual({ text: 'May 1, 2024', iso: '2024-05-01' });
    expect(p.blocks).toEqual([
      { kind: 'heading', text: 'Intro', numbered: false },
      { kind: 'paragraph', text: 'We keep little.' },
      { kind: 'heading', text: '1. What', numbered: true },
      {
        kind: 'list',
        items: [
          { label: 'One', text: 'first' },
          { label: null, text: 'Two' },
        ],
      },
      { kind: 'list', items: [{ label: null, text: 'Three' }] },
      { kind: 'paragraph', text: 'The end:' },
    ]);
    expect(POLICY.blocks.length).toBeGreaterThan(40);
  });
});
