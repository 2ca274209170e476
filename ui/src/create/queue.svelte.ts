import { commands, events, type Job, type Status } from '../lib/bindings';
import { messageOf, unwrap } from '../lib/errors';

const FINISHED: readonly Status[] = ['done', 'failed', 'canceled'];

export const isFinished = (job: Pick<Job, 'status'>): boolean => FINISHED.includes(job.status);

/** The core's order: unfinished jobs first, newest first within each group. */
export function byQueueOrder(a: Job, b: Job): number {
  const fa = isFinished(a) ? 1 : 0;
  const fb = isFinished(b) ? 1 : 0;
  return fa - fb || b.id - a.id;
}

/**
 * Replaces the job with the same id (or adds it), keeping the core's order and at most `rows`
 * finished jobs (the core's `QueueState.rows`, so the panel keeps what the core lists).
 * An older snapshot than the one shown is dropped: a command's answer can arrive after the event of
 * the change that followed it (a cancel's "canceling" after the job's "canceled").
 */
export function mergeJob(jobs: Job[], job: Job, rows: number): Job[] {
  const shown = jobs.find((j) => j.id === job.id);
  if (shown && shown.revision > job.revision) return jobs;
  const next = jobs.filter((j) => j.id !== job.id);
  next.push(job);
  next.sort(byQueueOrder);
  let finished = 0;
  return next.filter((j) => !isFinished(j) || ++finished <= rows);
}

export interface ResultImage {
  jobId: number;
  idx: number;
  thumb: string;
  prompt: string;
}

/** Thumbnails of the most recently finished jobs, newest first. */
export function recentResults(jobs: readonly Job[], max = 12): ResultImage[] {
  const done = jobs
    .filter((j) => j.thumbs.length > 0 && (j.status === 'done' || j.status === 'failed' || j.status === 'canceled'))
    .sort((a, b) => (b.completed_at ?? 0) - (a.completed_at ?? 0) || b.id - a.id);
  const out: ResultImage[] = [];
  for (const job of done) {
    for (const [idx, thumb] of job.thumbs.entries()) {
      if (out.length >= max) return out;
      out.push({ jobId: job.id, idx, thumb, prompt: job.prompt });
    }
  }
  return out;
}

/**
 * The job queue as the panel shows it: a snapshot from `queue_state`, kept current by `job-updated`
 * events merged by id. Events that arrive while a snapshot loads are applied on top of it.
 */
export class Queue {
  jobs = $state<Job[]>([]);
  paused = $state(false);
  runsHere = $state(true);
  /** How many jobs the core lists; until the first snapshot, its own default. */
  rows = $state(50);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** The last action's failure (cancel, retry, pause), by job id (0 for the queue itself). */
  actionError = $state<{ id: number; message: string } | null>(null);
  busy = $state<Set<number>>(new Set());

  readonly active = $derived(this.jobs.filter((j) => !isFinished(j)).length);
  readonly results = $derived(recentResults(this.jobs));

  #loading = 0;
  #buffered: Job[] = [];
  #stop: (() => void) | null = null;

  /** Listens for job updates (once) and loads the queue. Returns a function that stops listening. */
  async start(): Promise<() => void> {
    if (!this.#stop) {
      try {
        const unlisten = await events.jobUpdated.listen(({ payload }) => this.apply(payload.job));
        this.#stop = () => {
          unlisten();
          this.#stop = null;
        };
      } catch (e) {
        console.error('job updates unavailable', e);
      }
    }
    await this.load();
    return () => this.#stop?.();
  }

  async load(): Promise<void> {
    this.#loading += 1;
    this.#buffered = [];
    try {
      const state = await unwrap(commands.queueState());
      let jobs: Job[] = [...state.jobs].sort(byQueueOrder);
      this.rows = state.rows;
      for (const job of this.#buffered) jobs = mergeJob(jobs, job, state.rows);
      this.jobs = jobs;
      this.paused = state.paused;
      this.runsHere = state.runs_here;
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.#loading -= 1;
      this.#buffered = [];
    }
  }

  /** One job changed (an event, or a command's answer). */
  apply(job: Job): void {
    if (this.#loading > 0) this.#buffered.push(job);
    this.jobs = mergeJob(this.jobs, job, this.rows);
  }

  async cancel(id: number): Promise<void> {
    await this.#act(id, () => unwrap(commands.cancelJob(id)));
  }

  async retry(id: number): Promise<void> {
    await this.#act(id, () => unwrap(commands.retryJob(id)));
  }

  async setPaused(paused: boolean): Promise<void> {
    this.actionError = null;
    try {
      const state = await unwrap(commands.setQueuePaused(paused));
      this.paused = state.paused;
      this.runsHere = state.runs_here;
      for (const job of state.jobs) this.apply(job);
    } catch (e) {
      this.actionError = { id: 0, message: messageOf(e) };
    }
  }

  async #act(id: number, run: () => Promise<Job>): Promise<void> {
    this.actionError = null;
    this.busy = new Set(this.busy).add(id);
    try {
      this.apply(await run());
    } catch (e) {
      this.actionError = { id, message: messageOf(e) };
    } finally {
      const next = new Set(this.busy);
      next.delete(id);
      this.busy = next;
    }
  }
}

/** The app's one queue: the sidebar badge and the Create screen share it. */
export const queue = new Queue();
