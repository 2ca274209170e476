import { messageOf } from './errors';

/** Where a load puts what it gets. */
export interface LoadTarget<T> {
  /** Keeps the answer. */
  set: (value: T) => void;
  /** The failure in words, or null once a load worked. */
  error: (message: string | null) => void;
  /** On while the call runs (a spinner, a disabled Refresh). */
  loading?: (on: boolean) => void;
  /** How a failure reads (messageOf unless given). */
  describe?: (e: unknown) => string;
}

/**
 * The stores' one way to load something: `loading` is on while `call` runs; then the answer is
 * kept and the error cleared, or the error says what went wrong and what was shown stays. Never
 * throws. True when the answer was kept.
 */
export async function loadInto<T>(call: () => Promise<T>, target: LoadTarget<T>): Promise<boolean> {
  target.loading?.(true);
  try {
    target.set(await call());
    target.error(null);
    return true;
  } catch (e) {
    target.error((target.describe ?? messageOf)(e));
    return false;
  } finally {
    target.loading?.(false);
  }
}
