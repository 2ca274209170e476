import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import type { GenerationRequest } from '../lib/bindings';
import { catalogue, job } from './fixtures';
import { accountStatus, fail, mockBindings, ok, tauriCore, tauriWebview, type Result } from '../test/bindings';

let keyConfigured = true;
const noAccount = accountStatus({ available: false, own_key_configured: true, active_mode: 'own_key' });
let account: Record<string, unknown> = noAccount;
let balanceAnswer: () => Result = () => ok({ credits: 95, updated_at: '2025-05-06T10:00:00Z', fetched_at: 1, live: true });
let generateAnswer: () => Result = () => ok(job(41));
const generate = vi.fn(async (_request: GenerationRequest) => generateAnswer());
const planGeneration = vi.fn(async (..._args: unknown[]) => fail({ kind: 'internal', message: 'not planned in these tests' }));

vi.mock('../lib/bindings', () =>
  mockBindings({
    modelCatalogue: async () => ok(catalogue),
    replicateKeyStatus: async () => ok({ configured: keyConfigured, source: keyConfigured ? 'keychain' : null, account: null }),
    spendSummary: async () => ok({ month_usd: 0.5, all_time_usd: 2, monthly_budget_usd: 5, recent: [] }),
    queueState: async () => ok({ paused: false, runs_here: true, max_running: 2, rows: 50, jobs: [] }),
    accountStatus: async () => ok(account),
    refreshBalance: async () => balanceAnswer(),
    creditPrices: async () => ok([{ model: 'flux-schnell', credits_per_image: 2, max_outputs: 4, enabled: true }]),
    generate: (request: GenerationRequest) => generate(request),
    generationDetails: async (id: number) => ok({ generation: { id, seed: 123456 }, images: [], collections: [] }),
    previewInputImage: async (path: string) =>
      ok({ path, file_name: path.split('/').pop(), data_url: 'data:image/jpeg;base64,', width: 640, height: 480, bytes: 1000 }),
    listStyles: async () => ok([]),
    loadDraft: async () => ok(null),
    saveDraft: async () => ok(null),
    planGeneration: (...args: unknown[]) => planGeneration(...args),
  }),
);
vi.mock('@tauri-apps/api/core', () => tauriCore);
vi.mock('@tauri-apps/api/webview', () => tauriWebview);

import CreateScreen from '../screens/CreateScreen.svelte';
import { createForm } from './store.svelte';
import { styles } from './styles.svelte';
import { platform } from '../account/platform.svelte';
import { nav } from '../lib/nav.svelte';

const info = null;
const byTestId = (id: string) => screen.getByTestId(id);

async function ready() {
  render(CreateScreen, { props: { info } });
  await waitFor(() => expect(byTestId('prompt')).toBeTruthy());
}

async function typeNumber(id: string, value: string) {
  const input = byTestId(id) as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
}

describe('Create screen', () => {
  beforeEach(async () => {
    keyConfigured = true;
    account = noAccount;
    platform.reset();
    generateAnswer = () => ok(job(41));
    generate.mockClear();
    planGeneration.mockClear();
    createForm.resetEditor();
    styles.reset();
    await createForm.loadCatalogue();
    createForm.selectModel('flux-schnell');
    createForm.reset(false);
  });

  it('builds the form from the chosen model, and switching model changes the fields', async () => {
    await ready();
    expect(byTestId('model-flux-schnell').getAttribute('aria-checked')).toBe('true');
    expect(screen.queryByTestId('field-image')).toBeNull();
    expect((byTestId('field-num_inference_steps') as HTMLInputElement).max).toBe('4');

    await fireEvent.click(byTestId('model-flux-dev'));
    expect(byTestId('model-flux-dev').getAttribute('aria-checked')).toBe('true');
    expect(byTestId('field-image')).toBeTruthy();
    expect(byTestId('field-guidance')).toBeTruthy();
    expect((byTestId('field-num_inference_steps') as HTMLInputElement).max).toBe('50');
    expect(screen.queryByTestId('field-prompt_strength')).toBeNull(); // only with an input image

    await fireEvent.click(byTestId('model-flux-1.1-pro'));
    expect(screen.queryByTestId('field-width')).toBeNull();
    await fireEvent.click(byTestId('field-aspect_ratio-custom'));
    expect(byTestId('field-width')).toBeTruthy();
    expect(screen.getByText('$0.04 / image')).toBeTruthy();
    expect(screen.getByText(/Third-party listing, unverified/)).toBeTruthy();
  });

  it('puts the prompt first, then a compact model radio group, with Generate in the same form', async () => {
    await ready();
    const form = byTestId('create-form');
    const prompt = byTestId('prompt');
    const group = screen.getByRole('radiogroup', { name: 'Model' });
    expect(form.contains(prompt) && form.contains(group) && form.contains(byTestId('generate'))).toBe(true);
    // DOM order: prompt, then the model picker, then the other fields, then Generate.
    expect(prompt.compareDocumentPosition(group) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(group.compareDocumentPosition(byTestId('field-num_outputs')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(byTestId('field-num_outputs').compareDocumentPosition(byTestId('generate')) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    // Each option is one row: name and price per image.
    const radios = within(group).getAllByRole('radio');
    expect(radios.map((r) => r.dataset.testid)).toEqual(catalogue.models.map((m) => `model-${m.id}`));
    expect(byTestId('model-flux-schnell').textContent).toContain('$0.003 / image');
  });

  it('selects a model with arrow keys, Home and End, keeping one tab stop', async () => {
    await ready();
    const ids = catalogue.models.map((m) => m.id);
    const first = byTestId(`model-${ids[0]}`);
    expect(first.tabIndex).toBe(0);
    await fireEvent.keyDown(first, { key: 'ArrowDown' });
    const second = byTestId(`model-${ids[1]}`);
    expect(second.getAttribute('aria-checked')).toBe('true');
    expect(document.activeElement).toBe(second);
    expect(first.tabIndex).toBe(-1);
    expect(second.tabIndex).toBe(0);
    expect(createForm.modelId).toBe(ids[1]);
    await fireEvent.keyDown(second, { key: 'End' });
    expect(createForm.modelId).toBe(ids[ids.length - 1]);
    await fireEvent.keyDown(byTestId(`model-${ids[ids.length - 1]}`), { key: 'ArrowRight' });
    expect(createForm.modelId).toBe(ids[0]); // wraps
    await fireEvent.keyDown(first, { key: 'ArrowUp' });
    expect(createForm.modelId).toBe(ids[ids.length - 1]);
    await fireEvent.keyDown(byTestId(`model-${ids[ids.length - 1]}`), { key: 'Home' });
    expect(createForm.modelId).toBe(ids[0]);
    const group = screen.getByRole('radiogroup', { name: 'Model' });
    expect(
      within(group)
        .getAllByRole('radio')
        .filter((r) => r.getAttribute('aria-checked') === 'true'),
    ).toHaveLength(1);
  });

  it('shows an out-of-range value under its field and disables Generate until it is fixed', async () => {
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'a red fox in snow' } });
    const button = byTestId('generate') as HTMLButtonElement;
    expect(button.disabled).toBe(false);

    await typeNumber('field-num_inference_steps', '9');
    expect(byTestId('field-num_inference_steps-error').textContent).toBe('Use a value from 1 to 4.');
    expect(byTestId('field-num_inference_steps').getAttribute('aria-invalid')).toBe('true');
    expect(button.disabled).toBe(true);
    expect(byTestId('form-summary').textContent).toContain('Steps');

    await typeNumber('field-num_inference_steps', '3');
    expect(screen.queryByTestId('field-num_inference_steps-error')).toBeNull();
    expect(button.disabled).toBe(false);
  });

  it('counts prompt characters and estimates the cost', async () => {
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'fox' } });
    expect(byTestId('prompt-counter').textContent?.trim()).toBe('3 / 2,000');
    await typeNumber('field-num_outputs', '4');
    expect(byTestId('cost-estimate').textContent).toBe('4 images × $0.003 = $0.012');
    expect(byTestId('create-spend').textContent).toContain('This month: $0.50 of $5.00');
  });

  it('generates on Ctrl+Enter with the form values, then offers the seed it used', async () => {
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'a red fox' } });
    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(generate).toHaveBeenCalledTimes(1));
    expect(generate.mock.calls[0]?.[0]).toEqual({
      model: 'flux-schnell',
      inputs: {
        prompt: 'a red fox',
        aspect_ratio: '1:1',
        megapixels: '1',
        num_outputs: 1,
        num_inference_steps: 4,
        output_format: 'webp',
        output_quality: 80,
        go_fast: true,
      },
      parent_id: null,
      exact_rerun: false,
      style: null,
    });
    // One plain prompt on one model is sent as it is: no plan is asked for.
    expect(planGeneration).not.toHaveBeenCalled();
    await waitFor(() => expect(byTestId('seed-lock-last')).toBeTruthy());
    await fireEvent.click(byTestId('seed-lock-last'));
    expect((byTestId('field-seed') as HTMLInputElement).value).toBe('123456');
    expect(byTestId('seed-lock').getAttribute('aria-pressed')).toBe('true');
  });

  it('does not send an empty prompt: Ctrl+Enter shows the problem instead', async () => {
    await ready();
    await fireEvent.keyDown(window, { key: 'Enter', ctrlKey: true });
    expect(generate).not.toHaveBeenCalled();
    expect(byTestId('field-prompt-error').textContent).toBe('Write a prompt to generate.');
  });

  it("shows the core's per-field answer under each field and explains a budget stop", async () => {
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'fox' } });
    generateAnswer = () => fail({ kind: 'invalid_fields', fields: [{ field: 'num_outputs', reason: 'must be between 1 and 4' }] });
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(byTestId('field-num_outputs-error').textContent).toBe('Must be between 1 and 4.'));

    generateAnswer = () => fail({ kind: 'budget_exceeded', budget_usd: 5, spent_usd: 4.99, estimate_usd: 0.012 });
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(byTestId('form-error').textContent).toContain('monthly budget of $5.00'));
  });

  it('offers the Account screen instead of failing when no key is set', async () => {
    keyConfigured = false;
    await createForm.refreshKey();
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'fox' } });
    await waitFor(() => expect(byTestId('key-missing')).toBeTruthy());
    expect((byTestId('generate') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(byTestId('open-account'));
    expect(nav.screen).toBe('account');
  });
});

describe('Create screen in account mode', () => {
  const signedIn = {
    ...noAccount,
    available: true,
    signed_in: true,
    own_key_configured: false,
    profile: { id: 'u1', name: 'Ada', email: 'ada@example.com', provider: 'github', avatar: null },
    balance: { credits: 95, updated_at: '2025-05-06T10:00:00Z', fetched_at: 1, live: false },
    preferred_mode: 'account',
    active_mode: 'account',
  };

  beforeEach(async () => {
    keyConfigured = false;
    account = signedIn;
    balanceAnswer = () => ok({ credits: 95, updated_at: '2025-05-06T10:00:00Z', fetched_at: 1, live: true });
    platform.reset();
    generateAnswer = () => ok(job(41, { cost_usd: null, cost_credits: 2 }));
    generate.mockClear();
    createForm.resetEditor();
    nav.screen = 'create';
    await createForm.loadCatalogue();
    createForm.selectModel('flux-schnell');
    createForm.reset(false);
  });

  it('estimates in credits next to the balance, and needs no Replicate key', async () => {
    await ready();
    await waitFor(() => expect(byTestId('create-balance').textContent).toBe('Balance 95 credits'));
    expect(byTestId('create-balance').dataset.credits).toBe('95');
    expect(byTestId('create-estimate').dataset.credits).toBe('2');
    expect(byTestId('cost-estimate').textContent).toBe('1 image × 2 credits = 2 credits');
    expect(byTestId('model-flux-schnell').textContent).toContain('2 credits / image');
    expect(byTestId('model-flux-dev').textContent).toContain('Not with credits');
    await typeNumber('field-num_outputs', '4');
    expect(byTestId('cost-estimate').textContent).toBe('4 images × 2 credits = 8 credits');
    expect(screen.queryByTestId('create-spend')).toBeNull();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'fox' } });
    expect(screen.queryByTestId('key-missing')).toBeNull();
    expect((byTestId('generate') as HTMLButtonElement).disabled).toBe(false);
  });

  it('says when the balance is only the last known one, and when a run needs more than it', async () => {
    balanceAnswer = () => ok({ credits: 5, updated_at: '2025-05-06T10:00:00Z', fetched_at: 1, live: false });
    await ready();
    await waitFor(() => expect(byTestId('create-balance').textContent).toBe('5 credits (last known)'));
    expect(byTestId('create-balance').dataset.live).toBe('false');
    expect(screen.queryByTestId('create-short')).toBeNull();
    await typeNumber('field-num_outputs', '3');
    expect(byTestId('create-short').textContent).toContain('not enough for this run');
    await fireEvent.click(byTestId('create-buy-credits'));
    expect(nav.screen).toBe('account');
  });

  it('explains a refusal for lack of credits and offers to buy some', async () => {
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'fox' } });
    generateAnswer = () => fail({ kind: 'insufficient_credits', needed: 8, balance: 5 });
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(byTestId('form-error').textContent).toContain('Not enough credits: 8 needed, 5 available.'));
    expect(byTestId('form-error-action').textContent).toContain('Buy credits');
    await fireEvent.click(byTestId('form-error-action'));
    expect(nav.screen).toBe('account');
  });

  it('asks to sign in again when the session has ended', async () => {
    await ready();
    await fireEvent.input(byTestId('prompt'), { target: { value: 'fox' } });
    generateAnswer = () => fail({ kind: 'auth_required' });
    await fireEvent.click(byTestId('generate'));
    await waitFor(() => expect(byTestId('form-error-action').textContent).toContain('Sign in again'));
    await fireEvent.click(byTestId('form-error-action'));
    expect(nav.screen).toBe('account');
  });

  it('keeps the dollar estimate in own-key mode', async () => {
    keyConfigured = true;
    account = { ...signedIn, own_key_configured: true, preferred_mode: 'own_key', active_mode: 'own_key' };
    await ready();
    await waitFor(() => expect(byTestId('create-estimate').dataset.mode).toBe('own_key'));
    expect(byTestId('cost-estimate').textContent).toBe('1 image × $0.003 = $0.003');
    expect(screen.queryByTestId('create-balance')).toBeNull();
  });
});

describe('Re-run and Remix fill the form', () => {
  const request: GenerationRequest = {
    model: 'flux-dev',
    inputs: { prompt: 'an old prompt', seed: 777, num_inference_steps: 30, aspect_ratio: '16:9' },
    parent_id: 9,
    exact_rerun: false,
  };

  it('an exact re-run keeps the seed and sends exact_rerun', async () => {
    await createForm.load(request, true);
    expect(createForm.modelId).toBe('flux-dev');
    expect(createForm.values).toMatchObject({ prompt: 'an old prompt', seed: 777, num_inference_steps: 30, aspect_ratio: '16:9' });
    expect(createForm.request()).toMatchObject({ parent_id: 9, exact_rerun: true, inputs: { seed: 777 } });
  });

  it('shows go_fast locked off for an exact re-run, and says why', async () => {
    await createForm.load(request, true);
    render(CreateScreen, { props: { info } });
    await waitFor(() =>
      expect(byTestId('origin-banner').textContent?.replace(/\s+/g, ' ')).toMatch(/Exact re-runs send go_fast: off because the fast path isn't deterministic/),
    );
    await fireEvent.click(byTestId('more-options'));
    const toggle = byTestId('field-go_fast') as HTMLButtonElement;
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    expect(toggle.disabled).toBe(true);
  });

  it('a remix unlocks the seed and remembers the old one', async () => {
    await createForm.load(request, false);
    expect(createForm.values.seed).toBeNull();
    expect(createForm.lastSeed).toBe(777);
    expect(createForm.request()).toMatchObject({ parent_id: 9, exact_rerun: false });
    expect(createForm.request()?.inputs).not.toHaveProperty('seed');
  });
});
