import { commands, events, type UpdateChannel, type UpdatePrefs, type UpdateStatus } from '../lib/bindings';
import { CommandError, messageOf, unwrap } from '../lib/errors';

/** The version an update in progress (or stopped short) is about; null when nothing is offered. */
export function updateVersion(status: UpdateStatus): string | null {
  switch (status.state) {
    case 'available':
    case 'downloading':
    case 'waiting_for_idle':
    case 'installing':
      return status.version;
    case 'failed':
      return status.version ?? null;
    default:
      return null;
  }
}

/** A failure of a check (no version yet): only the Settings card tells of it, never the banner. */
export const isCheckFailure = (status: UpdateStatus): boolean => status.state === 'failed' && updateVersion(status) === null;

/** Downloading, waiting for generations or installing: the user asked for it, so it always shows. */
export const isInstalling = (status: UpdateStatus): boolean =>
  status.state === 'downloading' || status.state === 'waiting_for_idle' || status.state === 'installing';

/** Whether the banner shows: an install under way, or an offer or failed install the user neither skipped nor put off. */
export function showBanner(status: UpdateStatus, skipped: string | null, dismissed: readonly string[]): boolean {
  if (isInstalling(status)) return true;
  const version = updateVersion(status);
  if (version === null || version === skipped || dismissed.includes(version)) return false;
  return status.state === 'available' || status.state === 'failed';
}

/** Whether installing again can help: not when the download is not genuine or this copy cannot be replaced. */
export function canRetry(status: UpdateStatus): boolean {
  if (status.state !== 'failed' || isCheckFailure(status)) return false;
  return status.problem.kind !== 'bad_signature' && status.problem.kind !== 'not_installed';
}

/**
 * The updater as the window shows it: the status (kept current by `update-status-changed`), the
 * preferences, and the versions whose banner was put off for this session. One app-wide instance.
 */
export class UpdatesStore {
  status = $state<UpdateStatus>({ state: 'idle' });
  prefs = $state<UpdatePrefs | null>(null);
  /** Versions whose banner "Later" hid until the app restarts (never saved). */
  dismissed = $state<string[]>([]);
  /** A command's own failure (not a failed check or install, which arrive as a status). */
  error = $state<string | null>(null);
  checking = $state(false);
  installing = $state(false);
  /** The channel being saved (shown selected meanwhile). */
  channelSaving = $state<UpdateChannel | null>(null);

  readonly skipped = $derived(this.prefs?.skipped_version ?? null);
  readonly bannerShown = $derived(showBanner(this.status, this.skipped, this.dismissed));
  readonly channel = $derived<UpdateChannel>(this.channelSaving ?? this.prefs?.channel ?? 'stable');
  readonly busy = $derived(this.checking || this.installing || this.status.state === 'checking' || isInstalling(this.status));

  #changes = 0;
  #stop: (() => void) | null = null;

  /** Listens for status changes (once) and loads the status and preferences. Returns a function that stops listening. */
  async start(): Promise<() => void> {
    if (!this.#stop) {
      try {
        const unlisten = await events.updateStatusChanged.listen(({ payload }) => this.apply(payload.status));
        this.#stop = () => {
          unlisten();
          this.#stop = null;
        };
      } catch (e) {
        console.error('update events unavailable', e);
      }
    }
    await this.load();
    return () => this.#stop?.();
  }

  async load(): Promise<void> {
    const changes = this.#changes;
    await Promise.all([
      commands.updateStatus().then(
        // A change heard while this loaded is newer than the answer.
        (status) => {
          if (this.#changes === changes) this.status = status;
        },
        (e) => (this.error = messageOf(e)),
      ),
      this.loadPrefs(),
    ]);
  }

  async loadPrefs(): Promise<void> {
    try {
      this.prefs = await unwrap(commands.updatePrefs());
    } catch (e) {
      this.error = messageOf(e);
    }
  }

  /** A new status (an event, or a command's answer). A finished check also updated "last check". */
  apply(status: UpdateStatus): void {
    this.#changes += 1;
    this.status = status;
    if (status.state === 'up_to_date' || status.state === 'available' || isCheckFailure(status)) void this.loadPrefs();
  }

  async check(): Promise<void> {
    if (this.status.state === 'disabled' || this.busy) return;
    this.checking = true;
    this.error = null;
    try {
      this.apply(await unwrap(commands.checkForUpdate()));
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.checking = false;
    }
  }

  /** Downloads, verifies and installs the offer (the app restarts); "Try again" after a failure too. */
  async install(): Promise<void> {
    if (this.status.state === 'disabled' || this.installing) return;
    const version = updateVersion(this.status);
    if (version !== null) this.dismissed = this.dismissed.filter((v) => v !== version);
    this.installing = true;
    this.error = null;
    try {
      this.apply(await this.#install());
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.installing = false;
    }
  }

  /** The core keeps the offer after a failed download; a failed install used it up, so look for it again. */
  async #install(): Promise<UpdateStatus> {
    try {
      return await unwrap(commands.installUpdate());
    } catch (e) {
      if (!(e instanceof CommandError && e.error.kind === 'invalid_input')) throw e;
      const found = await unwrap(commands.checkForUpdate());
      if (found.state !== 'available') return found;
      this.apply(found);
      return await unwrap(commands.installUpdate());
    }
  }

  /** "Skip this version": not offered again (a later one is). */
  async skip(version: string): Promise<void> {
    this.error = null;
    try {
      this.prefs = await unwrap(commands.skipUpdateVersion(version));
    } catch (e) {
      this.error = messageOf(e);
    }
  }

  /** "Offer it again": forgets the skipped version and looks again if it was being held back. */
  async offerAgain(): Promise<void> {
    this.error = null;
    try {
      this.prefs = await unwrap(commands.skipUpdateVersion(null));
    } catch (e) {
      this.error = messageOf(e);
      return;
    }
    if (this.status.state === 'up_to_date' && this.status.skipped) await this.check();
  }

  /** "Later" / "Dismiss": hides the banner for this version until the app restarts. */
  later(): void {
    const version = updateVersion(this.status);
    this.error = null;
    if (version !== null && !this.dismissed.includes(version)) this.dismissed = [...this.dismissed, version];
  }

  /** Saves the channel; the core checks its feed at once (the status follows by events). */
  async setChannel(channel: UpdateChannel): Promise<void> {
    if (this.channelSaving !== null || channel === this.prefs?.channel) return;
    this.channelSaving = channel;
    this.error = null;
    try {
      this.prefs = await unwrap(commands.setUpdateChannel(channel));
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.channelSaving = null;
    }
  }
}

/** The app's one updater store: the banner and the Settings card share it. */
export const updates = new UpdatesStore();
