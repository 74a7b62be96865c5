/**
 * The rules of a staged change, free of I/O, shared by the developers subgraph's staged plan
 * migrations and the plans subgraph's staged plan-change rollouts: who is in which stage (a
 * deterministic cohort) and how a stage is judged from the figures of the credentials the change
 * reached (the cohort: moved, or on the candidate limits) and of the others (the rest), over the
 * stage's observation window.
 */
import { createHash } from 'node:crypto';

/** Buckets of the cohort order: a stage of p % holds the first ⌈n × p / 100⌉ credentials by bucket (`stageCohort`). */
export const COHORT_BUCKETS = 10_000;
/** Evaluations that may hold one stage before it is decided anyway (see `judgeStage`). */
export const MAX_HOLDS = 3;
/**
 * Hysteresis: a stage is widened only when its figures stay below this share of each threshold's
 * margin; between that and the threshold it is held (evaluated again later), over it rolled back.
 */
export const HEALTHY_SHARE = 0.8;

/** The credential's bucket in the migration's cohort (0–9999): the same for the same ids, spread evenly. */
export function cohortBucket(migrationId: string, credentialId: string): number {
  const digest = createHash('sha256').update(`${migrationId.toLowerCase()}:${credentialId.toLowerCase()}`).digest();
  return digest.readUInt32BE(0) % COHORT_BUCKETS;
}

export interface Figures {
  requests: number;
  errors5xx: number;
  latencySumMs: number;
}

/** Both sides' figures as a stored step records them (the step entities' columns). */
export function stepFigures(cohort: Figures, rest: Figures) {
  return {
    cohortRequests: cohort.requests,
    cohortErrors5xx: cohort.errors5xx,
    cohortLatencySumMs: cohort.latencySumMs,
    restRequests: rest.requests,
    restErrors5xx: rest.errors5xx,
    restLatencySumMs: rest.latencySumMs,
  };
}

export interface Thresholds {
  /** The cohort's share of 5xx answers may exceed the rest's by at most this many percentage points. */
  maxErrorRateDeltaPercent: number;
  /** The cohort's average latency may be at most this percentage of the rest's (150: 1.5 times). */
  maxLatencyRatioPercent: number;
  /** Requests each side needs in the window before they are compared. */
  minRequests: number;
}

export type Verdict = { action: 'WIDEN' | 'HOLD' | 'ROLL_BACK'; reason: string };

const pct = (n: number) => `${Math.round(n * 100) / 100}`;

/** 5xx share in percent (0 without requests). */
export function errorRate(f: Figures): number {
  return f.requests ? (f.errors5xx * 100) / f.requests : 0;
}

/** Average latency in ms (0 without requests). */
export function averageLatency(f: Figures): number {
  return f.requests ? f.latencySumMs / f.requests : 0;
}

/**
 * The decision on a stage whose window has passed, `holds` being the evaluations that held it
 * already:
 * - either side under `minRequests`: HOLD, and after `MAX_HOLDS` holds WIDEN (too little traffic
 *   to tell them apart; the reason says so);
 * - error-rate delta over its maximum, or latency ratio over its maximum: ROLL_BACK;
 * - either figure above `HEALTHY_SHARE` of its margin: HOLD, and after `MAX_HOLDS` holds ROLL_BACK
 *   (a stage that stays close to a threshold is not widened);
 * - otherwise WIDEN.
 * `cohortName` names the cohort in the reasons ("moved" credentials of a migration).
 */
export function judgeStage(cohort: Figures, rest: Figures, t: Thresholds, holds: number, cohortName = 'moved'): Verdict {
  const summary = (): string =>
    `${cohortName}: ${cohort.requests} requests, ${pct(errorRate(cohort))} % 5xx, ${pct(averageLatency(cohort))} ms average; ` +
    `rest: ${rest.requests} requests, ${pct(errorRate(rest))} % 5xx, ${pct(averageLatency(rest))} ms average`;
  if (cohort.requests < t.minRequests || rest.requests < t.minRequests) {
    if (holds >= MAX_HOLDS) {
      return { action: 'WIDEN', reason: `Too little traffic to compare after ${holds} holds (${summary()}): widened.` };
    }
    return { action: 'HOLD', reason: `Too little traffic to compare (at least ${t.minRequests} requests each; ${summary()}).` };
  }
  const delta = errorRate(cohort) - errorRate(rest);
  const restLatency = averageLatency(rest);
  const ratio = restLatency > 0 ? (averageLatency(cohort) / restLatency) * 100 : averageLatency(cohort) > 0 ? Infinity : 100;
  if (delta > t.maxErrorRateDeltaPercent) {
    return {
      action: 'ROLL_BACK',
      reason: `The ${cohortName} credentials’ 5xx share is ${pct(delta)} points above the rest’s (at most ${t.maxErrorRateDeltaPercent}; ${summary()}).`,
    };
  }
  if (ratio > t.maxLatencyRatioPercent) {
    return {
      action: 'ROLL_BACK',
      reason: `The ${cohortName} credentials’ average latency is ${pct(ratio)} % of the rest’s (at most ${t.maxLatencyRatioPercent} %; ${summary()}).`,
    };
  }
  const close = delta > t.maxErrorRateDeltaPercent * HEALTHY_SHARE || ratio - 100 > (t.maxLatencyRatioPercent - 100) * HEALTHY_SHARE;
  if (close) {
    if (holds >= MAX_HOLDS) {
      return { action: 'ROLL_BACK', reason: `Still close to a threshold after ${holds} holds (${summary()}).` };
    }
    return { action: 'HOLD', reason: `Close to a threshold (${summary()}).` };
  }
  return { action: 'WIDEN', reason: `Healthy (${summary()}).` };
}

export interface StagingInput {
  stages: number[];
  stageDurationSeconds: number;
  maxErrorRateDeltaPercent?: number | null;
  maxLatencyRatioPercent?: number | null;
  minRequests?: number | null;
}

export const STAGING_DEFAULTS = { maxErrorRateDeltaPercent: 2, maxLatencyRatioPercent: 150, minRequests: 100 } as const;
export const MAX_STAGES = 10;
export const MIN_STAGE_SECONDS = 60;
export const MAX_STAGE_SECONDS = 7 * 86_400;

/** What is wrong with a staging input (field suffix, message), or an empty list. */
export function stagingProblems(input: StagingInput): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const { stages } = input;
  const increasing = stages.every((p, i) => Number.isInteger(p) && p >= 1 && p <= 100 && (i === 0 || p > stages[i - 1]));
  if (stages.length < 1 || stages.length > MAX_STAGES || !increasing || stages[stages.length - 1] !== 100) {
    problems.push({
      field: 'stages',
      message: `Give 1–${MAX_STAGES} increasing percentages of 1–100, the last 100 (for example [10, 50, 100]).`,
    });
  }
  const d = input.stageDurationSeconds;
  if (!Number.isInteger(d) || d < MIN_STAGE_SECONDS || d > MAX_STAGE_SECONDS) {
    problems.push({ field: 'stageDurationSeconds', message: `Give ${MIN_STAGE_SECONDS}–${MAX_STAGE_SECONDS} seconds.` });
  }
  const e = input.maxErrorRateDeltaPercent;
  if (e !== undefined && e !== null && (!Number.isInteger(e) || e < 0 || e > 100)) {
    problems.push({ field: 'maxErrorRateDeltaPercent', message: 'Give 0–100 percentage points.' });
  }
  const l = input.maxLatencyRatioPercent;
  if (l !== undefined && l !== null && (!Number.isInteger(l) || l < 100 || l > 10_000)) {
    problems.push({ field: 'maxLatencyRatioPercent', message: 'Give 100–10000 percent.' });
  }
  const m = input.minRequests;
  if (m !== undefined && m !== null && (!Number.isInteger(m) || m < 1 || m > 1_000_000)) {
    problems.push({ field: 'minRequests', message: 'Give 1–1000000 requests.' });
  }
  return problems;
}
