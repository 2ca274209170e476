// The plan of a form before it is sent (#23): the core expands `{a|b}` variations on every chosen
// model and prices each job, so the count and the total show while the user types.

import { commands, type GenerationPlan_Serialize, type GenerationRequest } from '../lib/bindings';
import { CommandError, describeError, messageOf, unwrap } from '../lib/errors';
import { formatCredits, formatUsd, sentence } from '../lib/format';
import { chars } from './style';

/** The core's default and highest variation limits (crates/core/src/generation/variations.rs). */
export const DEFAULT_CAP = 16;
export const MAX_CAP = 256;

export type Plan = GenerationPlan_Serialize;

export interface PlanInput {
  request: GenerationRequest;
  /** The main model first, then the others. */
  models: string[];
  cap: number;
  /** Not sent: the price is in dollars or credits depending on it, so a change asks again. */
  mode: 'account' | 'own_key';
}

/** The characters of the plan's longest prompt as sent (style included): what counts against the limit. */
export const longestPrompt = (plan: Plan): number => plan.jobs.reduce((most, job) => Math.max(most, chars(job.prompt)), 0);

/** Does the plan say more than the form alone (several jobs or several models)? */
export const isMulti = (plan: Plan | null): plan is Plan => plan !== null && (plan.jobs.length > 1 || plan.models.length > 1);

/** The cap refusal of the core ("makes 20 prompts, more than the limit of 16; …"). */
export const isOverCap = (reason: string): boolean => /more than the limit of/.test(reason);

const count = (n: number, one: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : `${one}s`}`;

/** "6 jobs · 3 prompts × 2 models · about $0.18"; images are named when a job asks for more than one. */
export function describePlan(plan: Plan): string {
  const jobs = plan.jobs.length;
  const parts = [plan.images === jobs ? count(jobs, 'job') : `${count(jobs, 'job')} (${count(plan.images, 'image')})`];
  const split = [plan.prompts > 1 ? count(plan.prompts, 'prompt') : null, plan.models.length > 1 ? count(plan.models.length, 'model') : null];
  const known = split.filter((s) => s !== null);
  if (known.length > 0) parts.push(known.join(' × '));
  if (plan.mode === 'account' && plan.total_credits !== null) parts.push(formatCredits(plan.total_credits));
  else if (plan.mode === 'own_key' && plan.total_usd !== null) parts.push(`about ${formatUsd(plan.total_usd)}`);
  return parts.join(' · ');
}

export interface PlanProblems {
  /** Under the fields of the form (the main model's, and the prompt). */
  fields: Record<string, string>;
  /** The rest, in words. */
  message: string | null;
  /** The form as it is cannot be sent: Generate waits for a fix. */
  blocks: boolean;
}

/** Where the plan's refusal shows: problems of the form's `known` fields under them, the rest in words. */
export function planProblems(e: unknown, known: ReadonlySet<string>): PlanProblems {
  if (e === null || e === undefined) return { fields: {}, message: null, blocks: false };
  if (!(e instanceof CommandError)) return { fields: {}, message: messageOf(e), blocks: false };
  const error = e.error;
  // The key's absence shows as the Account callout already.
  if (error.kind === 'invalid_input' && error.field === 'replicate_token') return { fields: {}, message: null, blocks: false };
  if (error.kind !== 'invalid_input' && error.kind !== 'invalid_fields') return { fields: {}, message: describeError(error), blocks: false };
  const problems = error.kind === 'invalid_fields' ? error.fields : [{ field: error.field, reason: error.reason }];
  const mine = problems.filter((p) => known.has(p.field));
  // Not a field of the form: "flux-dev is not offered with credits" (field "model") reads alone.
  const other = problems.filter((p) => !known.has(p.field)).map((p) => sentence(['model', 'request'].includes(p.field) ? p.reason : `${p.field}: ${p.reason}`));
  return { fields: Object.fromEntries(mine.map((p) => [p.field, sentence(p.reason)])), message: other.length ? other.join(' ') : null, blocks: true };
}

/**
 * Asks the core for the plan of the form as it changes: debounced, the answer to an older form
 * dropped, the last answer kept on show until the next arrives (so the line does not flicker).
 */
export class Planner {
  plan = $state<Plan | null>(null);
  /** The core's refusal (a CommandError), or what else went wrong. */
  error = $state<unknown>(null);
  pending = $state(false);

  #key: string | null = null;
  #seq = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly delay = 200) {}

  /** The form changed: plan it shortly (null: nothing to plan, forget the last plan). */
  schedule(input: PlanInput | null): void {
    clearTimeout(this.#timer);
    if (input === null) {
      this.clear();
      return;
    }
    const key = JSON.stringify(input);
    if (key === this.#key) return;
    this.#key = key;
    this.pending = true;
    this.#timer = setTimeout(() => void this.#ask(input).catch(() => {}), this.delay);
  }

  /** The plan of this form now (Generate): the one shown when it is current, else asked at once. Throws the core's refusal. */
  async now(input: PlanInput): Promise<Plan> {
    clearTimeout(this.#timer);
    const key = JSON.stringify(input);
    if (key === this.#key && !this.pending && this.plan) return this.plan;
    this.#key = key;
    return this.#ask(input);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#seq += 1;
    this.#key = null;
    this.plan = null;
    this.error = null;
    this.pending = false;
  }

  async #ask(input: PlanInput): Promise<Plan> {
    const seq = ++this.#seq;
    this.pending = true;
    try {
      const plan = await unwrap(commands.planGeneration(input.request, input.models, input.cap));
      if (seq === this.#seq) {
        this.plan = plan;
        this.error = null;
        this.pending = false;
      }
      return plan;
    } catch (e) {
      if (seq === this.#seq) {
        this.plan = null;
        this.error = e;
        this.pending = false;
      }
      throw e;
    }
  }
}
