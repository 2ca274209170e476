import type { Error as CoreError } from './bindings';
import { formatUsd } from './format';

/** A sentence a person can act on, for every kind of core error. */
export function describeError(error: CoreError): string {
  switch (error.kind) {
    case 'auth_required':
      return 'Please sign in to continue.';
    case 'insufficient_credits':
      return `Not enough credits: ${error.needed.toLocaleString()} needed, ${error.balance.toLocaleString()} available.`;
    case 'rate_limited':
      return `The service is busy. Try again in ${error.retry_after_s} s.`;
    case 'invalid_input':
      return `${error.field}: ${error.reason}`;
    case 'invalid_fields': {
      const parts = error.fields.map((f) => `${f.field} ${f.reason}`);
      if (parts.length === 0) return 'Some values are not acceptable.';
      return parts.length === 1 ? `Please fix this: ${parts[0]}.` : `Please fix ${parts.length} values: ${parts.join('; ')}.`;
    }
    case 'budget_exceeded': {
      const estimate = error.estimate_usd === null ? 'This run' : `This run (about ${formatUsd(error.estimate_usd)})`;
      const budget = error.budget_usd === null ? 'your monthly budget' : `your monthly budget of ${formatUsd(error.budget_usd)}`;
      const spent = error.spent_usd === null ? '' : ` You have spent ${formatUsd(error.spent_usd)} this month.`;
      return `${estimate} would go over ${budget}.${spent} Raise or clear the budget on the Account screen, or ask for fewer images.`;
    }
    case 'offline':
      return `You appear to be offline: ${error.service} cannot be reached.`;
    case 'network':
      return `The connection to ${error.service} broke off (${error.detail}). Check your connection and try again.`;
    case 'upstream':
      return `${error.service} answered with an error (${error.status}): ${error.detail}`;
    case 'keychain_unavailable':
      return `The system keychain is not available (${error.reason}). Secrets are never stored anywhere else.`;
    case 'canceled':
      return `Stopped (${error.what}); nothing changed.`;
    case 'not_found':
      return `${error.what} was not found.`;
    case 'storage':
      return `Could not read or write ${error.path}: ${error.reason}`;
    case 'internal':
      return `Something went wrong: ${error.message}`;
  }
}

/** Unwraps a generated command result, throwing the typed error so callers can `catch` it. */
export async function unwrap<T>(result: Promise<{ status: 'ok'; data: T } | { status: 'error'; error: CoreError }>): Promise<T> {
  const r = await result;
  if (r.status === 'error') throw new CommandError(r.error);
  return r.data;
}

export class CommandError extends Error {
  constructor(readonly error: CoreError) {
    super(describeError(error));
  }
}

/** Anything caught, in words: a core error's sentence (a CommandError's message), another error's message, or the value itself. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
