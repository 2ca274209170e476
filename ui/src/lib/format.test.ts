import { describe, expect, it } from 'vitest';
import { formatBytes, formatCredits, formatMoney, formatUsd, formatWhen, plural, sentence } from './format';

describe('format', () => {
  it('formats bytes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(3_400_000)).toBe('3.4 MB');
    expect(formatBytes(812_000)).toBe('812 KB');
    expect(formatBytes(1_200_000_000)).toBe('1.2 GB');
  });

  it('pluralises with separators', () => {
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(12000, 'item')).toBe(`${(12000).toLocaleString()} items`);
  });
});

describe('formatUsd', () => {
  it('shows a third decimal only when it carries a digit', () => {
    expect(formatUsd(0.003)).toBe('$0.003');
    expect(formatUsd(0.012)).toBe('$0.012');
    expect(formatUsd(0.1)).toBe('$0.10');
    expect(formatUsd(4.99)).toBe('$4.99');
    expect(formatUsd(0.04 * 3)).toBe('$0.12');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('credits and money', () => {
  it('counts credits', () => {
    expect(formatCredits(1)).toBe('1 credit');
    expect(formatCredits(95)).toBe('95 credits');
  });

  it('formats minor units in the currency, with its own decimals', () => {
    expect(formatMoney(500, 'usd', 'en-US')).toBe('$5.00');
    expect(formatMoney(1999, 'EUR', 'en-US')).toBe('€19.99');
    expect(formatMoney(500, 'JPY', 'en-US')).toBe('¥500');
    expect(formatMoney(500, 'not-a-code', 'en-US')).toBe('5.00 NOT-A-CODE');
  });

  it('says only the time for today', () => {
    const now = new Date(2025, 4, 6, 18, 0).getTime();
    const earlier = new Date(2025, 4, 6, 9, 5).getTime();
    expect(formatWhen(earlier, now)).toBe(new Date(earlier).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }));
    expect(formatWhen(new Date(2025, 0, 2, 9, 5).getTime(), now)).not.toBe(formatWhen(earlier, now));
  });
});

describe('sentence', () => {
  it('starts with a capital and ends with a stop, once', () => {
    expect(sentence('must be between 1 and 4')).toBe('Must be between 1 and 4.');
    expect(sentence('Flux Krea removed 3 images.')).toBe('Flux Krea removed 3 images.');
    expect(sentence('is it done?')).toBe('Is it done?');
    expect(sentence('  sent  ')).toBe('Sent.');
    expect(sentence('')).toBe('');
  });
});
