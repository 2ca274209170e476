import { describe, expect, it } from 'vitest';
import {
  carryOver,
  choiceLabel,
  controlFor,
  defaultsFor,
  describeEstimate,
  estimate,
  fieldError,
  fromInputs,
  isVisible,
  ratioShape,
  toBase64,
  toInputs,
  validate,
  visibleFields,
} from './form';
import { dev, pro, schnell } from './fixtures';
import type { Field, Model } from '../lib/bindings';

const f = (model: Model, name: string): Field => {
  const found = model.fields.find((x) => x.name === name);
  if (!found) throw new Error(`${model.id} has no ${name}`);
  return found;
};

describe('defaults from the catalogue', () => {
  it('gives each model its own defaults, with an empty prompt, no picture and a random seed', () => {
    expect(defaultsFor(schnell)).toEqual({
      prompt: '',
      aspect_ratio: '1:1',
      megapixels: '1',
      num_outputs: 1,
      num_inference_steps: 4,
      seed: null,
      output_format: 'webp',
      output_quality: 80,
      go_fast: true,
    });
    const d = defaultsFor(dev);
    expect(d).toMatchObject({ image: null, prompt_strength: 0.8, num_inference_steps: 28, guidance: 3 });
    expect(defaultsFor(pro)).toMatchObject({ aspect_ratio: '1:1', width: 1024, height: 1024, safety_tolerance: 2 });
  });

  it('keeps values that fit the new model when switching, and resets those that do not', () => {
    const before = { ...defaultsFor(dev), prompt: 'a fox', num_inference_steps: 40, aspect_ratio: '21:9', seed: 7 };
    const after = carryOver(schnell, before);
    expect(after.prompt).toBe('a fox');
    expect(after.seed).toBe(7);
    expect(after.aspect_ratio).toBe('21:9');
    expect(after.num_inference_steps).toBe(4); // 40 is out of schnell's 1–4
    expect(after).not.toHaveProperty('guidance');
    expect(carryOver(pro, before).aspect_ratio).toBe('1:1'); // pro has no 21:9
  });

  it('never drops the prompt, even when it is too long for the new model', () => {
    const long = 'x'.repeat(2500);
    expect(carryOver(schnell, { prompt: long }).prompt).toBe(long);
  });
});

describe('visibility rules', () => {
  it('shows a field when another equals a value', () => {
    const width = f(pro, 'width');
    expect(isVisible(width, { aspect_ratio: '1:1' })).toBe(false);
    expect(isVisible(width, { aspect_ratio: 'custom' })).toBe(true);
    expect(visibleFields(pro, { ...defaultsFor(pro), aspect_ratio: 'custom' }).map((x) => x.name)).toContain('height');
  });

  it('shows a field when another is set', () => {
    const strength = f(dev, 'prompt_strength');
    expect(isVisible(strength, { image: null })).toBe(false);
    expect(isVisible(strength, { image: '' })).toBe(false);
    expect(isVisible(strength, { image: '/tmp/a.png' })).toBe(true);
  });

  it('does not send or check fields that do not apply', () => {
    const values = { ...defaultsFor(pro), prompt: 'p', width: 300 };
    expect(validate(pro, values)).toEqual({});
    expect(toInputs(pro, values)).not.toHaveProperty('width');
    expect(validate(pro, { ...values, aspect_ratio: 'custom' })).toEqual({ width: 'Use a multiple of 32.' });
  });
});

describe('validation mirrors the catalogue', () => {
  it('requires a prompt and bounds its length', () => {
    const p = f(schnell, 'prompt');
    expect(fieldError(p, '')).toBe('Write a prompt to generate.');
    expect(fieldError(p, '   ')).toBe('Write a prompt to generate.');
    expect(fieldError(p, 'a fox')).toBeNull();
    expect(fieldError(p, 'x'.repeat(2000))).toBeNull();
    expect(fieldError(p, 'x'.repeat(2001))).toBe('Too long: 2,001 of at most 2,000 characters.');
    // A template's braces and alternatives are not sent: the core's plan checks each prompt it makes.
    expect(fieldError(p, `{${'x'.repeat(1500)}|${'y'.repeat(1500)}}`)).toBeNull();
    expect(fieldError(p, `{}${' '.repeat(3)}`)).toBeNull();
  });

  it('checks integer ranges, whole numbers and step multiples', () => {
    const steps = f(schnell, 'num_inference_steps');
    expect(fieldError(steps, 4)).toBeNull();
    expect(fieldError(steps, 5)).toBe('Use a value from 1 to 4.');
    expect(fieldError(steps, 0)).toBe('Use a value from 1 to 4.');
    expect(fieldError(steps, 2.5)).toBe('Use a whole number.');
    expect(fieldError(steps, Number.NaN)).toBe('Use a whole number.');
    expect(fieldError(steps, null)).toBeNull(); // optional: the model's default applies
    const width = f(pro, 'width');
    expect(fieldError(width, 1024)).toBeNull();
    expect(fieldError(width, 1000)).toBe('Use a multiple of 32.');
    expect(fieldError(width, 1472)).toBe('Use a value from 256 to 1,440.');
  });

  it('checks number ranges and choices', () => {
    expect(fieldError(f(dev, 'guidance'), 10)).toBeNull();
    expect(fieldError(f(dev, 'guidance'), 10.5)).toBe('Use a value from 0 to 10.');
    expect(fieldError(f(dev, 'prompt_strength'), -0.1)).toBe('Use a value from 0 to 1.');
    expect(fieldError(f(schnell, 'output_format'), 'gif')).toBe('Choose one of webp, jpg, png.');
  });

  it('collects every problem at once, by field', () => {
    const values = { ...defaultsFor(schnell), num_inference_steps: 9, seed: -1 };
    expect(validate(schnell, values)).toEqual({
      prompt: 'Write a prompt to generate.',
      num_inference_steps: 'Use a value from 1 to 4.',
      seed: 'Use a value from 0 to 2,147,483,647.',
    });
  });
});

describe('requests', () => {
  it('sends set values only, choices as text, and leaves an unlocked seed to the core', () => {
    const values = { ...defaultsFor(dev), prompt: 'a fox', guidance: null };
    const inputs = toInputs(dev, values);
    expect(inputs).toEqual({
      prompt: 'a fox',
      aspect_ratio: '1:1',
      num_outputs: 1,
      num_inference_steps: 28,
      output_format: 'webp',
      output_quality: 80,
      go_fast: true,
    });
  });

  it('reads stored inputs back over the defaults', () => {
    const values = fromInputs(schnell, { prompt: 'p', megapixels: 0.25, seed: 42, unknown: 1 });
    expect(values.megapixels).toBe('0.25');
    expect(values.seed).toBe(42);
    expect(values.num_inference_steps).toBe(4);
    expect(values).not.toHaveProperty('unknown');
  });
});

describe('cost estimate', () => {
  it('multiplies the price by the images asked for', () => {
    const e = estimate(schnell, { num_outputs: 4 });
    expect(e).toEqual({ images: 4, each: 0.003, total: 0.012 });
    expect(describeEstimate(e!)).toBe('4 images × $0.003 = $0.012');
    expect(describeEstimate(estimate(dev, { num_outputs: 1 })!)).toBe('1 image × $0.025 = $0.025');
  });

  it('counts one image for single-output models and clamps the count', () => {
    expect(estimate(pro, { num_outputs: 4 })?.images).toBe(1);
    expect(estimate(schnell, { num_outputs: 9 })?.images).toBe(4);
    expect(estimate(schnell, { num_outputs: null })?.images).toBe(1);
    expect(estimate({ ...schnell, price_usd: null }, {})).toBeNull();
  });
});

describe('drawing helpers', () => {
  it('picks a control per field', () => {
    expect(controlFor(f(schnell, 'prompt'))).toBe('prompt');
    expect(controlFor(f(schnell, 'aspect_ratio'))).toBe('aspect');
    expect(controlFor(f(schnell, 'megapixels'))).toBe('segmented');
    expect(controlFor(f(schnell, 'seed'))).toBe('seed');
    expect(controlFor(f(schnell, 'num_outputs'))).toBe('range');
    expect(controlFor(f(schnell, 'go_fast'))).toBe('toggle');
    expect(controlFor(f(dev, 'image'))).toBe('image');
    expect(choiceLabel(f(schnell, 'megapixels'), '0.25')).toBe('0.25 MP');
  });

  it('parses ratio shapes', () => {
    expect(ratioShape('16:9')).toEqual({ w: 16, h: 9 });
    expect(ratioShape('custom')).toBeNull();
    expect(ratioShape('match_input_image')).toBeNull();
  });

  it('base64-encodes bytes', () => {
    expect(toBase64(new TextEncoder().encode('hello'))).toBe('aGVsbG8=');
    const big = new Uint8Array(100_000).fill(65);
    expect(atob(toBase64(big))).toHaveLength(100_000);
  });
});
