// Styles as pure data: the prompt a style sends, the form values it sets, names for test ids.
// The composition mirrors the core's AppliedStyle::compose (crates/core/src/styles/mod.rs).

import type { AppliedStyle, Model, Style } from '../lib/bindings';
import { fieldError, type FormValues } from './form';

/** Characters as the core counts them (code points, not UTF-16 units). */
export const chars = (text: string): number => [...text].length;

/** The prompt as sent: the style's text around the user's, one space between the parts that are not empty. */
export function composePrompt(style: AppliedStyle | null, prompt: string): string {
  if (!style) return prompt.trim();
  return [style.prefix.trim(), prompt.trim(), style.suffix.trim()].filter((p) => p !== '').join(' ');
}

/**
 * The user's own words of a prompt sent with this style (the core's AppliedStyle::strip), or the
 * prompt as it is when this style did not make it: recalling a styled prompt while the style is
 * applied must not put the style's text in twice.
 */
export function ownWords(style: AppliedStyle | null, sent: string): string {
  if (!style) return sent;
  let rest = sent.trim();
  const [prefix, suffix] = [style.prefix.trim(), style.suffix.trim()];
  if (prefix) {
    if (!rest.startsWith(`${prefix} `)) return sent;
    rest = rest.slice(prefix.length + 1);
  }
  if (suffix) {
    if (!rest.endsWith(` ${suffix}`)) return sent;
    rest = rest.slice(0, rest.length - suffix.length - 1);
  }
  return rest;
}

/** The text a style carries in a request (its defaults are applied to the form, not sent). */
export function appliedOf(style: Pick<Style, 'name' | 'prefix' | 'suffix'>): AppliedStyle {
  return { name: style.name, prefix: style.prefix, suffix: style.suffix };
}

/** A name as a test id part: "Film Noir!" → "film-noir". */
export function styleSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The aspect ratio and guidance a style sets on this model: only defaults it has (not null) that
 * are fields of the model and acceptable there (a style saved for another model may not fit).
 */
export function styleDefaults(style: Pick<Style, 'aspect_ratio' | 'guidance'>, model: Model): FormValues {
  const values: FormValues = {};
  const wanted: [string, string | number | null | undefined][] = [
    ['aspect_ratio', style.aspect_ratio],
    ['guidance', style.guidance],
  ];
  for (const [name, value] of wanted) {
    const field = model.fields.find((f) => f.name === name);
    if (field && value !== null && value !== undefined && fieldError(field, value) === null) values[name] = value;
  }
  return values;
}

/** What a style does, in words: "Adds “film noir still of” before and “high contrast” after." */
export function describeStyle(style: Pick<Style, 'prefix' | 'suffix'>): string {
  const before = style.prefix.trim();
  const after = style.suffix.trim();
  if (before && after) return `Adds “${before}” before and “${after}” after the prompt.`;
  if (before) return `Adds “${before}” before the prompt.`;
  if (after) return `Adds “${after}” after the prompt.`;
  return 'Sets form defaults only; the prompt is sent as written.';
}
