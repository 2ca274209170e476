/** Human byte counts: 0 B, 812 KB, 3.4 MB, 1.2 GB (decimal units, like file managers). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit += 1;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** A reason or outcome as a sentence: "must be between 1 and 4" → "Must be between 1 and 4." (capital first letter, final stop). */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** US dollars as prices read: $0.003, $0.012, $0.10, $4.99 (a third decimal only when it carries a digit). */
export function formatUsd(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  const mills = Math.round(Math.abs(amount) * 1000);
  const digits = mills % 10 === 0 ? 2 : 3;
  return `${sign}$${(mills / 1000).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** "1 credit", "1,250 credits". */
export function formatCredits(n: number): string {
  return plural(n, 'credit');
}

/**
 * A price given in the currency's smallest unit (Stripe's convention: cents, or yen for JPY), in
 * the user's locale: $5.00, 5,00 €, ¥500. An unknown currency code still reads sensibly.
 */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const code = currency.toUpperCase();
  try {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency: code });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minor / 10 ** digits);
  } catch {
    return `${(minor / 100).toFixed(2)} ${code}`;
  }
}

/** A moment as a person reads it: the time alone today, the date and time otherwise. */
export function formatWhen(ms: number, now: number = Date.now()): string {
  const date = new Date(ms);
  const today = new Date(now).toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
