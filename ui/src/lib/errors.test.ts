import { describe, expect, it } from 'vitest';
import { CommandError, describeError, unwrap } from './errors';

describe('describeError', () => {
  it('names the field for invalid input', () => {
    expect(describeError({ kind: 'invalid_input', field: 'FLUX_KREA_PLATFORM_URL', reason: 'use https' })).toBe(
      'FLUX_KREA_PLATFORM_URL: use https',
    );
  });

  it('gives numbers for credits and rate limits', () => {
    expect(describeError({ kind: 'insufficient_credits', needed: 8, balance: 3 })).toContain('8 credits');
    expect(describeError({ kind: 'rate_limited', retry_after_s: 12 })).toContain('12 s');
  });
});

describe('unwrap', () => {
  it('returns data on ok and throws a CommandError carrying the typed error', async () => {
    await expect(unwrap(Promise.resolve({ status: 'ok' as const, data: 5 }))).resolves.toBe(5);
    const failing = unwrap(Promise.resolve({ status: 'error' as const, error: { kind: 'auth_required' as const } }));
    await expect(failing).rejects.toBeInstanceOf(CommandError);
    await expect(failing).rejects.toMatchObject({ error: { kind: 'auth_required' } });
  });
});
