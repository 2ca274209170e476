import { describe, expect, it, vi, beforeEach } from 'vitest';
import type { Job } from '../lib/bindings';
import { job } from './fixtures';
import { mockBindings, ok } from '../test/bindings';

let listener: ((e: { payload: { job: Job } }) => void) | null = null;
let snapshot: { paused: boolean; runs_here: boolean; max_running: number; rows: number; jobs: Job[] } = {
  paused: false,
  runs_here: true,
  max_running: 2,
  rows: 50,
  jobs: [],
};
let release: (() => void) | null = null;
const cancelJob = vi.fn(async (id: number) => ok(job(id, { status: 'canceled', completed_at: 5 })));
const retryJob = vi.fn(async (id: number) => ok(job(id + 100)));

vi.mock('../lib/bindings', () =>
  mockBindings(
    {
      queueState: async () => {
        if (release === null) return ok(snapshot);
        const data = snapshot; // read now: an event may land while the answer travels
        await new Promise<void>((resolve) => (release = resolve));
        return ok(data);
      },
      cancelJob: (id: number) => cancelJob(id),
      retryJob: (id: number) => retryJob(id),
      setQueuePaused: async (paused: boolean) => ok({ ...snapshot, paused }),
    },
    {
      jobUpdated: {
        listen: async (cb: (e: { payload: { job: Job } }) => void) => {
          listener = cb;
          return () => (listener = null);
        },
      },
    },
  ),
);

import { render, screen } from '@testing-library/svelte';
import { Queue, mergeJob, recentResults } from './queue.svelte';
import QueueItem from './QueueItem.svelte';

const ids = (jobs: Job[]) => jobs.map((j) => j.id);

describe('mergeJob', () => {
  it('replaces a job by id and keeps unfinished jobs first, newest first', () => {
    let jobs = [job(3, { status: 'running' }), job(2, { status: 'done' }), job(1, { status: 'failed' })];
    jobs = mergeJob(jobs, job(4), 50);
    expect(ids(jobs)).toEqual([4, 3, 2, 1]);
    jobs = mergeJob(jobs, job(3, { status: 'done', images_returned: 1 }), 50);
    expect(ids(jobs)).toEqual([4, 3, 2, 1]);
    expect(jobs.find((j) => j.id === 3)?.status).toBe('done');
    jobs = mergeJob(jobs, job(4, { status: 'done' }), 50);
    jobs = mergeJob(jobs, job(1, { status: 'downloading' }), 50); // a retry fetching its outputs
    expect(ids(jobs)).toEqual([1, 4, 3, 2]);
    expect(jobs).toHaveLength(4);
  });

  it('keeps the newer of two snapshots of a job, whichever arrives last', () => {
    const canceled = job(7, { status: 'canceled', cancel_requested: true, completed_at: 9, revision: 4 });
    let jobs = mergeJob([job(7, { status: 'running', revision: 2 })], canceled, 50);
    // The cancel command's answer, read before the job ended, arrives after the "canceled" event.
    jobs = mergeJob(jobs, job(7, { status: 'running', cancel_requested: true, revision: 3 }), 50);
    expect(jobs).toEqual([canceled]);
    // Progress alone does not bump the revision: an equal one is taken.
    jobs = mergeJob([job(8, { status: 'running', revision: 2 })], job(8, { status: 'running', progress: 0.4, revision: 2 }), 50);
    expect(jobs[0]?.progress).toBe(0.4);
    // A retry is a newer revision of a finished job.
    jobs = mergeJob([canceled], job(7, { status: 'queued', revision: 5 }), 50);
    expect(jobs[0]?.status).toBe('queued');
  });

  it('keeps a bounded number of finished jobs', () => {
    let jobs: Job[] = [];
    for (let i = 1; i <= 60; i++) jobs = mergeJob(jobs, job(i, { status: 'done' }), 50);
    jobs = mergeJob(jobs, job(61, { status: 'running' }), 50);
    expect(jobs).toHaveLength(51);
    expect(jobs[0]?.id).toBe(61);
    expect(jobs.at(-1)?.id).toBe(11);
  });
});

describe('recentResults', () => {
  it('lists the thumbnails of the latest finished jobs first', () => {
    const jobs = [
      job(1, { status: 'done', completed_at: 10, thumbs: ['t/1a.webp', 't/1b.webp'] }),
      job(2, { status: 'done', completed_at: 20, thumbs: ['t/2a.webp'] }),
      job(3, { status: 'running', thumbs: ['t/3a.webp'] }),
    ];
    expect(recentResults(jobs).map((r) => `${r.jobId}-${r.idx}`)).toEqual(['2-0', '1-0', '1-1']);
    expect(recentResults(jobs, 2)).toHaveLength(2);
  });
});

describe('Queue', () => {
  beforeEach(() => {
    listener = null;
    release = null;
    snapshot = { paused: false, runs_here: true, max_running: 2, rows: 50, jobs: [job(2, { status: 'running' }), job(1, { status: 'done' })] };
  });

  it('keeps as many finished jobs as the core lists (QueueState.rows)', async () => {
    snapshot = { ...snapshot, rows: 2 };
    const q = new Queue();
    const stop = await q.start();
    for (const id of [3, 4]) listener?.({ payload: { job: job(id, { status: 'done' }) } });
    expect(ids(q.jobs)).toEqual([2, 4, 3]);
    listener?.({ payload: { job: job(2, { status: 'failed' }) } });
    expect(ids(q.jobs)).toEqual([4, 3]);
    stop();
  });

  it('loads the snapshot and merges job-updated events by id', async () => {
    const q = new Queue();
    const stop = await q.start();
    expect(ids(q.jobs)).toEqual([2, 1]);
    expect(q.active).toBe(1);
    listener?.({ payload: { job: job(2, { status: 'running', progress: 0.5 }) } });
    expect(q.jobs[0]?.progress).toBe(0.5);
    listener?.({ payload: { job: job(3) } });
    expect(ids(q.jobs)).toEqual([3, 2, 1]);
    expect(q.active).toBe(2);
    listener?.({ payload: { job: job(2, { status: 'done', images_returned: 1, thumbs: ['t/2.webp'] }) } });
    expect(q.active).toBe(1);
    expect(q.results.map((r) => r.jobId)).toEqual([2]);
    stop();
    expect(listener).toBeNull();
  });

  it('does not lose an event that lands while the snapshot loads', async () => {
    const q = new Queue();
    await q.start();
    release = () => {};
    const loading = q.load();
    await Promise.resolve();
    listener?.({ payload: { job: job(2, { status: 'done', images_returned: 1, revision: 3 }) } });
    release();
    await loading;
    expect(q.jobs.find((j) => j.id === 2)?.status).toBe('done');
  });

  it("shows a cancel as done when its event overtakes the command's answer", async () => {
    const q = new Queue();
    await q.start();
    cancelJob.mockImplementationOnce(async (id: number) => {
      listener?.({ payload: { job: job(id, { status: 'canceled', cancel_requested: true, completed_at: 6, revision: 5 }) } });
      return ok(job(id, { status: 'running', cancel_requested: true, revision: 4 }));
    });
    await q.cancel(2);
    expect(q.jobs.find((j) => j.id === 2)?.status).toBe('canceled');
    expect(q.active).toBe(0);
  });

  it('cancels and retries through the core, merging the answers', async () => {
    const q = new Queue();
    await q.start();
    await q.cancel(2);
    expect(cancelJob).toHaveBeenCalledWith(2);
    expect(q.jobs.find((j) => j.id === 2)?.status).toBe('canceled');
    await q.retry(2);
    expect(ids(q.jobs)[0]).toBe(102);
    await q.setPaused(true);
    expect(q.paused).toBe(true);
  });
});

describe('QueueItem cost', () => {
  it('shows credits for account-mode jobs and dollars for own-key jobs', async () => {
    const common = { modelName: 'FLUX.1 [schnell]', paused: false, busy: false, error: null, onCancel: () => {}, onRetry: () => {} };
    render(QueueItem, { props: { ...common, job: job(5, { status: 'done', completed_at: 9, cost_usd: null, cost_credits: 8 }) } });
    expect(screen.getByTestId('job-5-cost').textContent).toBe('· 8 credits');
    render(QueueItem, { props: { ...common, job: job(6, { status: 'running' }) } });
    expect(screen.getByTestId('job-6-cost').textContent).toBe('· ≈ $0.003');
  });
});
