import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GenerationRequest_Serialize } from '../lib/bindings';
import { fail, mockBindings, ok, type Result } from '../test/bindings';

const planGeneration = vi.fn(async (..._args: unknown[]): Promise<Result> => ok(null));
vi.mock('../lib/bindings', () => mockBindings({ planGeneration: (...args: unknown[]) => planGeneration(...args) }));

import { CommandError } from '../lib/errors';
import { describePlan, isOverCap, Planner, type Plan, type PlanInput } from './plan.svelte';

function plan(prompts: number, models: string[], patch: Partial<Plan> = {}): Plan {
  const jobs = Array.from({ length: prompts * models.length }, (_, i) => {
    const model = models[i % models.length] ?? 'flux-schnell';
    const request: GenerationRequest_Serialize = { model, inputs: { prompt: `p${i}` }, parent_id: null, exact_rerun: false, style: null };
    return { model, prompt: `p${i}`, images: 1, estimate_usd: 0.01, estimate_credits: null, request };
  });
  return { mode: 'own_key', prompts, models, jobs, images: jobs.length, total_usd: jobs.length * 0.01, total_credits: null, ...patch };
}

const input = (prompt: string): PlanInput => ({
  request: { model: 'flux-schnell', inputs: { prompt }, parent_id: null, exact_rerun: false, style: null },
  models: ['flux-schnell', 'flux-dev'],
  cap: 16,
  mode: 'own_key',
});

describe('describePlan', () => {
  it('counts jobs, prompts and models and prices the whole in dollars or credits', () => {
    expect(describePlan(plan(3, ['flux-schnell', 'flux-dev'], { total_usd: 0.18 }))).toBe('6 jobs · 3 prompts × 2 models · about $0.18');
    expect(describePlan(plan(1, ['flux-schnell', 'flux-dev'], { total_usd: 0.028 }))).toBe('2 jobs · 2 models · about $0.028');
    expect(describePlan(plan(4, ['flux-schnell'], { mode: 'account', total_usd: null, total_credits: 12 }))).toBe('4 jobs · 4 prompts · 12 credits');
    expect(describePlan(plan(2, ['flux-schnell'], { images: 8, total_usd: 0.024 }))).toBe('2 jobs (8 images) · 2 prompts · about $0.024');
  });

  it('recognises the refusal of too many variations', () => {
    expect(isOverCap('Makes 20 prompts, more than the limit of 16; raise the limit or remove a choice.')).toBe(true);
    expect(isOverCap('The group at character 3 is not closed')).toBe(false);
  });
});

describe('Planner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    planGeneration.mockReset();
  });
  afterEach(() => vi.useRealTimers());

  it('asks once the form stops changing, and not again for the same form', async () => {
    planGeneration.mockResolvedValue(ok(plan(2, ['flux-schnell', 'flux-dev'])));
    const planner = new Planner(200);
    planner.schedule(input('a {b'));
    await vi.advanceTimersByTimeAsync(100);
    planner.schedule(input('a {b|c}'));
    await vi.advanceTimersByTimeAsync(199);
    expect(planGeneration).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(planGeneration).toHaveBeenCalledTimes(1);
    expect(planGeneration.mock.calls[0]?.[1]).toEqual(['flux-schnell', 'flux-dev']);
    expect(planGeneration.mock.calls[0]?.[2]).toBe(16);
    expect(planner.plan?.jobs).toHaveLength(4);
    planner.schedule(input('a {b|c}'));
    await vi.advanceTimersByTimeAsync(500);
    expect(planGeneration).toHaveBeenCalledTimes(1);
  });

  it('drops an answer that arrives after the answer to a newer form', async () => {
    let answerOld: (r: Result) => void = () => {};
    planGeneration.mockImplementationOnce(() => new Promise((resolve) => (answerOld = resolve)));
    planGeneration.mockImplementationOnce(async () => ok(plan(3, ['flux-schnell'])));
    const planner = new Planner(10);
    planner.schedule(input('{a|b}'));
    await vi.advanceTimersByTimeAsync(10);
    planner.schedule(input('{a|b|c}'));
    await vi.advanceTimersByTimeAsync(10);
    expect(planner.plan?.prompts).toBe(3);
    answerOld(ok(plan(2, ['flux-schnell'])));
    await vi.advanceTimersByTimeAsync(0);
    expect(planner.plan?.prompts).toBe(3);
    expect(planner.pending).toBe(false);
  });

  it('keeps the refusal, and gives Generate a fresh plan or the refusal at once', async () => {
    planGeneration.mockResolvedValueOnce(fail({ kind: 'invalid_input', field: 'prompt', reason: 'the group at character 3 is not closed' }));
    const planner = new Planner(10);
    planner.schedule(input('a {b'));
    await vi.advanceTimersByTimeAsync(10);
    expect(planner.plan).toBeNull();
    expect(planner.error).toBeInstanceOf(CommandError);
    planGeneration.mockResolvedValueOnce(ok(plan(2, ['flux-schnell', 'flux-dev'])));
    const fresh = await planner.now(input('a {b|c}'));
    expect(fresh.jobs).toHaveLength(4);
    expect(planner.error).toBeNull();
    // The same form again: the plan shown is used, nothing asked.
    await planner.now(input('a {b|c}'));
    expect(planGeneration).toHaveBeenCalledTimes(2);
    planGeneration.mockResolvedValueOnce(fail({ kind: 'invalid_input', field: 'prompt', reason: 'broken' }));
    await expect(planner.now(input('{'))).rejects.toBeInstanceOf(CommandError);
  });

  it('forgets the plan when there is nothing to plan', async () => {
    planGeneration.mockResolvedValue(ok(plan(2, ['flux-schnell'])));
    const planner = new Planner(10);
    planner.schedule(input('{a|b}'));
    await vi.advanceTimersByTimeAsync(10);
    expect(planner.plan).not.toBeNull();
    planner.schedule(null);
    expect(planner.plan).toBeNull();
  });
});
