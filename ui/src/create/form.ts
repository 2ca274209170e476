// The Create form as pure data: defaults from the catalogue, which fields apply, client-side checks
// that mirror the core's (crates/core/src/generation/request.rs), the request and its cost.

import type { Field, InputValue, Model, ModelPrice } from '../lib/bindings';
import { formatCredits, formatUsd } from '../lib/format';

/** A form value: text, a number, a toggle, or nothing (empty number, no picture, random seed). */
export type FormValue = string | number | boolean | null;
export type FormValues = Record<string, FormValue>;

/** Characters that make the prompt a template (groups and escapes); without them it is sent as written. */
export const isTemplate = (prompt: string): boolean => /[{}\\]/.test(prompt);

/** How a field is drawn. */
export type Control = 'prompt' | 'aspect' | 'segmented' | 'select' | 'seed' | 'range' | 'number' | 'toggle' | 'image';

export const SEED_FIELD = 'seed';

export function isSet(value: FormValue | undefined): boolean {
  // NaN stands for text typed in a number box that is not a number: set, and invalid.
  return value !== null && value !== undefined && value !== '';
}

export function defaultValue(field: Field): FormValue {
  const kind = field.kind;
  switch (kind.type) {
    case 'prompt':
      return '';
    case 'integer':
      return kind.default ?? null;
    case 'number':
      return kind.default ?? null;
    case 'choice':
      return kind.default;
    case 'toggle':
      return kind.default;
    case 'image':
      return null;
  }
}

export function defaultsFor(model: Model): FormValues {
  return Object.fromEntries(model.fields.map((f) => [f.name, defaultValue(f)]));
}

/**
 * The values for a newly chosen model: its defaults, keeping what the user already set in fields
 * of the same name when the value is acceptable there (the prompt, the ratio, the seed…).
 */
export function carryOver(model: Model, previous: FormValues): FormValues {
  const next = defaultsFor(model);
  for (const field of model.fields) {
    if (!(field.name in previous)) continue;
    const value = previous[field.name] ?? null;
    // The prompt is the user's writing: it always comes along, even when it needs shortening.
    if (field.kind.type === 'prompt') next[field.name] = typeof value === 'string' ? value : '';
    else if (isSet(value) ? fieldError(field, value) === null : !field.required) next[field.name] = value;
  }
  return next;
}

/** Does the field apply with these values (`visible_when`: another field equals a value, or is set)? */
export function isVisible(field: Field, values: FormValues): boolean {
  const cond = field.visible_when;
  if (!cond) return true;
  const other = values[cond.field];
  if (cond.equals !== null && cond.equals !== undefined) return isSet(other) && String(other) === cond.equals;
  if (cond.is_set === true) return isSet(other);
  if (cond.is_set === false) return !isSet(other);
  return true;
}

export function visibleFields(model: Model, values: FormValues): Field[] {
  return model.fields.filter((f) => isVisible(f, values));
}

const count = (n: number) => n.toLocaleString('en-US');

/** What is wrong with one value, or null. Mirrors the core's checks; the sentences are for people. */
export function fieldError(field: Field, value: FormValue): string | null {
  const kind = field.kind;
  if (kind.type === 'prompt') {
    const text = typeof value === 'string' ? value.trim() : '';
    const chars = [...text].length;
    if (chars === 0) return field.required ? 'Write a prompt to generate.' : null;
    // A template's own characters are not what is sent: the core checks each prompt it makes
    // (the plan's refusal shows under the prompt), so `{a|b}` groups never count against the limit.
    if (chars > kind.max_chars && !isTemplate(text)) return `Too long: ${count(chars)} of at most ${count(kind.max_chars)} characters.`;
    return null;
  }
  if (!isSet(value)) return field.required ? `${field.label} is required.` : null;
  switch (kind.type) {
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value)) return 'Use a whole number.';
      if (value < kind.min || value > kind.max) return `Use a value from ${count(kind.min)} to ${count(kind.max)}.`;
      if (kind.step > 1 && value % kind.step !== 0) return `Use a multiple of ${kind.step}.`;
      return null;
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'Use a number.';
      const { min, max } = kind;
      if (min !== null && max !== null && (value < min || value > max)) return `Use a value from ${min} to ${max}.`;
      if (min !== null && value < min) return `Use ${min} or more.`;
      if (max !== null && value > max) return `Use ${max} or less.`;
      return null;
    }
    case 'choice':
      return kind.options.includes(String(value)) ? null : `Choose one of ${kind.options.join(', ')}.`;
    case 'toggle':
      return typeof value === 'boolean' ? null : 'Turn it on or off.';
    case 'image':
      return typeof value === 'string' ? null : 'Choose a picture.';
  }
}

/** Rules across fields, from the model docs (the core checks the same). */
export function modelRules(model: Model, values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  if (model.id === 'flux-kontext-pro' && isSet(values['input_image'])) {
    const t = values['safety_tolerance'];
    if (typeof t === 'number' && t > 2) problems['safety_tolerance'] = 'At most 2 with an image to edit.';
  }
  return problems;
}

/** Every problem of the fields that apply, by field name. Hidden fields are not sent, so not checked. */
export function validate(model: Model, values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of visibleFields(model, values)) {
    const problem = fieldError(field, values[field.name] ?? null);
    if (problem) problems[field.name] = problem;
  }
  return { ...modelRules(model, values), ...problems };
}

/** The request's inputs: fields that apply and have a value. The core fills in the rest (and a random seed). */
export function toInputs(model: Model, values: FormValues): Record<string, InputValue> {
  const inputs: Record<string, InputValue> = {};
  for (const field of visibleFields(model, values)) {
    const value = values[field.name];
    if (value === undefined || !isSet(value)) continue;
    inputs[field.name] = field.kind.type === 'choice' ? String(value) : value;
  }
  return inputs;
}

/** Form values from a stored request (Re-run, Remix): the model's defaults, overlaid with what was sent. */
export function fromInputs(model: Model, inputs: Partial<Record<string, InputValue>>): FormValues {
  const values = defaultsFor(model);
  for (const field of model.fields) {
    const value = inputs[field.name];
    if (value === undefined || value === null) continue;
    values[field.name] = field.kind.type === 'choice' ? String(value) : value;
  }
  return values;
}

export function imagesRequested(model: Model, values: FormValues): number {
  if (model.output === 'one') return 1;
  const n = values['num_outputs'];
  return typeof n === 'number' && Number.isFinite(n) ? Math.min(4, Math.max(1, Math.trunc(n))) : 1;
}

export interface Estimate {
  images: number;
  each: number;
  total: number;
}

export function estimate(model: Model, values: FormValues): Estimate | null {
  if (model.price_usd === null) return null;
  const images = imagesRequested(model, values);
  return { images, each: model.price_usd, total: Math.round(model.price_usd * images * 1e6) / 1e6 };
}

/** A run's price in Flux Krea credits (account mode). */
export interface CreditEstimate {
  images: number;
  each: number;
  total: number;
  /** The most images one run may ask for with credits. */
  maxImages: number;
}

export function creditEstimate(model: Model, values: FormValues, price: ModelPrice | null): CreditEstimate | null {
  if (!price || !price.enabled || price.model !== model.id) return null;
  const images = imagesRequested(model, values);
  return { images, each: price.credits_per_image, total: price.credits_per_image * images, maxImages: price.max_outputs };
}

/** "4 images × 2 credits = 8 credits". */
export function describeCreditEstimate(e: CreditEstimate): string {
  return `${e.images} ${e.images === 1 ? 'image' : 'images'} × ${formatCredits(e.each)} = ${formatCredits(e.total)}`;
}

/** "4 images × $0.003 = $0.012". */
export function describeEstimate(e: Estimate): string {
  return `${e.images} ${e.images === 1 ? 'image' : 'images'} × ${formatUsd(e.each)} = ${formatUsd(e.total)}`;
}

/** How to draw a field. */
export function controlFor(field: Field): Control {
  const kind = field.kind;
  switch (kind.type) {
    case 'prompt':
      return 'prompt';
    case 'choice':
      if (field.name === 'aspect_ratio') return 'aspect';
      return kind.options.length <= 4 ? 'segmented' : 'select';
    case 'integer':
      if (field.name === SEED_FIELD) return 'seed';
      return kind.max - kind.min <= 10_000 ? 'range' : 'number';
    case 'number':
      return kind.min !== null && kind.max !== null ? 'range' : 'number';
    case 'toggle':
      return 'toggle';
    case 'image':
      return 'image';
  }
}

/** Width and height of an "a:b" ratio for drawing its shape; null for "custom" and the like. */
export function ratioShape(option: string): { w: number; h: number } | null {
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(option);
  if (!m) return null;
  const w = Number(m[1]);
  const h = Number(m[2]);
  return w > 0 && h > 0 ? { w, h } : null;
}

/** A label for a choice option: "match_input_image" reads "Match input". */
export function optionLabel(option: string): string {
  if (option === 'match_input_image') return 'Match input';
  if (option === 'custom') return 'Custom';
  return option;
}

/** A label for a choice option in a field: "0.25" megapixels reads "0.25 MP". */
export function choiceLabel(field: Field, option: string): string {
  if (field.name === 'megapixels') return `${option} MP`;
  if (field.name === 'output_format') return option.toUpperCase();
  return optionLabel(option);
}

/** A seed the user can see and reuse, in the catalogue's range (within i32, exact in JavaScript). */
export function randomSeed(max = 2_147_483_647): number {
  return Math.floor(Math.random() * (max + 1));
}

/** The base64 text of some bytes, in chunks (String.fromCharCode has an argument limit). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** A size limit as the core words it: whole megabytes, rounded down (20 MiB reads "20 MB"). */
export function megabytes(bytes: number): string {
  return `${Math.floor(bytes / 1_000_000)} MB`;
}
