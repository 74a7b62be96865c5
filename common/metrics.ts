/**
 * Prometheus metrics (prom-client): every process — the gateway and each subgraph — has a registry
 * of its own, served as text on its own port at `GET /metrics` (several subgraphs may share a
 * test process). The platform's own metrics are named `plangraph_…`; prom-client's default process
 * metrics (`process_…`, `nodejs_…`) are in every registry. docs/OBSERVABILITY.md lists them all.
 *
 * Labels stay bounded and carry no secrets or caller identities: operation names are chosen by
 * clients, so they pass through `OperationNames`; other labels are taken from fixed sets (task
 * names, subgraph names, schema fields, error codes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import type { Logger } from './logger';

export type { Registry };

/** A process's registry, with prom-client's default process metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Answers a scrape: the registry in Prometheus's text format. */
export async function serveMetrics(registry: Registry, res: ServerResponse, log?: Logger): Promise<void> {
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  } catch (error) {
    log?.warn({ err: error }, 'metrics could not be collected');
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('metrics could not be collected\n');
  }
}

/** Whether a raw HTTP request is a scrape (`GET /metrics`). */
export function isMetricsRequest(req: IncomingMessage): boolean {
  return req.method === 'GET' && req.url?.split('?')[0] === '/metrics';
}

/** The metric of that name in the registry, created on first use (routes and jobs of one subgraph share them). */
export function counter<L extends string>(registry: Registry, config: CounterConfiguration<L>): Counter<L> {
  return (registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter({ ...config, registers: [registry] });
}

export function gauge<L extends string>(registry: Registry, config: GaugeConfiguration<L>): Gauge<L> {
  return (registry.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] });
}

export function histogram<L extends string>(registry: Registry, config: HistogramConfiguration<L>): Histogram<L> {
  return (registry.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram({ ...config, registers: [registry] });
}

/** Latency buckets in seconds, from 5 ms to 30 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The `operation_name` label: GraphQL operation names are chosen by clients, so only names that
 * look like GraphQL names are kept, the first `limit` distinct ones per process; anything else is
 * `other`, and an operation without a name is `anonymous`.
 */
export class OperationNames {
  private readonly seen = new Set<string>();

  constructor(private readonly limit = 200) {}

  label(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (this.seen.has(name)) return name;
    if (this.seen.size >= this.limit) return 'other';
    this.seen.add(name);
    return name;
  }
}

/**
 * One read of the database per scrape for several metrics: prom-client collects a registry's
 * metrics at once, so the first metric collected calls `read` and the others share that call
 * while it runs; the next scrape reads again. A read that fails or takes longer than `timeoutMs`
 * counts in `plangraph_metrics_collect_failures_total` and leaves the metrics at their last values.
 */
export function sharedRead<T>(
  registry: Registry,
  collector: string,
  read: () => Promise<T>,
  { timeoutMs = 3000 } = {},
): () => Promise<T | null> {
  const failures = counter(registry, {
    name: 'plangraph_metrics_collect_failures_total',
    help: 'Scrape-time reads of the database that failed or timed out (the metrics they feed kept their last values)',
    labelNames: ['collector'],
  });
  failures.inc({ collector }, 0);
  let running: Promise<T | null> | null = null;
  return () => {
    if (running) return running;
    let timer: NodeJS.Timeout | undefined;
    running = Promise.race([
      read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${collector} read took longer than ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ])
      .catch(() => {
        failures.inc({ collector });
        return null;
      })
      .finally(() => {
        clearTimeout(timer);
        running = null;
      });
    return running;
  };
}

/** Job counts of one task, as `jobQueueMetrics` reads them. */
export interface TaskQueueRow {
  task: string;
  queued: number;
  scheduled: number;
  retrying: number;
  running: number;
  failed: number;
  oldest_runnable_seconds: number;
}

/** Rows counted per task at most (a scrape stays cheap however long the queue grows). */
export const JOB_SCAN_LIMIT = 100_000;

/**
 * The queue of one subgraph's tasks (`<prefix>.*`) in graphile-worker, read with one bounded SQL
 * statement per scrape. Every state is a gauge per task: `queued` (due, never tried), `scheduled`
 * (never tried, due later), `retrying` (failed before, waiting for its next attempt), `running`
 * (locked by a worker) and `failed` (attempts spent, kept for inspection); plus the age of the
 * oldest runnable job. Tasks the process runs are reported at 0 when none wait.
 */
export const JOB_QUEUE_SQL = `
  select task_identifier as task,
         count(*) filter (where locked_at is null and attempts = 0 and run_at <= now())::int as queued,
         count(*) filter (where locked_at is null and attempts = 0 and run_at > now())::int as scheduled,
         count(*) filter (where locked_at is null and attempts > 0 and attempts < max_attempts)::int as retrying,
         count(*) filter (where locked_at is not null)::int as running,
         count(*) filter (where locked_at is null and attempts >= max_attempts)::int as failed,
         coalesce(extract(epoch from now() - min(run_at) filter (
           where locked_at is null and attempts < max_attempts and run_at <= now())), 0)::float8 as oldest_runnable_seconds
    from (select task_identifier, locked_at, attempts, max_attempts, run_at
            from graphile_worker.jobs where task_identifier like ? limit ${JOB_SCAN_LIMIT}) as j
   group by task_identifier
   order by task_identifier
   limit 100`;

export function jobQueueMetrics(
  registry: Registry,
  prefix: string,
  query: (sql: string, params: unknown[]) => Promise<TaskQueueRow[]>,
  knownTasks: readonly string[],
): void {
  const read = sharedRead(registry, 'jobs', () => query(JOB_QUEUE_SQL, [`${prefix}.%`]));
  const states = ['queued', 'scheduled', 'retrying', 'running', 'failed'] as const;
  gauge(registry, {
    name: 'plangraph_jobs',
    help: `Jobs of this subgraph's tasks in the queue, per task and state (queued, scheduled, retrying, running, failed; counted up to ${JOB_SCAN_LIMIT} per scrape)`,
    labelNames: ['task', 'state'],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const task of knownTasks) for (const state of states) this.set({ task, state }, 0);
      for (const row of rows) for (const state of states) this.set({ task: row.task, state }, Number(row[state]));
    },
  });
  gauge(registry, {
    name: 'plangraph_jobs_oldest_runnable_age_seconds',
    help: 'Seconds the oldest runnable job of each task has been due without a worker taking it (0 when none waits)',
    labelNames: ['task'],
    async collect() {
      const rows = await read();
      if (!rows) return;
      this.reset();
      for (const task of knownTasks) this.set({ task }, 0);
      for (const row of rows) this.set({ task: row.task }, Number(row.oldest_runnable_seconds));
    },
  });
}

/** Runs of jobs in this process: outcome and duration, per task (`JobRunnerOptions.onJobRun`). */
export function jobRunMetrics(registry: Registry): (task: string, outcome: 'success' | 'failure', seconds: number) => void {
  const runs = counter(registry, {
    name: 'plangraph_job_runs_total',
    help: 'Job runs in this process, per task and outcome (success, failure: it will be retried or has spent its attempts)',
    labelNames: ['task', 'outcome'],
  });
  const duration = histogram(registry, {
    name: 'plangraph_job_duration_seconds',
    help: 'How long job runs in this process took, per task',
    labelNames: ['task'],
    buckets: LATENCY_BUCKETS,
  });
  return (task, outcome, seconds) => {
    runs.inc({ task, outcome });
    duration.observe({ task }, seconds);
  };
}

/**
 * Open subscriptions and the events delivered on them, per subscription field (bounded by the
 * schema): wraps the event stream a subscription returns. The gateway and the subgraphs each count
 * their own.
 */
export class SubscriptionMetrics {
  private readonly open: Gauge<'subscription'>;
  private readonly delivered: Counter<'subscription'>;

  constructor(registry: Registry) {
    this.open = gauge(registry, {
      name: 'plangraph_subscriptions_open',
      help: 'Subscriptions running now in this process, per subscription field',
      labelNames: ['subscription'],
    });
    this.delivered = counter(registry, {
      name: 'plangraph_subscription_events_delivered_total',
      help: 'Events sent to subscribers by this process, per subscription field',
      labelNames: ['subscription'],
    });
  }

  /** Counts a subscription as open until its stream ends, and each event it delivers. */
  track<T>(subscription: string, stream: AsyncIterable<T>): AsyncIterableIterator<T> {
    const iterator = stream[Symbol.asyncIterator]();
    const labels = { subscription };
    this.open.inc(labels);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.dec(labels);
    };
    const delivered = this.delivered;
    return {
      async next() {
        try {
          const result = await iterator.next();
          if (result.done) close();
          else delivered.inc(labels);
          return result;
        } catch (error) {
          close();
          throw error;
        }
      },
      async return(value?: unknown) {
        close();
        return (await iterator.return?.(value as never)) ?? { done: true, value: undefined as never };
      },
      async throw(error?: unknown) {
        close();
        if (iterator.throw) return iterator.throw(error);
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}
