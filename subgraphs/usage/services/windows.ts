/**
 * Tyk's quota semantics (Tyk Gateway's `RedisQuotaExceeded` in `gateway/session_manager.go`, and
 * Tyk's request-quota documentation), replayed from analytics records:
 *
 * - A quota counter (per key, or per app / organization when the plan's quota scope says so)
 *   counts every request that reaches the quota check: everything except rate-limit rejections
 *   (429, checked earlier) and key rejections (401, and 403s the gateway answered before the
 *   quota check). Requests rejected by the quota itself (403 "Quota exceeded") are counted too:
 *   Tyk increments the counter before comparing.
 * - A window is not calendar aligned: it starts at the first counted request after the previous
 *   window expired and lasts the plan's quota period.
 *
 * A 403 in analytics does not say why it was refused. The raw response (when the gateway records
 * it) decides; otherwise a 403 while the window is already at or over its limit is a quota
 * rejection, and any other 403 counts as an ordinary client error that reached the quota check
 * (an upstream 403). A gateway access denial for a known key would be over-counted by one.
 *
 * Windows are a function of the SET of counted records, never of the order they arrive in: replayed
 * in time order, the first record opens a window [t, t + period), every record before its end
 * joins it, and the first record at or after its end opens the next one. The ingest appends
 * records that are not older than the counter's latest counted record; a record older than that
 * makes it replay the counter's stored records from the window it falls in (`data/quota-windows.ts`).
 */
import type { DenialHint } from './records';

export type Outcome = 'OK' | 'CLIENT_ERROR' | 'SERVER_ERROR' | 'RATE_LIMITED' | 'QUOTA_EXCEEDED';

export interface Classified {
  outcome: Outcome;
  /** Counts towards the quota counter. */
  counted: boolean;
}

/** Outcome of a response; `exhausted` = the record's window is at or over its limit already. */
export function classify(responseCode: number, denial: DenialHint, exhausted: boolean): Classified {
  if (responseCode === 429) return { outcome: 'RATE_LIMITED', counted: false };
  if (responseCode === 401) return { outcome: 'CLIENT_ERROR', counted: false };
  if (responseCode === 403) {
    if (denial === 'QUOTA') return { outcome: 'QUOTA_EXCEEDED', counted: true };
    if (denial === 'DENIED') return { outcome: 'CLIENT_ERROR', counted: false };
    return exhausted ? { outcome: 'QUOTA_EXCEEDED', counted: true } : { outcome: 'CLIENT_ERROR', counted: true };
  }
  if (responseCode >= 500) return { outcome: 'SERVER_ERROR', counted: true };
  if (responseCode >= 400) return { outcome: 'CLIENT_ERROR', counted: true };
  return { outcome: 'OK', counted: true };
}

/** One quota window of one counter (times in microseconds since the epoch). */
export interface QuotaWindowState {
  start: number;
  resetsAt: number;
  used: number;
  /** `used` before this batch (for threshold crossings). */
  usedBefore: number;
  lastAt: number;
  isNew: boolean;
  dirty: boolean;
  /**
   * Projected use at reset (≥ the limit) at the first counted request of this replay after which
   * the projection said the window would run out before it resets; null if none did.
   */
  projected: number | null;
}

/**
 * The windows of one counter, replayed record by record in time order, continuing from the
 * counter's latest stored window (or from nothing). Counted records must not go back in time
 * (`record` throws): a late record needs a replay from the window it falls in.
 */
export class QuotaCounter {
  readonly windows: QuotaWindowState[];

  constructor(
    latest: QuotaWindowState | null,
    readonly periodMicros: number,
    readonly limit: number,
  ) {
    this.windows = latest ? [latest] : [];
  }

  /** The latest window, if any. */
  get current(): QuotaWindowState | undefined {
    return this.windows[this.windows.length - 1];
  }

  /** Classifies a record and, when it counts, adds it to the latest window or opens the next one. */
  record(at: number, responseCode: number, denial: DenialHint): Classified & { window: QuotaWindowState | null } {
    let current = this.current;
    const inside = current !== undefined && current.start <= at && at < current.resetsAt;
    const result = classify(responseCode, denial, inside && current!.used >= this.limit);
    if (!result.counted) return { ...result, window: inside ? current! : null };
    if (current && at < current.lastAt) throw new RangeError('QuotaCounter: counted records must be replayed in time order');
    if (!current || at >= current.resetsAt) {
      current = {
        start: at,
        resetsAt: at + this.periodMicros,
        used: 0,
        usedBefore: 0,
        lastAt: at,
        isNew: true,
        dirty: true,
        projected: null,
      };
      this.windows.push(current);
    }
    current.used += 1;
    current.lastAt = at;
    current.dirty = true;
    if (current.projected === null && current.used < this.limit) {
      const projected = projectedUse(current, at);
      if (projected !== null && projected >= this.limit) current.projected = projected;
    }
    return { ...result, window: current };
  }
}

/** Minimum evidence before a projection may warn: this much of the window must have passed. */
export const PROJECTION_MIN_ELAPSED_FRACTION = 0.1;
export const PROJECTION_MIN_ELAPSED_MICROS = 60 * 1e6;

/**
 * Requests a window will have used when it resets, at its average rate so far (measured up to
 * `at`); null before there is enough evidence (10 % of the period and at least a minute).
 */
export function projectedUse(window: Pick<QuotaWindowState, 'start' | 'resetsAt' | 'used'>, at: number): number | null {
  const elapsed = at - window.start;
  const period = window.resetsAt - window.start;
  if (elapsed < Math.max(PROJECTION_MIN_ELAPSED_MICROS, PROJECTION_MIN_ELAPSED_FRACTION * period)) return null;
  if (at >= window.resetsAt) return window.used;
  return window.used + (window.used / elapsed) * (window.resetsAt - at);
}

/** Thresholds (percent) crossed when usage went from `before` to `after` requests of `limit`. */
export function crossedThresholds(thresholds: readonly number[], before: number, after: number, limit: number): number[] {
  return thresholds.filter((t) => before * 100 < t * limit && after * 100 >= t * limit);
}

/** The request (1-based count in its window) that crosses `threshold` percent of `limit`: what a threshold warning reports as `used`. */
export function crossingCount(threshold: number, limit: number): number {
  return Math.max(1, Math.ceil((threshold * limit) / 100));
}
