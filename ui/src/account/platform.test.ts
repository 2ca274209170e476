import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/svelte';
import type { AccountStatus_Serialize, GenerationMode, Job } from '../lib/bindings';
import { accountStatus as status, fail, mockBindings, ok, type Result } from '../test/bindings';

/** A call whose answer the test gives later (the browser round trips). */
function deferred() {
  let resolve!: (r: Result) => void;
  const promise = new Promise<Result>((r) => (resolve = r));
  return { promise, resolve };
}

const ada = { id: 'u1', name: 'Ada Lovelace', email: 'ada@example.com', provider: 'google', avatar: null };
const balance = (credits: number, live = true) => ({ credits, updated_at: '2025-05-06T10:00:00Z', fetched_at: Date.now(), live });
const signedIn = (patch: Partial<AccountStatus_Serialize> = {}) =>
  status({ signed_in: true, profile: ada, balance: balance(95, false), active_mode: 'account', ...patch });

const entry = (id: string, delta: number, reason: string) => ({ id, delta, reason, prediction_id: null, created_at: '2025-05-06T10:00:00Z' });
const packs = [
  { id: 'p100', credits: 100, price_cents: 500, currency: 'usd' },
  { id: 'p500', credits: 500, price_cents: 2000, currency: 'usd' },
];

let accountStatus: AccountStatus_Serialize = status();
let balanceAnswer: () => Result = () => ok(balance(95));
let ledgerPages: Record<string, { entries: unknown[]; next: string | null }> = {};
let pendingSignIn: ReturnType<typeof deferred> | null = null;
let pendingCheckout: ReturnType<typeof deferred> | null = null;
let jobListener: ((e: { payload: { job: Job } }) => void) | null = null;

const signIn = vi.fn((_provider: string) => {
  pendingSignIn = deferred();
  return pendingSignIn.promise;
});
const cancelSignIn = vi.fn(async () => {
  pendingSignIn?.resolve(fail({ kind: 'canceled', what: 'sign-in' }));
  return ok(true);
});
const signOut = vi.fn(async () => {
  accountStatus = status();
  return ok(accountStatus);
});
const setGenerationMode = vi.fn(async (mode: GenerationMode) => {
  accountStatus = { ...accountStatus, preferred_mode: mode, active_mode: mode };
  return ok(accountStatus);
});
const creditLedger = vi.fn(async (cursor: string | null) => ok(ledgerPages[cursor ?? 'first'] ?? { entries: [], next: null }));
const refreshBalance = vi.fn(async () => balanceAnswer());
const buyCredits = vi.fn((_pack: string) => {
  pendingCheckout = deferred();
  return pendingCheckout.promise;
});
const confirmAge = vi.fn(async () => {
  accountStatus = { ...accountStatus, age_confirmed: true };
  return ok(accountStatus);
});
const cancelCheckout = vi.fn(async () => {
  pendingCheckout?.resolve(fail({ kind: 'canceled', what: 'waiting for the payment' }));
  return ok(true);
});

vi.mock('../lib/bindings', () =>
  mockBindings(
    {
      accountStatus: async () => ok(accountStatus),
      refreshBalance: () => refreshBalance(),
      signIn: (p: string) => signIn(p),
      cancelSignIn: () => cancelSignIn(),
      signOut: () => signOut(),
      setGenerationMode: (m: GenerationMode) => setGenerationMode(m),
      creditLedger: (c: string | null) => creditLedger(c),
      creditPacks: async () => ok(packs),
      creditPrices: async () => ok([{ model: 'flux-schnell', credits_per_image: 2, max_outputs: 4, enabled: true }]),
      buyCredits: (p: string) => buyCredits(p),
      cancelCheckout: () => cancelCheckout(),
      confirmAge: () => confirmAge(),
      replicateKeyStatus: async () => ok({ configured: false, source: null, account: null, keychain_unavailable: null }),
      spendSummary: async () => ok({ month_usd: 0, all_time_usd: 0, monthly_budget_usd: null, recent: [] }),
      modelCatalogue: async () => ok({ source: 't', models: [] }),
    },
    {
      jobUpdated: {
        listen: async (cb: (e: { payload: { job: Job } }) => void) => {
          jobListener = cb;
          return () => {};
        },
      },
    },
  ),
);

import AccountScreen from '../screens/AccountScreen.svelte';
import { platform } from './platform.svelte';
import { job } from '../create/fixtures';

const byTestId = (id: string) => screen.getByTestId(id);

describe('Account screen: account mode', () => {
  beforeEach(() => {
    platform.reset();
    accountStatus = status();
    balanceAnswer = () => ok(balance(95));
    ledgerPages = {};
    pendingSignIn = null;
    pendingCheckout = null;
    for (const f of [confirmAge, signIn, cancelSignIn, signOut, setGenerationMode, creditLedger, refreshBalance, buyCredits, cancelCheckout]) f.mockClear();
  });

  it('says calmly when account mode is not set up, with no buttons, and keeps the own-key mode', async () => {
    accountStatus = status({ available: false });
    render(AccountScreen);
    await waitFor(() => expect(byTestId('platform-card').textContent).toContain("isn't set up in this build"));
    expect(within(byTestId('platform-card')).queryAllByRole('button')).toHaveLength(0);
    expect(screen.queryByTestId('sign-in-google')).toBeNull();
    expect(screen.queryByTestId('mode-account')).toBeNull();
    expect(byTestId('replicate-key-card')).toBeTruthy();
    expect(byTestId('account-mode').textContent).toContain('Add your Replicate key');
  });

  it('says when the keychain cannot be reached, as a state rather than an error, and offers no sign-in that would fail', async () => {
    accountStatus = status({ keychain_unavailable: 'no D-Bus session' });
    render(AccountScreen);
    const note = await waitFor(() => byTestId('keychain-unavailable'));
    expect(note.textContent).toContain('no D-Bus session');
    expect(note.textContent).toContain('GNOME Keyring');
    expect(note.textContent).toContain('REPLICATE_API_TOKEN');
    expect(screen.queryByRole('alert')).toBeNull();
    for (const id of ['sign-in-google', 'sign-in-github']) {
      expect((byTestId(id) as HTMLButtonElement).disabled).toBe(true);
      expect(byTestId(id).getAttribute('aria-describedby')).toBe('keychain-note');
    }
  });

  it('signs in with the chosen provider, waits for the browser, and a cancel is not an error', async () => {
    render(AccountScreen);
    await waitFor(() => expect(byTestId('sign-in-github')).toBeTruthy());
    expect(byTestId('platform-card').textContent).toContain('Stripe');
    await fireEvent.click(byTestId('sign-in-github'));
    expect(signIn).toHaveBeenCalledWith('github');
    await waitFor(() => expect(byTestId('sign-in-waiting').textContent).toContain('Waiting for your browser'));
    expect(screen.queryByTestId('sign-in-google')).toBeNull();
    expect(document.activeElement).toBe(byTestId('sign-in-cancel'));

    await fireEvent.click(byTestId('sign-in-cancel'));
    expect(cancelSignIn).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(byTestId('sign-in-google')).toBeTruthy());
    expect(screen.queryByTestId('sign-in-waiting')).toBeNull();
    expect(screen.queryByTestId('sign-in-error')).toBeNull();
  });

  it('asks once for the minimum age before the sign-in buttons work', async () => {
    accountStatus = status({ age_confirmed: false });
    render(AccountScreen);
    await waitFor(() => expect(byTestId('age-gate').textContent).toContain('13 or older'));
    const google = byTestId('sign-in-google') as HTMLButtonElement;
    expect(google.disabled).toBe(true);
    await fireEvent.click(google);
    expect(signIn).not.toHaveBeenCalled();
    await fireEvent.click(byTestId('age-confirm'));
    expect(confirmAge).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByTestId('age-gate')).toBeNull());
    expect(google.disabled).toBe(false);
    expect(document.activeElement).toBe(google);
    await fireEvent.click(google);
    expect(signIn).toHaveBeenCalledWith('google');
  });

  it('shows a refused sign-in plainly in the card', async () => {
    render(AccountScreen);
    await waitFor(() => expect(byTestId('sign-in-google')).toBeTruthy());
    await fireEvent.click(byTestId('sign-in-google'));
    expect(signIn).toHaveBeenCalledWith('google');
    pendingSignIn?.resolve(fail({ kind: 'invalid_input', field: 'sign_in', reason: 'the sign-in was refused: access_denied' }));
    await waitFor(() => expect(byTestId('sign-in-error').textContent).toBe('The sign-in was refused: access_denied.'));
    expect(byTestId('sign-in-google')).toBeTruthy();
  });

  it('after signing in shows the profile, the live balance, packs and activity', async () => {
    ledgerPages = { first: { entries: [entry('l1', 100, 'purchase')], next: null } };
    render(AccountScreen);
    await waitFor(() => expect(byTestId('sign-in-google')).toBeTruthy());
    await fireEvent.click(byTestId('sign-in-google'));
    accountStatus = signedIn();
    pendingSignIn?.resolve(ok(accountStatus));
    await waitFor(() => expect(byTestId('account-name').textContent).toBe('Ada Lovelace'));
    expect(byTestId('account-email').textContent).toBe('ada@example.com');
    expect(byTestId('platform-card').textContent).toContain('Signed in with Google');
    expect(byTestId('platform-card').textContent).toContain('AL'); // initials without an avatar
    await waitFor(() => expect(byTestId('account-balance').dataset.live).toBe('true'));
    expect(byTestId('account-balance').dataset.credits).toBe('95');
    expect(byTestId('account-balance').textContent).toContain('95');
    expect(screen.queryByTestId('balance-last-known')).toBeNull();
    await waitFor(() => expect(byTestId('pack-p100').textContent).toContain('$5.00'));
    expect(byTestId('pack-p500').textContent).toContain('Best value');
    expect(screen.getAllByTestId('ledger-entry')).toHaveLength(1);
  });

  it('marks a balance the platform could not confirm as last known', async () => {
    accountStatus = signedIn();
    balanceAnswer = () => ok(balance(42, false));
    render(AccountScreen);
    await waitFor(() => expect(byTestId('account-balance').dataset.credits).toBe('42'));
    expect(byTestId('account-balance').dataset.live).toBe('false');
    expect(byTestId('balance-last-known').textContent).toContain('last known');
    expect(byTestId('mode-account').closest('label')?.textContent).toContain('Balance 42 credits (last known)');
  });

  it('buys a pack: waits for the browser, then says what was added and the new balance', async () => {
    accountStatus = signedIn();
    render(AccountScreen);
    await waitFor(() => expect(byTestId('buy-p100')).toBeTruthy());
    await fireEvent.click(byTestId('buy-p100'));
    expect(buyCredits).toHaveBeenCalledWith('p100');
    await waitFor(() => expect(byTestId('checkout-waiting').textContent).toContain('Complete the payment in your browser'));
    expect((byTestId('buy-p500') as HTMLButtonElement).disabled).toBe(true);
    pendingCheckout?.resolve(ok({ session_id: 'cs_1', state: 'complete', credits_granted: 100, balance: balance(195) }));
    await waitFor(() => expect(byTestId('checkout-result').textContent).toContain('100 credits added'));
    expect(byTestId('checkout-result').textContent).toContain('195 credits');
    expect(byTestId('account-balance').dataset.credits).toBe('195');
    expect(screen.queryByTestId('checkout-waiting')).toBeNull();

    await fireEvent.click(byTestId('buy-p500'));
    pendingCheckout?.resolve(ok({ session_id: 'cs_2', state: 'expired', credits_granted: 0, balance: null }));
    await waitFor(() => expect(byTestId('checkout-result').textContent).toContain('The checkout expired; nothing was charged.'));
  });

  it('stops waiting for a checkout without calling it an error', async () => {
    accountStatus = signedIn();
    render(AccountScreen);
    await waitFor(() => expect(byTestId('buy-p100')).toBeTruthy());
    await fireEvent.click(byTestId('buy-p100'));
    await waitFor(() => expect(byTestId('checkout-cancel')).toBeTruthy());
    await fireEvent.click(byTestId('checkout-cancel'));
    expect(cancelCheckout).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(byTestId('checkout-result').textContent?.trim()).toBe('Stopped waiting. If you pay later, the credits still arrive.'));
    expect(byTestId('checkout-result').dataset.state).toBe('canceled');
  });

  it('lists credit activity with reasons, colours and labels, and loads older pages', async () => {
    accountStatus = signedIn();
    ledgerPages = {
      first: { entries: [entry('l3', -4, 'generation'), entry('l2', 2, 'refund')], next: 'c2' },
      c2: { entries: [entry('l1', 100, 'purchase')], next: null },
    };
    render(AccountScreen);
    await waitFor(() => expect(screen.getAllByTestId('ledger-entry')).toHaveLength(2));
    const rows = screen.getAllByTestId('ledger-entry');
    expect(rows.map((r) => r.dataset.reason)).toEqual(['generation', 'refund']);
    expect(rows[0]?.textContent).toContain('−4');
    expect(rows[0]?.querySelector('.minus')).toBeTruthy();
    expect(rows[1]?.textContent).toContain('Refund for undelivered images');
    expect(rows[1]?.textContent).toContain('+2');
    await fireEvent.click(byTestId('ledger-more'));
    expect(creditLedger).toHaveBeenLastCalledWith('c2');
    await waitFor(() => expect(screen.getAllByTestId('ledger-entry')).toHaveLength(3));
    expect(screen.queryByTestId('ledger-more')).toBeNull();
  });

  it('says when there is no credit activity yet', async () => {
    accountStatus = signedIn();
    render(AccountScreen);
    await waitFor(() => expect(byTestId('ledger-empty').textContent).toContain('No credit activity yet'));
  });

  it('switches the generation mode, and explains an option that cannot be used', async () => {
    accountStatus = signedIn({ own_key_configured: true });
    render(AccountScreen);
    const credits = (await waitFor(() => byTestId('mode-account'))) as HTMLInputElement;
    const key = byTestId('mode-own-key') as HTMLInputElement;
    expect(credits.checked).toBe(true);
    expect(key.disabled).toBe(false);
    await fireEvent.click(key);
    expect(setGenerationMode).toHaveBeenCalledWith('own_key');
    await waitFor(() => expect(key.checked).toBe(true));
    expect(credits.checked).toBe(false);
    expect(byTestId('account-mode').textContent).toContain('straight to Replicate');

    platform.reset();
    accountStatus = status();
    await platform.load();
    await waitFor(() => expect((byTestId('mode-account') as HTMLInputElement).disabled).toBe(true));
    expect(byTestId('mode-account').closest('label')?.textContent).toContain('Sign in first');
    expect((byTestId('mode-own-key') as HTMLInputElement).disabled).toBe(true);
    expect(byTestId('mode-own-key').closest('label')?.textContent).toContain('Add a key first');
  });

  it('refreshes the balance when an account-mode job ends, and signs out', async () => {
    accountStatus = signedIn();
    render(AccountScreen);
    await waitFor(() => expect(byTestId('account-balance').dataset.credits).toBe('95'));
    const calls = refreshBalance.mock.calls.length;
    balanceAnswer = () => ok(balance(91));
    jobListener?.({ payload: { job: job(7, { status: 'running', cost_credits: 4 }) } });
    jobListener?.({ payload: { job: job(8, { status: 'done', cost_usd: 0.003 }) } }); // own-key: no change
    expect(refreshBalance.mock.calls.length).toBe(calls);
    jobListener?.({ payload: { job: job(7, { status: 'done', cost_credits: 4 }) } });
    await waitFor(() => expect(byTestId('account-balance').dataset.credits).toBe('91'));
    expect(refreshBalance.mock.calls.length).toBe(calls + 1);

    await fireEvent.click(byTestId('sign-out'));
    await waitFor(() => expect(byTestId('sign-in-google')).toBeTruthy());
    expect(signOut).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('account-balance')).toBeNull();
    expect(screen.queryByTestId('session-ending')).toBeNull();
  });

  it('says so when a sign-out could not reach Flux Krea, and that it will be finished later', async () => {
    accountStatus = signedIn();
    signOut.mockImplementationOnce(async () => {
      accountStatus = status({ session_ending: true });
      return ok(accountStatus);
    });
    render(AccountScreen);
    await waitFor(() => expect(byTestId('sign-out')).toBeTruthy());
    await fireEvent.click(byTestId('sign-out'));
    await waitFor(() => expect(byTestId('session-ending').textContent).toContain('Signed out on this computer'));
    expect(byTestId('session-ending').getAttribute('role')).toBe('status');
    expect(byTestId('session-ending').textContent?.replace(/\s+/g, ' ')).toContain('next time the app starts online or you sign in');
    expect(byTestId('sign-in-google')).toBeTruthy();
  });
});
