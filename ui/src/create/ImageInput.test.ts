import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { catalogue } from './fixtures';
import { fail, mockBindings, ok, tauriCore, tauriWebview } from '../test/bindings';

const preview = (path: string, bytes = 48_000) =>
  ok({ path, file_name: path.split('/').pop(), data_url: 'data:image/jpeg;base64,AAAA', width: 800, height: 600, bytes });
const previewInputImage = vi.fn(async (path: string) => preview(path));
const stagePastedImage = vi.fn(async (_b64: string) => preview('/data/staging/pasted-0123.png'));
// The shell's file dialog: the path the user chose (recorded by the shell), or null when cancelled.
const pickInputImage = vi.fn(async (_title: string): Promise<unknown> => ok('/pictures/cat.png'));

vi.mock('../lib/bindings', () =>
  mockBindings({
    modelCatalogue: async () => ok(catalogue),
    replicateKeyStatus: async () => ok({ configured: true, source: 'keychain', account: null, keychain_unavailable: null }),
    spendSummary: async () => ok({ month_usd: 0, all_time_usd: 0, monthly_budget_usd: null, recent: [] }),
    queueState: async () => ok({ paused: false, runs_here: true, max_running: 2, rows: 50, jobs: [] }),
    pickInputImage: (title: string) => pickInputImage(title),
    previewInputImage: (path: string) => previewInputImage(path),
    stagePastedImage: (b64: string) => stagePastedImage(b64),
  }),
);
vi.mock('@tauri-apps/api/core', () => tauriCore);
vi.mock('@tauri-apps/api/webview', () => tauriWebview);

import CreateScreen from '../screens/CreateScreen.svelte';
import { createForm } from './store.svelte';

const byTestId = (id: string) => screen.getByTestId(id);

describe('picture inputs', () => {
  beforeEach(async () => {
    previewInputImage.mockClear();
    pickInputImage.mockClear();
    stagePastedImage.mockClear();
    await createForm.loadCatalogue();
    createForm.selectModel('flux-dev');
    createForm.reset(false);
  });

  it("picks a file with the shell's dialog, previews it, shows the fields that need a picture, and removes it", async () => {
    render(CreateScreen, { props: { info: null } });
    await waitFor(() => expect(byTestId('field-image-choose')).toBeTruthy());
    expect(screen.queryByTestId('field-prompt_strength')).toBeNull();

    await fireEvent.click(byTestId('field-image-choose'));
    await waitFor(() => expect(screen.getByText('cat.png')).toBeTruthy());
    expect(pickInputImage).toHaveBeenCalledWith(expect.stringMatching(/^Choose /));
    expect(previewInputImage).toHaveBeenCalledWith('/pictures/cat.png');
    expect(byTestId('field-image').textContent).toMatch(/800 × 600\s*·\s*48 KB/);
    expect(byTestId('field-prompt_strength')).toBeTruthy();
    expect(createForm.request()?.inputs).toMatchObject({ image: '/pictures/cat.png', prompt_strength: 0.8 });

    await fireEvent.click(byTestId('field-image-remove'));
    expect(screen.queryByText('cat.png')).toBeNull();
    expect(screen.queryByTestId('field-prompt_strength')).toBeNull();
    expect(createForm.request()?.inputs).not.toHaveProperty('image');
  });

  it('refuses a file that is not a PNG, JPEG or WebP before reading it', async () => {
    pickInputImage.mockResolvedValueOnce(ok('/pictures/scan.tiff'));
    render(CreateScreen, { props: { info: null } });
    await waitFor(() => expect(byTestId('field-image-choose')).toBeTruthy());
    await fireEvent.click(byTestId('field-image-choose'));
    await waitFor(() => expect(byTestId('field-image-error').textContent).toBe('Use a PNG, JPEG or WebP picture.'));
    expect(previewInputImage).not.toHaveBeenCalled();
  });

  it('does nothing when the dialog is cancelled', async () => {
    pickInputImage.mockResolvedValueOnce(ok(null));
    render(CreateScreen, { props: { info: null } });
    await waitFor(() => expect(byTestId('field-image-choose')).toBeTruthy());
    await fireEvent.click(byTestId('field-image-choose'));
    await waitFor(() => expect(pickInputImage).toHaveBeenCalledTimes(1));
    expect(previewInputImage).not.toHaveBeenCalled();
    expect(screen.queryByTestId('field-image-error')).toBeNull();
  });

  it('says so when the dialog cannot open', async () => {
    pickInputImage.mockResolvedValueOnce(fail({ kind: 'internal', message: 'no portal' }));
    render(CreateScreen, { props: { info: null } });
    await waitFor(() => expect(byTestId('field-image-choose')).toBeTruthy());
    await fireEvent.click(byTestId('field-image-choose'));
    await waitFor(() => expect(byTestId('field-image-error').textContent).toMatch(/^The file dialog could not open/));
  });

  it('takes a pasted picture: base64 to the core, which keeps it as a file', async () => {
    render(CreateScreen, { props: { info: null } });
    await waitFor(() => expect(byTestId('field-image-choose')).toBeTruthy());
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'clip.png', { type: 'image/png' });
    const event = new Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'clipboardData', {
      value: { items: [{ kind: 'file', type: 'image/png', getAsFile: () => file }] },
    });
    window.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    await waitFor(() => expect(stagePastedImage).toHaveBeenCalledWith('iVBORw=='));
    await waitFor(() => expect(screen.getByText('pasted-0123.png')).toBeTruthy());
  });
});
