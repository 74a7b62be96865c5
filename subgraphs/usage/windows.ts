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
 * Records can arrive late and out of order: each lands in the window that contains it; one that
 * falls between windows opens a window of its own, cut short where the next known window starts.
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
}

/** The windows of one counter, replayed record by record (records in time order). */
export class QuotaCounter {
  readonly windows: QuotaWindowState[];

  constructor(
    existing: QuotaWindowState[],
    readonly periodMicros: number,
    readonly limit: number,
  ) {
    this.windows = [...existing].sort((a, b) => a.start - b.start);
  }

  /** The window that contains `at`, if any. */
  find(at: number): QuotaWindowState | undefined {
    // Windows are few per batch; a linear scan from the end finds the usual (latest) one first.
    for (let i = this.windows.length - 1; i >= 0; i--) {
      const w = this.windows[i];
      if (w.start <= at && at < w.resetsAt) return w;
      if (w.resetsAt <= at) return undefined;
    }
    return undefined;
  }

  /** Classifies a record and, when it counts, adds it to its window (opening one if needed). */
  record(at: number, responseCode: number, denial: DenialHint): Classified & { window: QuotaWindowState | null } {
    const current = this.find(at);
    const result = classify(responseCode, denial, current !== undefined && current.used >= this.limit);
    if (!result.counted) return { ...result, window: current ?? null };
    const window = current ?? this.open(at);
    window.used += 1;
    window.lastAt = Math.max(window.lastAt, at);
    window.dirty = true;
    return { ...result, window };
  }

  private open(at: number): QuotaWindowState {
    const next = this.windows.find((w) => w.start > at);
    const resetsAt = next ? Math.min(at + this.periodMicros, next.start) : at + this.periodMicros;
    const window: QuotaWindowState = { start: at, resetsAt, used: 0, usedBefore: 0, lastAt: at, isNew: true, dirty: true };
    this.windows.push(window);
    this.windows.sort((a, b) => a.start - b.start);
    return window;
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
