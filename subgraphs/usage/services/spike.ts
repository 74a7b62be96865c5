/**
 * The spike rule of `UsageSeries.spike`: is the latest bucket's traffic far above the series'
 * own recent baseline?
 *
 * Baseline = the `SPIKE_BASELINE_BUCKETS` (24) buckets just before the latest one, empty ones
 * included: their mean `m` and standard deviation `s` (requests per bucket). The latest bucket
 * is a spike when it has at least `SPIKE_MIN_REQUESTS` (20) requests, at least
 * `SPIKE_FACTOR` (3) × `m`, and at least `m + SPIKE_SIGMAS (3) × s`. `spikeFactor` = latest ÷ m
 * (null when the baseline is empty: then any 20 requests are a spike). The latest bucket may
 * still be filling up; that only makes the rule more cautious.
 */
export const SPIKE_BASELINE_BUCKETS = 24;
export const SPIKE_MIN_REQUESTS = 20;
export const SPIKE_FACTOR = 3;
export const SPIKE_SIGMAS = 3;

export interface SpikeVerdict {
  spike: boolean;
  /** Latest ÷ baseline mean; null when the baseline mean is 0. */
  factor: number | null;
  baselineMean: number;
}

export function spikeOf(latest: number, baseline: readonly number[]): SpikeVerdict {
  const n = baseline.length;
  const mean = n ? baseline.reduce((sum, v) => sum + v, 0) / n : 0;
  const variance = n ? baseline.reduce((sum, v) => sum + (v - mean) ** 2, 0) / n : 0;
  const sd = Math.sqrt(variance);
  const spike = latest >= SPIKE_MIN_REQUESTS && latest >= SPIKE_FACTOR * mean && latest >= mean + SPIKE_SIGMAS * sd;
  return { spike, factor: mean > 0 ? Math.round((latest / mean) * 100) / 100 : null, baselineMean: Math.round(mean * 100) / 100 };
}
