import { commands, type KeyStatus, type SpendSummary } from '../lib/bindings';
import { CommandError, describeError, messageOf, unwrap } from '../lib/errors';
import { sentence } from '../lib/format';
import { loadInto } from '../lib/load';
import { createForm } from '../create/store.svelte';

/** Says what a failed key save means, and where: under the field, or for the whole card. */
export function keyProblem(e: unknown): { field: string | null; card: string | null } {
  if (!(e instanceof CommandError)) return { field: null, card: messageOf(e) };
  const error = e.error;
  switch (error.kind) {
    case 'invalid_input':
      if (error.field === 'replicate_token') return { field: sentence(error.reason), card: null };
      return { field: null, card: describeError(error) };
    case 'auth_required':
      return { field: 'Replicate did not accept this token.', card: null };
    case 'keychain_unavailable':
      return {
        field: null,
        card:
          `Your system keychain can't be used (${error.reason}), and Flux Krea never keeps the key anywhere else, so it was not saved. ` +
          'Unlock or set up your keychain (on Linux, a Secret Service such as GNOME Keyring or KWallet), then try again.',
      };
    case 'offline':
    case 'network':
      return { field: null, card: `The key could not be checked: ${describeError(error)}` };
    default:
      return { field: null, card: describeError(error) };
  }
}

/** The Replicate key's status and the save/remove actions. The token itself never comes back. */
export class KeyStore {
  status = $state<KeyStatus | null>(null);
  loading = $state(false);
  saving = $state(false);
  statusError = $state<string | null>(null);
  fieldError = $state<string | null>(null);
  saveError = $state<string | null>(null);
  message = $state<string | null>(null);

  async load(): Promise<void> {
    await loadInto(() => unwrap(commands.replicateKeyStatus()), {
      set: (status) => this.#set(status),
      error: (message) => (this.statusError = message),
      loading: (on) => (this.loading = on),
      describe: (e) => (e instanceof CommandError && e.error.kind === 'keychain_unavailable' ? keyProblem(e).card : null) ?? messageOf(e),
    });
  }

  /** True when the token was accepted and stored. */
  async save(token: string): Promise<boolean> {
    this.fieldError = null;
    this.saveError = null;
    this.message = null;
    if (token.trim() === '') {
      this.fieldError = 'Paste your Replicate API token.';
      return false;
    }
    this.saving = true;
    try {
      const status = await unwrap(commands.setReplicateKey(token));
      this.#set(status);
      this.message = status.account ? `Saved. The key belongs to ${status.account.username}; you can generate now.` : 'Saved. You can generate now.';
      return true;
    } catch (e) {
      const problem = keyProblem(e);
      this.fieldError = problem.field;
      this.saveError = problem.card;
      return false;
    } finally {
      this.saving = false;
    }
  }

  async remove(): Promise<void> {
    this.saveError = null;
    this.message = null;
    this.saving = true;
    try {
      this.#set(await unwrap(commands.removeReplicateKey()));
      this.message = 'Removed from your keychain.';
    } catch (e) {
      this.saveError = keyProblem(e).card;
    } finally {
      this.saving = false;
    }
  }

  #set(status: KeyStatus): void {
    this.status = status;
    createForm.keyStatus = status;
  }
}

/** This month's and all-time own-key spend, the budget and the recent ledger. */
export class SpendStore {
  summary = $state<SpendSummary | null>(null);
  error = $state<string | null>(null);
  budgetError = $state<string | null>(null);
  saving = $state(false);

  async load(): Promise<void> {
    await loadInto(() => unwrap(commands.spendSummary()), {
      set: (summary) => this.#set(summary),
      error: (message) => (this.error = message),
    });
  }

  /** Sets (a positive amount) or clears (null) the monthly budget. */
  async setBudget(monthlyUsd: number | null): Promise<boolean> {
    this.budgetError = null;
    if (monthlyUsd !== null && (!Number.isFinite(monthlyUsd) || monthlyUsd <= 0 || monthlyUsd > 100_000)) {
      this.budgetError = 'Use an amount above $0 and at most $100,000.';
      return false;
    }
    this.saving = true;
    try {
      this.#set(await unwrap(commands.setMonthlyBudget(monthlyUsd)));
      return true;
    } catch (e) {
      this.budgetError = e instanceof CommandError && e.error.kind === 'invalid_input' ? `The budget ${e.error.reason}.` : messageOf(e);
      return false;
    } finally {
      this.saving = false;
    }
  }

  #set(summary: SpendSummary): void {
    this.summary = summary;
    createForm.spend = summary;
  }
}
