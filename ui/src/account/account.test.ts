import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/svelte';
import { accountStatus, fail, mockBindings, ok, type Result } from '../test/bindings';

const none = { configured: false, source: null, account: null, keychain_unavailable: null };
const ada = { configured: true, source: 'keychain', account: { type: 'user', username: 'ada', name: 'Ada Lovelace' }, keychain_unavailable: null };

let keyStatus: unknown = none;
let saveAnswer: () => Result = () => ok(ada);
const setReplicateKey = vi.fn(async (_token: string) => saveAnswer());
const removeReplicateKey = vi.fn(async () => ok(none));
const summary = (budget: number | null) => ({
  month_usd: 1.5,
  all_time_usd: 12.25,
  monthly_budget_usd: budget,
  recent: [{ id: 1, generation_id: 3, model: 'flux-schnell', images: 4, amount_usd: 0.012, pending: true, created_at: 1_700_000_000_000 }],
});
const setMonthlyBudget = vi.fn(async (usd: number | null) => ok(summary(usd)));
const openLink = vi.fn(async (_url: string) => ok(null));

vi.mock('../lib/bindings', () =>
  mockBindings({
    replicateKeyStatus: async () => ok(keyStatus),
    setReplicateKey: (t: string) => setReplicateKey(t),
    removeReplicateKey: () => removeReplicateKey(),
    spendSummary: async () => ok(summary(null)),
    setMonthlyBudget: (usd: number | null) => setMonthlyBudget(usd),
    openLink: (url: string) => openLink(url),
    modelCatalogue: async () => ok({ source: 't', models: [{ id: 'flux-schnell', name: 'FLUX.1 [schnell]', fields: [] }] }),
    // This build has no account mode: the own-key cards are the whole story.
    accountStatus: async () => ok(accountStatus({ available: false, age_confirmed: false })),
  }),
);

import AccountScreen from '../screens/AccountScreen.svelte';
import { createForm } from '../create/store.svelte';

const byTestId = (id: string) => screen.getByTestId(id);

describe('Account screen', () => {
  beforeEach(() => {
    keyStatus = none;
    saveAnswer = () => ok(ada);
    setReplicateKey.mockClear();
    setMonthlyBudget.mockClear();
  });

  it('saves a key after checking it, never showing it back, and tells the Create form', async () => {
    render(AccountScreen);
    await waitFor(() => expect(byTestId('replicate-key-status').textContent).toContain('No key yet'));
    expect(byTestId('account-mode').textContent).toContain('Add your Replicate key');
    const input = byTestId('replicate-key-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    await fireEvent.input(input, { target: { value: 'r8_secret' } });
    await fireEvent.click(byTestId('replicate-key-save'));
    await waitFor(() => expect(byTestId('replicate-key-status').textContent).toContain('ada'));
    expect(setReplicateKey).toHaveBeenCalledWith('r8_secret');
    expect(input.value).toBe('');
    expect(byTestId('account-mode').textContent).toContain('You generate with your own Replicate key');
    expect(createForm.keyStatus?.configured).toBe(true);
  });

  it('opens the token page in the system browser through the shell', async () => {
    openLink.mockClear();
    render(AccountScreen);
    const link = await waitFor(() => byTestId('replicate-tokens-link'));
    expect(link.tagName).toBe('BUTTON');
    await fireEvent.click(link);
    expect(openLink).toHaveBeenCalledWith('https://replicate.com/account/api-tokens');
  });

  it('shows a refused token under the field and explains a missing keychain', async () => {
    saveAnswer = () => fail({ kind: 'invalid_input', field: 'replicate_token', reason: 'Replicate did not accept this token' });
    render(AccountScreen);
    await waitFor(() => expect(byTestId('replicate-key-status')).toBeTruthy());
    const input = byTestId('replicate-key-input') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: 'bad' } });
    await fireEvent.click(byTestId('replicate-key-save'));
    await waitFor(() => expect(byTestId('replicate-key-error').textContent).toBe('Replicate did not accept this token.'));
    expect(input.getAttribute('aria-invalid')).toBe('true');

    saveAnswer = () => fail({ kind: 'keychain_unavailable', reason: 'no Secret Service' });
    await fireEvent.click(byTestId('replicate-key-save'));
    await waitFor(() => expect(byTestId('replicate-key-save-error').textContent).toContain('never keeps the key anywhere else'));
  });

  it('says when the keychain cannot be reached instead of "no key yet"', async () => {
    keyStatus = { ...none, keychain_unavailable: 'no D-Bus session' };
    render(AccountScreen);
    const status = await waitFor(() => byTestId('replicate-key-status'));
    expect(status.textContent).toContain("can't be reached (no D-Bus session)");
    expect(status.textContent).toContain('REPLICATE_API_TOKEN');
    expect(status.textContent).not.toContain('No key yet');
  });

  it('removes the key only after a confirmation', async () => {
    keyStatus = ada;
    render(AccountScreen);
    await waitFor(() => expect(byTestId('replicate-key-remove')).toBeTruthy());
    await fireEvent.click(byTestId('replicate-key-remove'));
    expect(removeReplicateKey).not.toHaveBeenCalled();
    await fireEvent.click(byTestId('replicate-key-remove-confirm'));
    await waitFor(() => expect(byTestId('replicate-key-status').textContent).toContain('No key yet'));
    expect(removeReplicateKey).toHaveBeenCalledTimes(1);
  });

  it('keeps the key on Keep or Escape', async () => {
    keyStatus = ada;
    removeReplicateKey.mockClear();
    render(AccountScreen);
    await waitFor(() => expect(byTestId('replicate-key-remove')).toBeTruthy());
    await fireEvent.click(byTestId('replicate-key-remove'));
    expect(screen.getByText('Remove it? Generating stops until you add a key again.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Keep' }));
    expect(screen.queryByTestId('replicate-key-remove-confirm')).toBeNull();
    await fireEvent.click(byTestId('replicate-key-remove'));
    await fireEvent.keyDown(byTestId('replicate-key-remove-confirm'), { key: 'Escape' });
    expect(screen.queryByTestId('replicate-key-remove-confirm')).toBeNull();
    expect(removeReplicateKey).not.toHaveBeenCalled();
  });

  it('shows spend, sets and clears the monthly budget, and refuses a bad amount', async () => {
    render(AccountScreen);
    await waitFor(() => expect(byTestId('spend-month').textContent).toBe('$1.50'));
    expect(byTestId('spend-all-time').textContent).toBe('$12.25');
    expect(byTestId('ledger-1').textContent).toContain('FLUX.1 [schnell]');
    expect(byTestId('ledger-1').textContent).toContain('pending');

    const budget = byTestId('budget-input') as HTMLInputElement;
    await fireEvent.input(budget, { target: { value: '-3' } });
    await fireEvent.click(byTestId('budget-save'));
    expect(setMonthlyBudget).not.toHaveBeenCalled();
    expect(screen.getByText('Use an amount above $0 and at most $100,000.')).toBeTruthy();

    await fireEvent.input(budget, { target: { value: '20' } });
    await fireEvent.click(byTestId('budget-save'));
    await waitFor(() => expect(setMonthlyBudget).toHaveBeenCalledWith(20));
    await waitFor(() => expect(screen.getByText('of $20.00 budget')).toBeTruthy());
    await fireEvent.click(byTestId('budget-clear'));
    await waitFor(() => expect(setMonthlyBudget).toHaveBeenLastCalledWith(null));
    expect(createForm.spend?.monthly_budget_usd).toBeNull();
  });
});
