import { describe, expect, it } from 'vitest';
import { dev, schnell } from './fixtures';
import { composePrompt, describeStyle, ownWords, styleDefaults, styleSlug } from './style';

const noir = { name: 'Noir', prefix: ' film noir still of ', suffix: 'high contrast' };

describe('styles as data', () => {
  it('composes the prompt as the core does: trimmed parts, one space, empty parts skipped', () => {
    expect(composePrompt(noir, '  a boat ')).toBe('film noir still of a boat high contrast');
    expect(composePrompt({ ...noir, prefix: '' }, 'a boat')).toBe('a boat high contrast');
    expect(composePrompt(noir, '   ')).toBe('film noir still of high contrast');
    expect(composePrompt(null, ' a boat ')).toBe('a boat');
  });

  it('sets only the defaults the model has and accepts', () => {
    expect(styleDefaults({ aspect_ratio: '16:9', guidance: 5 }, dev)).toEqual({ aspect_ratio: '16:9', guidance: 5 });
    // flux-schnell has no guidance field.
    expect(styleDefaults({ aspect_ratio: '16:9', guidance: 5 }, schnell)).toEqual({ aspect_ratio: '16:9' });
    expect(styleDefaults({ aspect_ratio: '7:3', guidance: 99 }, dev)).toEqual({});
    expect(styleDefaults({ aspect_ratio: null, guidance: null }, dev)).toEqual({});
  });

  it('makes test ids and descriptions from names and text', () => {
    expect(styleSlug('Noir')).toBe('noir');
    expect(styleSlug(' Film  Noir! 2 ')).toBe('film-noir-2');
    expect(describeStyle(noir)).toBe('Adds “film noir still of” before and “high contrast” after the prompt.');
    expect(describeStyle({ prefix: '', suffix: '' })).toMatch(/defaults only/);
  });
});

describe('ownWords', () => {
  it('gives back the words a style was put around, and nothing else', () => {
    for (const own of ['a detective', 'a {red|blue} car']) expect(ownWords(noir, composePrompt(noir, own))).toBe(own);
    expect(ownWords(noir, 'a detective high contrast')).toBe('a detective high contrast');
    expect(ownWords(noir, 'film noir still ofa cat high contrast')).toBe('film noir still ofa cat high contrast');
    expect(ownWords(null, 'film noir still of a cat high contrast')).toBe('film noir still of a cat high contrast');
    expect(ownWords({ ...noir, prefix: '' }, 'a cat high contrast')).toBe('a cat');
  });
});
