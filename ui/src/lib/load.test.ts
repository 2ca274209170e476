import { describe, expect, it } from 'vitest';
import { CommandError } from './errors';
import { loadInto } from './load';

function target() {
  const seen: string[] = [];
  return {
    seen,
    into: {
      set: (value: number) => seen.push(`set ${value}`),
      error: (message: string | null) => seen.push(`error ${message}`),
      loading: (on: boolean) => seen.push(`loading ${on}`),
    },
  };
}

describe('loadInto', () => {
  it('keeps the answer and clears the error, loading meanwhile', async () => {
    const { seen, into } = target();
    await expect(loadInto(async () => 7, into)).resolves.toBe(true);
    expect(seen).toEqual(['loading true', 'set 7', 'error null', 'loading false']);
  });

  it('says what went wrong, keeps nothing and never throws', async () => {
    const { seen, into } = target();
    const failing = async (): Promise<number> => {
      throw new CommandError({ kind: 'not_found', what: 'The report' });
    };
    await expect(loadInto(failing, into)).resolves.toBe(false);
    expect(seen).toEqual(['loading true', 'error The report was not found.', 'loading false']);
  });

  it('words a failure its own way when asked', async () => {
    const { seen, into } = target();
    await loadInto(
      async () => {
        throw new Error('offline');
      },
      { ...into, describe: (e) => `Not loaded: ${(e as Error).message}` },
    );
    expect(seen).toContain('error Not loaded: offline');
  });
});
