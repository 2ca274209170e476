import {
  commands,
  events,
  type AccountStatus,
  type Consent,
  type ConsentChange,
  type ErasureReport,
  type ExportProgress,
  type ExportReport,
  type PrivacyReport,
  type PrivacyRequest,
  type Error as CoreError,
} from '../lib/bindings';
import { CommandError, messageOf, unwrap } from '../lib/errors';
import { loadInto } from '../lib/load';
import { CONSENTS } from './text';
import { createForm } from '../create/store.svelte';
import { styles } from '../create/styles.svelte';

export type Erasure = 'prompts' | 'everything';

/** Everything the Privacy screen shows and does: the report, consents, export, erasure and requests. */
export class PrivacyStore {
  report = $state<PrivacyReport | null>(null);
  reportLoading = $state(false);
  reportError = $state<string | null>(null);

  /** Never changed means off: the three consents start off until the core says otherwise. */
  consents = $state<Consent[]>(CONSENTS.map((c) => ({ name: c.name, granted: false, changed_at: null, source: null })));
  history = $state<ConsentChange[]>([]);
  consentsError = $state<string | null>(null);
  savingConsent = $state<string | null>(null);

  exporting = $state(false);
  /** The phase under way (the history, then the image files) and how far it got; null when idle. */
  exportProgress = $state<ExportProgress | null>(null);
  exportResult = $state<ExportReport | null>(null);
  exportError = $state<string | null>(null);

  erasing = $state<Erasure | null>(null);
  erasure = $state<{ action: Erasure; report: ErasureReport } | null>(null);
  eraseError = $state<{ action: Erasure; message: string } | null>(null);

  requests = $state<PrivacyRequest[]>([]);
  requestsLoaded = $state(false);
  requestsError = $state<string | null>(null);

  /** The Flux Krea account, which decides whether the platform's rights apply (null until read). */
  account = $state<AccountStatus | null>(null);
  accountError = $state<string | null>(null);

  deletingImages = $state(false);
  imagesResult = $state<PrivacyRequest | null>(null);
  imagesError = $state<string | null>(null);

  requestingDeletion = $state(false);
  cancellingDeletion = $state(false);
  deletionError = $state<string | null>(null);
  #deletionSent = $state<PrivacyRequest | null>(null);

  /** Account mode is configured in this build (null until known). */
  get accountAvailable(): boolean | null {
    return this.account ? this.account.available : this.accountError ? false : null;
  }

  get signedIn(): boolean {
    return !!this.account?.available && this.account.signed_in;
  }

  /** The latest account deletion asked for: the one just sent, or the newest recorded. */
  get deletionRequest(): PrivacyRequest | null {
    return this.#deletionSent ?? this.requests.find((r) => r.kind === 'account_deletion') ?? null;
  }

  /** A platform action is running. */
  get platformBusy(): boolean {
    return this.deletingImages || this.requestingDeletion || this.cancellingDeletion;
  }

  async load(): Promise<void> {
    await Promise.all([this.loadAccount(), this.loadReport(), this.loadConsents(), this.loadRequests()]);
  }

  async loadAccount(): Promise<void> {
    await loadInto(() => unwrap(commands.accountStatus()), {
      set: (account) => (this.account = account),
      error: (message) => (this.accountError = message),
    });
  }

  async loadReport(): Promise<void> {
    await loadInto(() => unwrap(commands.privacyReport()), {
      set: (report) => (this.report = report),
      error: (message) => (this.reportError = message),
      loading: (on) => (this.reportLoading = on),
    });
  }

  /** Bumped by every change, so a load that started before it cannot put back the old state. */
  #consentChanges = 0;

  async loadConsents(): Promise<void> {
    const seen = this.#consentChanges;
    try {
      const [current, history] = await Promise.all([unwrap(commands.consents()), unwrap(commands.consentHistory())]);
      if (seen !== this.#consentChanges) return;
      this.consents = current;
      this.history = history;
      this.consentsError = null;
    } catch (e) {
      this.consentsError = messageOf(e);
    }
  }

  async loadRequests(): Promise<void> {
    await loadInto(() => unwrap(commands.privacyRequests()), {
      set: (requests) => (this.requests = requests),
      error: (message) => (this.requestsError = message),
    });
    this.requestsLoaded = true;
  }

  consent(name: string): Consent {
    return this.consents.find((c) => c.name === name) ?? { name, granted: false, changed_at: null, source: null };
  }

  /** True when the change was stored. */
  async setConsent(name: string, granted: boolean): Promise<boolean> {
    if (this.savingConsent) return false;
    this.savingConsent = name;
    this.consentsError = null;
    this.#consentChanges += 1;
    try {
      this.consents = await unwrap(commands.setConsent(name, granted));
      try {
        this.history = await unwrap(commands.consentHistory());
      } catch {
        // The change is stored; the history list catches up on the next load.
      }
      return true;
    } catch (e) {
      this.consentsError = `The change was not saved: ${messageOf(e)}`;
      return false;
    } finally {
      this.savingConsent = null;
    }
  }

  /**
   * Writes the archive to a new dated file in Downloads, or (with `choose`) where the user picks
   * in a save dialog, following its progress.
   */
  async exportData(choose = false): Promise<void> {
    if (this.exporting || this.erasing || this.platformBusy) return;
    this.exportError = null;
    let path: string | null;
    try {
      // The save dialog is the shell's: the archive goes only where the user said (or to the default).
      path = await unwrap(choose ? commands.chooseExportPath() : commands.suggestedExportPath());
    } catch (e) {
      this.exportError = `No place to save the archive: ${messageOf(e)}`;
      return;
    }
    if (!path) return; // the dialog was cancelled

    this.exporting = true;
    this.exportResult = null;
    this.exportProgress = { phase: 'history', done: 0, total: 0 };
    let unlisten: (() => void) | null = null;
    try {
      unlisten = await events.exportProgress.listen(({ payload }) => {
        if (this.exporting) this.exportProgress = payload;
      });
    } catch (e) {
      console.error('export progress unavailable', e);
    }
    try {
      this.exportResult = await unwrap(commands.exportData(path));
      void this.loadRequests();
    } catch (e) {
      this.exportError = `The export did not finish: ${messageOf(e)}`;
    } finally {
      unlisten?.();
      this.exporting = false;
      this.exportProgress = null;
    }
  }

  /** Runs an erasure (the caller has confirmed it), then reloads what it changed. */
  async erase(action: Erasure): Promise<boolean> {
    if (this.erasing || this.exporting || this.platformBusy) return false;
    this.erasing = action;
    this.eraseError = null;
    this.erasure = null;
    try {
      const report = await unwrap(action === 'prompts' ? commands.erasePrompts() : commands.eraseEverything());
      this.erasure = { action, report };
      // What the Create screen holds was erased with the rest (and its styles with everything).
      createForm.forgetWriting();
      if (action === 'everything') void styles.load(true);
      await Promise.all([this.loadReport(), this.loadRequests(), action === 'everything' ? this.loadConsents() : null]);
      return true;
    } catch (e) {
      this.eraseError = { action, message: messageOf(e) };
      return false;
    } finally {
      this.erasing = null;
    }
  }

  /**
   * Asks Flux Krea to remove the account's images from its temporary storage now (the caller has
   * confirmed it). They are already on this computer; the platform would remove them within 48 h.
   */
  async deletePlatformImages(): Promise<boolean> {
    if (this.platformBusy || this.erasing || this.exporting) return false;
    this.deletingImages = true;
    this.imagesError = null;
    this.imagesResult = null;
    try {
      this.imagesResult = await unwrap(commands.deletePlatformImages());
      void this.loadRequests();
      return true;
    } catch (e) {
      this.imagesError = messageOf(e);
      this.#afterPlatformError(e);
      return false;
    } finally {
      this.deletingImages = false;
    }
  }

  /** Asks Flux Krea to delete the account (the caller has confirmed it); a pending request comes back as it is. */
  async requestAccountDeletion(): Promise<boolean> {
    if (this.erasing || this.exporting) return false;
    return this.#deletionAction('requestingDeletion', () => commands.requestAccountDeletion());
  }

  /** Withdraws the pending account deletion: Flux Krea keeps the account, and the record says so. */
  async cancelAccountDeletion(): Promise<boolean> {
    return this.#deletionAction('cancellingDeletion', () => commands.cancelAccountDeletion());
  }

  /** One deletion request to the platform at a time; its answer replaces the one shown. */
  async #deletionAction(
    flag: 'requestingDeletion' | 'cancellingDeletion',
    send: () => Promise<{ status: 'ok'; data: PrivacyRequest } | { status: 'error'; error: CoreError }>,
  ): Promise<boolean> {
    if (this.platformBusy) return false;
    this[flag] = true;
    this.deletionError = null;
    try {
      this.#deletionSent = await unwrap(send());
      void this.loadRequests();
      return true;
    } catch (e) {
      this.deletionError = messageOf(e);
      this.#afterPlatformError(e);
      return false;
    } finally {
      this[flag] = false;
    }
  }

  /** Signed out meanwhile (or the session ended): read the account again so the actions say so. */
  #afterPlatformError(e: unknown): void {
    if (e instanceof CommandError && e.error.kind === 'auth_required') void this.loadAccount();
  }
}
