/**
 * Latency histograms: fixed, log-spaced buckets (upper edges in ms below). Each rollup row keeps
 * one histogram, so histograms of any set of rows add up and p50/p95 of any range can be
 * estimated without the raw records. An estimate interpolates linearly inside the bucket that
 * holds the wanted rank, so its error is at most one bucket width: ≤ 1 ms below 10 ms, ≤ 25 %
 * above (the last bucket, ≥ 60 s, reports 60,000 ms).
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000,
  2500, 3000, 4000, 5000, 6000, 8000, 10_000, 15_000, 20_000, 30_000, 60_000,
]);

/** Buckets: one per bound (`[previous bound, bound)`) plus one for ≥ the last bound. */
export const HISTOGRAM_SIZE = LATENCY_BOUNDS_MS.length + 1;

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_SIZE).fill(0);
}

/** Index of the bucket that holds `ms` (binary search over the bounds). */
export function bucketOf(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms < LATENCY_BOUNDS_MS[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Adds `from` into `into` (element-wise); tolerates histograms of other lengths. */
export function addHistogram(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < from.length && i < into.length; i++) into[i] += Number(from[i]) || 0;
  return into;
}

/**
 * Estimated latency at quantile `q` (0–1) in ms, rounded to 0.1 ms; null for an empty histogram.
 * The rank is `ceil(q × count)`; inside its bucket the value is interpolated linearly.
 */
export function percentile(histogram: readonly number[], q: number): number | null {
  let total = 0;
  for (const count of histogram) total += Number(count) || 0;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let before = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = Number(histogram[i]) || 0;
    if (count > 0 && before + count >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      const upper = LATENCY_BOUNDS_MS[i];
      const value = lower + ((upper - lower) * (rank - before)) / count;
      return Math.round(value * 10) / 10;
    }
    before += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}
