import { describe, expect, it } from 'vitest';
import { splitResults } from './results';

const r = (jobId: number, idx: number) => ({ jobId, idx, thumb: `t/${jobId}-${idx}.webp`, prompt: `p${jobId}` });

describe('splitResults', () => {
  it('puts the newest job apart from the older ones', () => {
    const { latest, older } = splitResults([r(9, 0), r(9, 1), r(7, 0), r(5, 0), r(5, 1)]);
    expect(latest.map((x) => x.idx)).toEqual([0, 1]);
    expect(older.map((x) => x.jobId)).toEqual([7, 5, 5]);
  });

  it('is empty without results', () => {
    expect(splitResults([])).toEqual({ latest: [], older: [] });
  });
});
