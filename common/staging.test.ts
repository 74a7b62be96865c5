/** The staged plan migration's rules: the deterministic cohort, the thresholds, the hysteresis band, the input bounds. */
import { randomUUID } from 'node:crypto';
import { cohortBucket, COHORT_BUCKETS, judgeStage, MAX_HOLDS, stagingProblems, type Figures, type Thresholds } from './staging';

const T: Thresholds = { maxErrorRateDeltaPercent: 2, maxLatencyRatioPercent: 150, minRequests: 100 };
const traffic = (requests: number, errorRatePercent: number, averageMs: number): Figures => ({
  requests,
  errors5xx: Math.round((requests * errorRatePercent) / 100),
  latencySumMs: requests * averageMs,
});

describe('staged plan migration rules', () => {
  it('puts a credential in the same bucket every time, spreads credentials evenly, and draws a new order per migration', () => {
    const migration = randomUUID();
    const credential = randomUUID();
    expect(cohortBucket(migration, credential)).toBe(cohortBucket(migration.toUpperCase(), credential));
    const credentials = Array.from({ length: 4000 }, () => randomUUID());
    const buckets = credentials.map((c) => cohortBucket(migration, c));
    expect(buckets.every((b) => Number.isInteger(b) && b >= 0 && b < COHORT_BUCKETS)).toBe(true);
    const firstTenth = buckets.filter((b) => b < COHORT_BUCKETS / 10).length;
    expect(firstTenth).toBeGreaterThan(300);
    expect(firstTenth).toBeLessThan(500);
    const other = randomUUID();
    const same = credentials.filter((c) => cohortBucket(other, c) === cohortBucket(migration, c)).length;
    expect(same).toBeLessThan(20);
  });

  it('widens a healthy stage, rolls back over either threshold, and says why with the figures', () => {
    expect(judgeStage(traffic(200, 1, 100), traffic(800, 1, 100), T, 0)).toMatchObject({ action: 'WIDEN' });
    const errors = judgeStage(traffic(200, 5, 100), traffic(800, 1, 100), T, 0);
    expect(errors.action).toBe('ROLL_BACK');
    expect(errors.reason).toContain('5xx share is 4 points above');
    expect(errors.reason).toContain('moved: 200 requests, 5 % 5xx, 100 ms average; rest: 800 requests, 1 % 5xx, 100 ms average');
    const slow = judgeStage(traffic(200, 1, 200), traffic(800, 1, 100), T, 0);
    expect(slow.action).toBe('ROLL_BACK');
    expect(slow.reason).toContain('average latency is 200 % of the rest’s');
    // Better than the rest is healthy, however much better.
    expect(judgeStage(traffic(200, 0, 10), traffic(800, 9, 900), T, 0).action).toBe('WIDEN');
    // Exactly at a threshold is not over it, but inside the band: held.
    expect(judgeStage(traffic(100, 3, 100), traffic(100, 1, 100), T, 0).action).toBe('HOLD');
    // A zero margin rolls back on any difference.
    expect(judgeStage(traffic(100, 2, 100), traffic(100, 1, 100), { ...T, maxErrorRateDeltaPercent: 0 }, 0).action).toBe('ROLL_BACK');
    // The rest without latency (every request 0 ms) and the cohort slower: over any ratio.
    expect(judgeStage(traffic(100, 0, 5), traffic(100, 0, 0), T, 0).action).toBe('ROLL_BACK');
  });

  it('holds figures close to a threshold (hysteresis), then rolls back if they stay there', () => {
    // 1.7 points above (band: 1.6–2) and 1.45 times slower (band: 1.4–1.5).
    const closeErrors = [traffic(1000, 2.7, 100), traffic(1000, 1, 100)] as const;
    const closeLatency = [traffic(1000, 1, 145), traffic(1000, 1, 100)] as const;
    for (const [cohort, rest] of [closeErrors, closeLatency]) {
      for (let holds = 0; holds < MAX_HOLDS; holds++) expect(judgeStage(cohort, rest, T, holds)).toMatchObject({ action: 'HOLD' });
      const verdict = judgeStage(cohort, rest, T, MAX_HOLDS);
      expect(verdict.action).toBe('ROLL_BACK');
      expect(verdict.reason).toContain(`after ${MAX_HOLDS} holds`);
    }
    // Just under the band: widened at once.
    expect(judgeStage(traffic(1000, 2.5, 139), traffic(1000, 1, 100), T, 0).action).toBe('WIDEN');
  });

  it('holds while either side has too little traffic, and widens after the last hold', () => {
    expect(judgeStage(traffic(99, 0, 100), traffic(5000, 0, 100), T, 0)).toMatchObject({ action: 'HOLD' });
    expect(judgeStage(traffic(5000, 0, 100), traffic(10, 0, 100), T, 2)).toMatchObject({ action: 'HOLD' });
    // Too little traffic never rolls back, even with every request failing.
    expect(judgeStage(traffic(50, 100, 100), traffic(5000, 0, 100), T, 1).action).toBe('HOLD');
    const widened = judgeStage(traffic(0, 0, 0), traffic(0, 0, 0), T, MAX_HOLDS);
    expect(widened.action).toBe('WIDEN');
    expect(widened.reason).toContain('Too little traffic to compare');
  });

  it('bounds the staging input', () => {
    expect(stagingProblems({ stages: [10, 50, 100], stageDurationSeconds: 600 })).toEqual([]);
    expect(
      stagingProblems({
        stages: [100],
        stageDurationSeconds: 60,
        maxErrorRateDeltaPercent: 0,
        maxLatencyRatioPercent: 100,
        minRequests: 1,
      }),
    ).toEqual([]);
    const fields = (input: Parameters<typeof stagingProblems>[0]) => stagingProblems(input).map((p) => p.field);
    for (const stages of [
      [],
      [10, 50],
      [50, 10, 100],
      [10, 10, 100],
      [0, 100],
      [10, 100, 100],
      [5.5, 100],
      Array.from({ length: 11 }, (_, i) => (i + 1) * 9).concat(100),
    ]) {
      expect(fields({ stages, stageDurationSeconds: 600 })).toEqual(['stages']);
    }
    expect(fields({ stages: [100], stageDurationSeconds: 59 })).toEqual(['stageDurationSeconds']);
    expect(fields({ stages: [100], stageDurationSeconds: 7 * 86_400 + 1 })).toEqual(['stageDurationSeconds']);
    expect(
      fields({ stages: [100], stageDurationSeconds: 60, maxErrorRateDeltaPercent: 101, maxLatencyRatioPercent: 99, minRequests: 0 }),
    ).toEqual(['maxErrorRateDeltaPercent', 'maxLatencyRatioPercent', 'minRequests']);
  });
});
