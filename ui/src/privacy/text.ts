import type { ConsentChange, ConsentSource, ErasureReport, ExportProgress, ExportReport, StoredKind } from '../lib/bindings';
import { formatBytes, plural } from '../lib/format';

export type ConsentName = 'marketing_emails' | 'product_analytics' | 'training_use';

/** The consents the app asks for, in the order shown, with what each one means in plain words. */
export const CONSENTS: { name: ConsentName; title: string; explanation: string }[] = [
  { name: 'marketing_emails', title: 'Marketing e-mails', explanation: 'News and offers by e-mail. Off means none.' },
  {
    name: 'product_analytics',
    title: 'Product analytics',
    explanation: 'Anonymous usage statistics sent to improve the app. Off means nothing statistical leaves this computer.',
  },
  {
    name: 'training_use',
    title: 'Training use',
    explanation: 'Allow your prompts and images to be used to train models. Off means they are never used for training.',
  },
];

export const consentTitle = (name: string): string => CONSENTS.find((c) => c.name === name)?.title ?? name.replace(/_/g, ' ');

/** Where a consent change was made, as the end of a sentence. */
export function sourceWords(source: ConsentSource | string | null | undefined): string {
  switch (source) {
    case 'app':
      return 'in the app';
    case 'cli':
      return 'with the command-line tool';
    case 'platform':
      return 'on your Flux Krea account';
    default:
      return source ? `via ${source}` : '';
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });

export const formatDateTime = (ms: number | null | undefined): string => (ms == null ? '—' : dateTime.format(new Date(ms)));
export const formatDate = (ms: number | null | undefined): string => (ms == null ? '—' : dateOnly.format(new Date(ms)));

/** "Last changed … (in the app)" or the never-changed default. */
export function consentChangedLine(changedAt: number | null | undefined, source: ConsentSource | null | undefined): string {
  if (changedAt == null) return 'Never changed — off by default';
  const where = sourceWords(source);
  return `Last changed ${formatDateTime(changedAt)}${where ? ` (${where})` : ''}`;
}

/** 12 s, 1 min 5 s, 1 h 2 min. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

export const formatPercent = (share: number | null | undefined): string => (share == null ? '—' : `${Math.round(share * 1000) / 10}%`);

/** The app's keychain entries, by what they are for (their values are never read here). */
export function keychainWords(entries: string[]): string {
  if (entries.length === 0) return 'none';
  return entries.map((e) => (e === 'replicate-token' ? 'Replicate key' : e)).join(', ');
}

/** A stored kind's place, relative to the data folder when it is inside it. */
export function relativeLocation(location: string, dataDir: string): string {
  if (!dataDir || !location.startsWith(dataDir)) return location;
  const rest = location.slice(dataDir.length).replace(/^[\\/]+/, '');
  return rest === '' ? '(data folder)' : rest;
}

/** Size of a kind, or null when it lives in a file already sized by an earlier kind (the database). */
export function kindSize(kinds: StoredKind[], index: number): string | null {
  const kind = kinds[index];
  if (!kind) return null;
  const bytes = kind.bytes ?? 0;
  if (bytes === 0 && kinds.slice(0, index).some((k) => k.location === kind.location && (k.bytes ?? 0) > 0)) return null;
  return formatBytes(bytes);
}

/** `flux-krea-export-2025-08-03.zip`, in local time. */
export function exportFileName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `flux-krea-export-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.zip`;
}

export function exportSummary(r: ExportReport): string {
  const size = r.bytes == null ? '' : `${formatBytes(r.bytes)}, `;
  return `${size}${plural(r.generations, 'generation')} and ${plural(r.images, 'image')}`;
}

/**
 * What the export is doing, in words: the history written (generations), then the image files
 * copied; before a phase knows its total, what it is about to do.
 */
export function exportProgressWords(p: ExportProgress | null): string {
  if (!p || p.total === 0) return p?.phase === 'files' ? 'Finishing the archive…' : 'Preparing the archive…';
  const counts = `${Math.min(p.done, p.total).toLocaleString()} of ${p.total.toLocaleString()}`;
  return p.phase === 'files' ? `Copying images: ${counts}…` : `Writing history: ${counts} generations…`;
}

export function erasureSummary(action: 'prompts' | 'everything', r: ErasureReport): string {
  const left = r.skipped_running ? `; ${plural(r.skipped_running, 'running job')} left alone` : '';
  if (action === 'prompts') {
    return `Prompts and parameters of ${plural(r.generations, 'generation')} erased${left}. Images stay.`;
  }
  const bytes = r.bytes_removed ? ` (${formatBytes(r.bytes_removed)})` : '';
  return `${plural(r.generations, 'generation')} and ${plural(r.files_removed, 'file')}${bytes} erased${left}.`;
}

/** A recorded request's kind, for people. */
export function requestKindWords(kind: string): string {
  switch (kind) {
    case 'export':
      return 'Data export';
    case 'erase_prompts':
      return 'Prompts and parameters erased';
    case 'erase_all':
      return 'Everything erased';
    case 'delete_images':
      return 'Images deleted from Flux Krea';
    case 'account_deletion':
      return 'Account deletion requested';
    default: {
      const words = kind.replace(/_/g, ' ');
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
  }
}

/** True when the platform note of an erasure says Flux Krea could not be asked. */
export const platformNoteFailed = (note: string): boolean => /could not/i.test(note);

/**
 * The Consents card's line about the account, when signed in: pending when any change has not
 * reached Flux Krea yet (the core sends them all with the next change or sign-in).
 */
export function consentSync(history: ConsentChange[]): { synced: boolean; text: string } {
  const pending = history.filter((c) => c.synced_at == null);
  if (pending.length > 0) {
    const names = [...new Set(pending.map((c) => consentTitle(c.name)))].join(', ');
    return { synced: false, text: `Not synced yet — will be sent when online (${names})` };
  }
  const last = history.reduce<number | null>((at, c) => (c.synced_at != null && (at == null || c.synced_at > at) ? c.synced_at : at), null);
  if (last == null) return { synced: true, text: 'Changes are sent to your Flux Krea account' };
  return { synced: true, text: `Synced to your Flux Krea account · ${formatDateTime(last)}` };
}
