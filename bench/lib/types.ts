import type { BenchPlatform } from './platform';
import type { SeedData } from './seed';

/** Command-line options every scenario may read. */
export interface BenchOptions {
  /** Seconds per autocannon run (`--duration`, default 10). */
  durationSeconds: number;
  /** Seconds of the mixed load run (`--load-duration`, default 60). */
  loadSeconds: number;
  /** Idle subscriptions to hold (`--subscriptions`, default 10,000). */
  subscriptions: number;
  /** Give every subscription a variable of its own (`--unshared-subscriptions`), so the gateway shares none. */
  unsharedSubscriptions?: boolean;
  /**
   * V8 old-space limit (MiB) for the platform processes during `load` (`--load-heap-mib`); null
   * runs them as shipped. A capped heap tells a leak (the process runs out of memory) from a heap
   * that V8 lets grow lazily because the machine has plenty (RSS levels off at the cap).
   */
  loadHeapMiB: number | null;
  /** Short runs and small counts: a smoke test of the harness (`--quick`). */
  quick: boolean;
  /**
   * Platform processes to run under `node --cpu-prof` (`--cpu-prof gateway,apollo-gateway`, or
   * `all`); empty for none. Summarise a profile with `bench/profile.ts`.
   */
  cpuProf: string[];
  /**
   * Every process in production mode (`--production`): `NODE_ENV=production`, as the Dockerfile
   * and the Kubernetes manifests run them, with secrets made up for the run.
   */
  production: boolean;
}

/** What a scenario gets: the running platform, the seeded data and the options. */
export interface BenchContext {
  platform: BenchPlatform;
  seed: SeedData;
  options: BenchOptions;
  /** Progress line on stderr (not part of the results). */
  log(message: string): void;
}

/** What a scenario returns. */
export interface ScenarioResult {
  /** Machine-readable figures; stored as-is in the JSON results. */
  figures: Record<string, unknown>;
  /** Markdown for the summary (tables and a sentence or two; no heading). */
  markdown: string;
  /** Problems found (errors, N+1 growth, memory growth); empty when the scenario is clean. */
  warnings: string[];
  /** The performance targets this scenario checks (BENCHMARKS.md, "Targets"), gathered into one table of the run. */
  targets?: TargetCheck[];
}

/** One performance target and what this run measured for it. */
export interface TargetCheck {
  /** What is measured, e.g. "gateway CPU per catalog page ÷ @apollo/gateway's". */
  figure: string;
  /** The target, e.g. "≤ 0.5×". */
  target: string;
  /** What this run measured, as shown. */
  value: string;
  met: boolean;
}

/** A target check from a figure and a bound. */
export function targetCheck(figure: string, value: number, bound: { atMost?: number; atLeast?: number }, unit = '×'): TargetCheck {
  const target = bound.atMost !== undefined ? `≤ ${bound.atMost}${unit}` : `≥ ${bound.atLeast}${unit}`;
  const met =
    Number.isFinite(value) &&
    (bound.atMost === undefined || value <= bound.atMost) &&
    (bound.atLeast === undefined || value >= bound.atLeast);
  return { figure, target, value: `${value}${unit}`, met };
}

/**
 * One benchmark. Add a module `bench/scenarios/<name>.ts` exporting such an object and list it
 * in `bench/scenarios/index.ts`.
 */
export interface Scenario {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
