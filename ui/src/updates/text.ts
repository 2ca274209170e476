import type { UpdatePrefs, UpdateStatus } from '../lib/bindings';
import { formatBytes, formatWhen, plural } from '../lib/format';

/** Whole percent downloaded, 0–100; null while the size is unknown (an indeterminate bar). */
export function progressPercent(received: number | null, total: number | null | undefined): number | null {
  if (total == null || total <= 0) return null;
  return Math.min(100, Math.max(0, Math.floor(((received ?? 0) / total) * 100)));
}

export const DISABLED_WORDS = 'Updates are not available in this build (development build).';

/** "just now", "2 min ago", "3 h ago", or the moment itself when it was a day or more ago. */
export function ago(ms: number, now: number = Date.now()): string {
  const minutes = Math.floor((now - ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return formatWhen(ms, now);
}

/** "12 MB of 40 MB", or "12 MB" while the size is unknown. */
export function progressWords(received: number | null, total: number | null | undefined): string {
  const got = formatBytes(received ?? 0);
  return total == null || total <= 0 ? got : `${got} of ${formatBytes(total)}`;
}

export function waitingWords(generations: number): string {
  const verb = generations === 1 ? 'finishes' : 'finish';
  return `Downloaded and verified. Installing once your ${plural(generations, 'running generation')} ${verb}.`;
}

/** The banner's headline for each state it shows in. */
export function bannerTitle(status: UpdateStatus): string {
  switch (status.state) {
    case 'available':
      return `Version ${status.version} is available`;
    case 'downloading':
      return `Downloading version ${status.version}`;
    case 'waiting_for_idle':
      return `Version ${status.version} is ready`;
    case 'installing':
      return `Installing version ${status.version}`;
    case 'failed':
      return status.version ? `Version ${status.version} was not installed` : 'The update check failed';
    default:
      return '';
  }
}

/** The Settings card's status line, in words. */
export function statusWords(status: UpdateStatus, now: number = Date.now()): string {
  switch (status.state) {
    case 'disabled':
      return DISABLED_WORDS;
    case 'idle':
      return 'Not checked yet.';
    case 'checking':
      return 'Checking for updates…';
    case 'up_to_date':
      return status.checked_at_ms == null ? 'Up to date' : `Up to date · checked ${ago(status.checked_at_ms, now)}`;
    case 'available':
      return `Version ${status.version} is available`;
    case 'downloading': {
      const percent = progressPercent(status.received, status.total);
      return `Downloading version ${status.version}… ${percent === null ? progressWords(status.received, null) : `${percent}%`}`;
    }
    case 'waiting_for_idle':
      return waitingWords(status.generations);
    case 'installing':
      return `Installing version ${status.version}…`;
    case 'failed':
      return status.problem.message;
  }
}

/**
 * The last check's outcome from the preferences ("Last check: Up to date · 3 h ago"), when the
 * status line does not already tell it (after a restart it is idle until the next check).
 */
export function lastCheckWords(prefs: UpdatePrefs | null, status: UpdateStatus, now: number = Date.now()): string | null {
  const last = prefs?.last_check;
  if (!last || status.state === 'disabled') return null;
  if (status.state === 'checking' || status.state === 'up_to_date' || status.state === 'available') return null;
  if (status.state === 'failed' && !status.version) return null;
  return last.at_ms == null ? `Last check: ${last.outcome}` : `Last check: ${last.outcome} · ${ago(last.at_ms, now)}`;
}

/** Long release notes start folded: more than a few lines or a short paragraph. */
export function notesAreLong(notes: string): boolean {
  return notes.length > 280 || notes.split('\n').length > 4;
}
