import { describe, expect, it } from 'vitest';
import { CommandError, describeError, messageOf, unwrap } from './errors';

describe('describeError', () => {
  it('names the field for invalid input', () => {
    expect(describeError({ kind: 'invalid_input', field: 'FLUX_KREA_PLATFORM_URL', reason: 'use https' })).toBe('FLUX_KREA_PLATFORM_URL: use https');
  });

  it('gives numbers for credits and rate limits', () => {
    expect(describeError({ kind: 'insufficient_credits', needed: 8, balance: 3 })).toBe('Not enough credits: 8 needed, 3 available.');
    expect(describeError({ kind: 'rate_limited', retry_after_s: 12 })).toContain('12 s');
  });
});

describe('describeError for account errors', () => {
  it('says a stopped sign-in or purchase changed nothing', () => {
    expect(describeError({ kind: 'canceled', what: 'sign-in' })).toBe('Stopped (sign-in); nothing changed.');
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

describe('describeError for generation errors', () => {
  it('lists every bad field of invalid_fields', () => {
    expect(describeError({ kind: 'invalid_fields', fields: [{ field: 'seed', reason: 'must be a whole number' }] })).toBe(
      'Please fix this: seed must be a whole number.',
    );
    const two = describeError({
      kind: 'invalid_fields',
      fields: [
        { field: 'prompt', reason: 'must not be empty' },
        { field: 'width', reason: 'must be a multiple of 32' },
      ],
    });
    expect(two).toBe('Please fix 2 values: prompt must not be empty; width must be a multiple of 32.');
  });

  it('explains a budget stop in words with the amounts', () => {
    const text = describeError({ kind: 'budget_exceeded', budget_usd: 5, spent_usd: 4.99, estimate_usd: 0.1 });
    expect(text).toContain('about $0.10');
    expect(text).toContain('monthly budget of $5.00');
    expect(text).toContain('spent $4.99 this month');
    expect(text).toContain('Account screen');
    expect(describeError({ kind: 'budget_exceeded', budget_usd: null, spent_usd: null, estimate_usd: null })).toMatch(
      /^This run would go over your monthly budget\./,
    );
  });

  it('names the service and the detail of a broken connection', () => {
    expect(describeError({ kind: 'network', service: 'Replicate', detail: 'timed out' })).toBe(
      'The connection to Replicate broke off (timed out). Check your connection and try again.',
    );
  });
});

describe('messageOf', () => {
  it("gives a core error's sentence, another error's message, or the value itself", () => {
    expect(messageOf(new CommandError({ kind: 'not_found', what: 'Collection 4' }))).toBe('Collection 4 was not found.');
    expect(messageOf(new TypeError('no bridge'))).toBe('no bridge');
    expect(messageOf('plain words')).toBe('plain words');
  });
});
