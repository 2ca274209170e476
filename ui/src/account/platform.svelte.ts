import {
  commands,
  events,
  type AccountStatus,
  type CreditPack,
  type GenerationMode,
  type IdentityProvider,
  type Job,
  type KnownBalance,
  type LedgerEntry,
  type ModelPrice,
} from '../lib/bindings';
import { CommandError, describeError, messageOf, unwrap } from '../lib/errors';
import { formatCredits, sentence } from '../lib/format';
import { loadInto } from '../lib/load';
import { isFinished } from '../create/queue.svelte';

/** True for the answer of a sign-in or checkout the user stopped: not an error to show. */
export function isCanceled(e: unknown): boolean {
  return e instanceof CommandError && e.error.kind === 'canceled';
}

/** What a failed sign-in means, in words (a canceled one is never shown). */
export function signInProblem(e: unknown): string {
  if (!(e instanceof CommandError)) return messageOf(e);
  const error = e.error;
  switch (error.kind) {
    case 'invalid_input':
      return sentence(error.reason);
    case 'keychain_unavailable':
      return (
        `Your system keychain can't be used (${error.reason}), and Flux Krea keeps your sign-in nowhere else, so you were not signed in. ` +
        'Unlock or set up your keychain (on Linux, a Secret Service such as GNOME Keyring or KWallet), then try again.'
      );
    case 'offline':
    case 'network':
      return `The sign-in could not finish: ${describeError(error)}`;
    default:
      return describeError(error);
  }
}

/** A problem of a platform call, in words; invalid input reads as a sentence, not "field: reason". */
function problem(e: unknown): string {
  if (e instanceof CommandError && e.error.kind === 'invalid_input') return sentence(e.error.reason);
  return messageOf(e);
}

export type CheckoutOutcome = { state: 'complete' | 'expired' | 'open' | 'canceled' | 'error'; text: string };

/** How often a sign-in started before this page loaded (e.g. a webview reload) is checked on. */
const PENDING_POLL_MS = 2000;

/**
 * The Flux Krea account: who is signed in, the credit balance, packs, checkout, ledger and the
 * generation mode. One app-wide instance (like the Create form), so a sign-in or checkout that
 * waits for the browser keeps waiting while other screens show, and the Create screen shares the
 * balance. Nothing here is secret: the types carry no tokens.
 */
export class PlatformStore {
  status = $state<AccountStatus | null>(null);
  statusError = $state<string | null>(null);
  statusLoading = $state(false);

  balanceLoading = $state(false);
  balanceError = $state<string | null>(null);

  /** The provider of the sign-in this window is waiting for. */
  signingIn = $state<IdentityProvider | null>(null);
  signInError = $state<string | null>(null);
  signingOut = $state(false);
  confirmingAge = $state(false);

  packs = $state<CreditPack[] | null>(null);
  packsError = $state<string | null>(null);
  /** The pack whose checkout is open in the browser. */
  buying = $state<string | null>(null);
  checkout = $state<CheckoutOutcome | null>(null);

  ledger = $state<LedgerEntry[] | null>(null);
  ledgerNext = $state<string | null>(null);
  ledgerLoading = $state(false);
  ledgerError = $state<string | null>(null);

  /** The mode being saved (shown checked meanwhile). */
  modeSaving = $state<GenerationMode | null>(null);
  modeError = $state<string | null>(null);

  prices = $state<ModelPrice[] | null>(null);
  pricesError = $state<string | null>(null);

  /** Set the moment the user confirms their age, so the buttons work while the core saves it. */
  #ageAccepted = $state(false);

  readonly available = $derived(this.status?.available === true);
  readonly signedIn = $derived(this.status?.available === true && this.status.signed_in);
  readonly balance = $derived<KnownBalance | null>(this.status?.balance ?? null);
  /** The minimum age was confirmed (asked once, before the first sign-in). */
  readonly ageConfirmed = $derived(this.status?.age_confirmed !== false || this.#ageAccepted);
  readonly waitingForBrowser = $derived(this.signingIn !== null || this.status?.sign_in_pending === true);
  /** Generations started now are paid with credits. */
  readonly accountMode = $derived(this.status?.available === true && this.status.active_mode === 'account');

  #ageSaving: Promise<boolean> | null = null;
  #jobsWatched: Promise<void> | null = null;
  /** Whether each account-mode job was last seen finished, so an end is noticed once. */
  #jobEnded = new Map<number, boolean>();
  #refreshing: Promise<void> | null = null;
  #refreshAgain = false;
  #pendingPoll: ReturnType<typeof setTimeout> | null = null;

  /** Everything the Account screen shows: the status at once, then the live account data. */
  async load(): Promise<void> {
    this.watchJobs();
    await this.loadStatus();
    if (this.signedIn) await this.#loadAccountData();
  }

  /** What the Create screen needs: the mode, the balance and the per-image prices. */
  async loadForCreate(): Promise<void> {
    this.watchJobs();
    await this.loadStatus();
    if (this.signedIn) await Promise.all([this.refreshBalance(), this.loadPrices()]);
  }

  async loadStatus(): Promise<void> {
    await loadInto(() => unwrap(commands.accountStatus()), {
      set: (status) => {
        this.status = status;
        if (!status.signed_in) this.#forgetAccountData();
        this.#pollPendingSignIn();
      },
      error: (message) => (this.statusError = message),
      loading: (on) => (this.statusLoading = on),
    });
  }

  async refreshBalance(): Promise<void> {
    if (!this.signedIn) return;
    this.balanceLoading = true;
    try {
      this.#setBalance(await unwrap(commands.refreshBalance()));
      this.balanceError = null;
    } catch (e) {
      if (e instanceof CommandError && e.error.kind === 'auth_required') {
        await this.loadStatus();
        this.balanceError = 'Your sign-in has ended. Sign in again to see your balance.';
      } else {
        this.balanceError = problem(e);
      }
    } finally {
      this.balanceLoading = false;
    }
  }

  async loadPacks(): Promise<void> {
    await loadInto(() => unwrap(commands.creditPacks()), {
      set: (packs) => (this.packs = packs),
      error: (message) => (this.packsError = message),
      describe: problem,
    });
  }

  async loadPrices(): Promise<void> {
    await loadInto(() => unwrap(commands.creditPrices()), {
      set: (prices) => (this.prices = prices),
      error: (message) => (this.pricesError = message),
      describe: problem,
    });
  }

  /** The newest page of the ledger, replacing what was shown. */
  async loadLedger(): Promise<void> {
    await loadInto(() => unwrap(commands.creditLedger(null)), {
      set: (page) => {
        this.ledger = page.entries;
        this.ledgerNext = page.next ?? null;
      },
      error: (message) => (this.ledgerError = message),
      loading: (on) => (this.ledgerLoading = on),
      describe: problem,
    });
  }

  /** The next (older) page, added below. */
  async loadMoreLedger(): Promise<void> {
    const cursor = this.ledgerNext;
    if (cursor === null || this.ledgerLoading) return;
    await loadInto(() => unwrap(commands.creditLedger(cursor)), {
      set: (page) => {
        const seen = new Set((this.ledger ?? []).map((e) => e.id));
        this.ledger = [...(this.ledger ?? []), ...page.entries.filter((e) => !seen.has(e.id))];
        this.ledgerNext = page.next ?? null;
      },
      error: (message) => (this.ledgerError = message),
      loading: (on) => (this.ledgerLoading = on),
      describe: problem,
    });
  }

  /** Opens the provider's sign-in in the browser and waits for it (or `cancelSignIn`). */
  async signIn(provider: IdentityProvider): Promise<void> {
    if (this.waitingForBrowser || !this.ageConfirmed) return;
    this.signInError = null;
    this.signingIn = provider;
    // A sign-in started right after confirming the age waits for that to be saved.
    if (this.#ageSaving && !(await this.#ageSaving)) {
      this.signingIn = null;
      return;
    }
    try {
      const status = await unwrap(commands.signIn(provider));
      this.signingIn = null;
      this.status = status;
      this.statusError = null;
      if (this.signedIn) await this.#loadAccountData();
    } catch (e) {
      this.signingIn = null;
      if (!isCanceled(e)) this.signInError = signInProblem(e);
      await this.loadStatus();
    } finally {
      this.signingIn = null;
    }
  }

  /** Remembers that the user is old enough for an account; sign-in waits for it. */
  confirmAge(): Promise<boolean> {
    this.signInError = null;
    this.#ageAccepted = true;
    this.#ageSaving ??= (async () => {
      this.confirmingAge = true;
      try {
        this.status = await unwrap(commands.confirmAge());
        return true;
      } catch (e) {
        this.#ageAccepted = false;
        this.signInError = problem(e);
        return false;
      } finally {
        this.confirmingAge = false;
        this.#ageSaving = null;
      }
    })();
    return this.#ageSaving;
  }

  async cancelSignIn(): Promise<void> {
    try {
      const stopped = await unwrap(commands.cancelSignIn());
      // Nothing was waiting here (a sign-in from before a reload that ended): show the truth.
      if (!stopped || this.signingIn === null) await this.loadStatus();
    } catch (e) {
      this.signInError = messageOf(e);
    }
  }

  async signOut(): Promise<void> {
    this.signingOut = true;
    this.signInError = null;
    try {
      this.status = await unwrap(commands.signOut());
      this.#forgetAccountData();
    } catch (e) {
      this.signInError = messageOf(e);
    } finally {
      this.signingOut = false;
    }
  }

  async setMode(mode: GenerationMode): Promise<void> {
    this.modeError = null;
    this.modeSaving = mode;
    try {
      this.status = await unwrap(commands.setGenerationMode(mode));
    } catch (e) {
      this.modeError = problem(e);
    } finally {
      this.modeSaving = null;
    }
  }

  /** Opens Stripe Checkout for a pack in the browser and waits for it to be paid or expire. */
  async buy(packId: string): Promise<void> {
    if (this.buying !== null) return;
    this.checkout = null;
    this.buying = packId;
    try {
      const result = await unwrap(commands.buyCredits(packId));
      if (result.balance) this.#setBalance(result.balance);
      this.checkout =
        result.state === 'complete'
          ? { state: 'complete', text: `${formatCredits(result.credits_granted)} added` }
          : result.state === 'expired'
            ? { state: 'expired', text: 'The checkout expired; nothing was charged.' }
            : { state: 'open', text: 'The payment is not finished yet. If you complete it, the credits arrive.' };
      if (result.state === 'complete') void this.#afterCreditsChanged(!result.balance);
    } catch (e) {
      this.checkout = isCanceled(e)
        ? { state: 'canceled', text: 'Stopped waiting. If you pay later, the credits still arrive.' }
        : { state: 'error', text: `The purchase could not go ahead: ${problem(e)}` };
    } finally {
      this.buying = null;
    }
  }

  async cancelCheckout(): Promise<void> {
    try {
      await unwrap(commands.cancelCheckout());
    } catch (e) {
      this.checkout = { state: 'error', text: messageOf(e) };
    }
  }

  dismissCheckout(): void {
    this.checkout = null;
  }

  /** Listens (once, for the app's life) for account-mode jobs ending, to show the new balance. */
  watchJobs(): void {
    if (this.#jobsWatched) return;
    this.#jobsWatched = events.jobUpdated
      .listen(({ payload }) => this.noteJob(payload.job))
      .then(
        () => undefined,
        () => {
          // No events (tests, a broken bridge): the balance still refreshes when a screen loads.
          this.#jobsWatched = null;
        },
      );
  }

  /** One job changed. When an account-mode job ends, its credits were spent (or refunded). */
  noteJob(job: Job): void {
    if (job.cost_credits == null) return;
    const finished = isFinished(job);
    const before = this.#jobEnded.get(job.id);
    this.#jobEnded.set(job.id, finished);
    if (finished && before !== true) void this.#afterCreditsChanged(true);
  }

  /** Forgets everything account-specific (sign-out, and tests). */
  reset(): void {
    this.status = null;
    this.statusError = null;
    this.signingIn = null;
    this.signInError = null;
    this.modeError = null;
    this.modeSaving = null;
    this.buying = null;
    this.#ageAccepted = false;
    this.#forgetAccountData();
    this.#jobEnded.clear();
    if (this.#pendingPoll) clearTimeout(this.#pendingPoll);
    this.#pendingPoll = null;
  }

  async #loadAccountData(): Promise<void> {
    await Promise.all([this.refreshBalance(), this.loadPacks(), this.loadLedger(), this.loadPrices()]);
  }

  /** Refreshes the balance (when asked) and adds new ledger rows, coalescing bursts of job ends. */
  async #afterCreditsChanged(balance: boolean): Promise<void> {
    if (!this.signedIn) return;
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#refreshAgain = false;
        await Promise.all([balance ? this.refreshBalance() : Promise.resolve(), this.#loadNewestLedger()]);
        balance = true;
      } while (this.#refreshAgain);
    })();
    try {
      await this.#refreshing;
    } finally {
      this.#refreshing = null;
    }
  }

  /** The newest ledger page on top of what is shown, keeping older pages already loaded. */
  async #loadNewestLedger(): Promise<void> {
    if (this.ledger === null) return;
    try {
      const page = await unwrap(commands.creditLedger(null));
      const seen = new Set(this.ledger.map((e) => e.id));
      const fresh = page.entries.filter((e) => !seen.has(e.id));
      if (fresh.length > 0) this.ledger = [...fresh, ...this.ledger];
    } catch {
      // The rows appear on the next load; the balance is what matters now.
    }
  }

  #setBalance(balance: KnownBalance): void {
    if (this.status) this.status = { ...this.status, balance };
  }

  #forgetAccountData(): void {
    this.balanceError = null;
    this.packs = null;
    this.packsError = null;
    this.checkout = null;
    this.ledger = null;
    this.ledgerNext = null;
    this.ledgerError = null;
    this.prices = null;
    this.pricesError = null;
  }

  /** A sign-in this page did not start (it was reloaded meanwhile) is checked on until it ends. */
  #pollPendingSignIn(): void {
    if (this.#pendingPoll || !this.status?.sign_in_pending || this.signingIn !== null) return;
    this.#pendingPoll = setTimeout(() => {
      this.#pendingPoll = null;
      if (this.signingIn === null && this.status?.sign_in_pending) {
        void this.loadStatus().then(() => (this.signedIn ? this.#loadAccountData() : undefined));
      }
    }, PENDING_POLL_MS);
  }
}

/** The app's one account store: the Account and Create screens share it. */
export const platform = new PlatformStore();
