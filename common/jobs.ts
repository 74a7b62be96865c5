import { EventEmitter } from 'node:events';
import os from 'node:os';
import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  Logger as WorkerLogger,
  parseCronItems,
  run,
  runMigrations,
  type JobHelpers,
  type Runner,
  type Task,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import type { Logger } from './logger';
import { activeTraceCarrier, inSpan, SpanKind, traceCarrierOf } from './telemetry';

/**
 * Transactional outbox on graphile-worker: a job is added with SQL inside the transaction of
 * the change that causes it, so it exists exactly when the change commits. Repeated edits of one
 * object coalesce through the job key (the queued job is replaced, not duplicated).
 */
export const JOB_TASKS = {
  // ---- handled by provider
  /** Write a plan's consumption-limit policy to its provider. Payload { planId }; job key `plan:<planId>` (plans, on every change). */
  syncPlan: 'provider.syncPlan',
  /** Write a product's access policy to its provider. Payload { productId }; job key `product:<productId>` (products, on every change). */
  syncProduct: 'provider.syncProduct',
  /** Create the Tyk key of a new credential. Payload { credentialId }; job key `key:<credentialId>` (developers: approval, rotation). */
  issueKey: 'provider.issueKey',
  /** Swap a key's policies after a plan change, keeping its quota. Payload { credentialId }; job key `key:<credentialId>`. */
  updateKeyPolicies: 'provider.updateKeyPolicies',
  /** Delete a credential's Tyk key. Payload { credentialId }; job key `revoke:<credentialId>` (revocation, end of a rotation's grace). */
  revokeKey: 'provider.revokeKey',
  /** Periodic dashboard-first import and drift repair of one provider. Payload { providerId }; job key `provider-sync:<providerId>`. */
  syncProvider: 'provider.syncProvider',
  /** Put a plan's keys on the candidate policy of its RUNNING staged rollout (members) or its own policy (the others, and all once it ended), then delete candidate policies no key uses. Payload { planId }; job key `plan-rollout:<planId>` (plans: each rollout step; provider: a key that let go of a candidate policy). */
  syncPlanRollout: 'provider.syncPlanRollout',
  // ---- handled by developers
  /** The provider created the key: drop the pending secret. Payload { credentialId, version }; job key `key-issued:<credentialId>`. */
  keyIssued: 'developers.keyIssued',
  /** Publish CREDENTIAL_EXPIRING. Payload { credentialId, expiresAt }; job key `credential-expiring:<credentialId>`. */
  credentialExpiring: 'developers.credentialExpiring',
  /** End of a rotation's grace period. Payload { credentialId }; job key `credential-revoked:<credentialId>`. */
  credentialRevoked: 'developers.credentialRevoked',
  /** A revocation for want of use is due (`revokeUnusedCredentials`). Payload { credentialId, dueAt }; job key `unused-revocation:<credentialId>`. */
  revokeUnusedCredential: 'developers.revokeUnusedCredential',
  /** The daily access review report (recurring). Payload {}; no job key (graphile-worker's crontab runs it once per day). */
  accessReviewReport: 'developers.accessReviewReport',
  /** End a quota boost at its expiry (the provider then takes its policy off the key). Payload { quotaBoostId }; job key `quota-boost-expiry:<quotaBoostId>`, run at the boost's `expiresAt` (developers: grantQuotaBoost). */
  quotaBoostExpired: 'developers.quotaBoostExpired',
  /** Offer the next tier to an organization whose app is projected to pass its plan's quota. Payload `UpgradeCheckPayload`; job key `upgrade-check:<scope>:<subjectId>:<planId>` (usage: ingest, with a PROJECTED quota warning). */
  offerUpgrade: 'developers.offerUpgrade',
  /** Tell the organizations holding an ACTIVE credential on a plan that its adaptive rate limit changed (ADAPTIVE_LIMIT_TIGHTENED / RESTORED on `accessRequestEvents`). Payload `AdaptiveLimitChangePayload`; job key `adaptive-limit-change:<changeId>` (usage: each change of a plan's adaptive state). */
  adaptiveLimitChanged: 'developers.adaptiveLimitChanged',
  /** Tell the organizations concerned by a step of a staged plan-change rollout (PLAN_ROLLOUT_LIMITS_CHANGED / ROLLED_BACK / COMPLETED on `accessRequestEvents`, one per credential). Payload `PlanRolloutNoticePayload`; job key `plan-rollout-notice:<planRolloutId>:<step>:<stagePercent>` (plans: each stage started, the rollback, the completion). */
  planRolloutNotice: 'developers.planRolloutNotice',
  /** Erase the sealed secret a rotation's idempotency key keeps for replays. Payload { subject, operation, key, createdAt }; job key `replay-secret:<sha256 of subject, operation, key>`. */
  forgetReplaySecret: 'developers.forgetReplaySecret',
  /** Fan new webhook events (`platform.webhook_event`) out to the endpoints that want them. Payload {}; job key `webhooks:dispatch` (every subgraph, with each webhook event). */
  dispatchWebhooks: 'developers.dispatchWebhooks',
  /** Send one endpoint's waiting deliveries, oldest first. Payload { endpointId }; job key and queue `webhook-endpoint:<endpointId>` (the dispatcher, redeliveries, its own retries). */
  deliverWebhooks: 'developers.deliverWebhooks',
  /** Move the pending credentials of a bulk plan migration, a batch per transaction. Payload { planMigrationId }; job key `plan-migration:<planMigrationId>`. */
  migratePlanSubscribers: 'developers.migratePlanSubscribers',
  /** Judge the current stage of a staged plan migration once its window has passed: widen, hold or roll back. Payload { planMigrationId }; job key `plan-migration-evaluate:<planMigrationId>`. */
  evaluatePlanMigration: 'developers.evaluatePlanMigration',
  // ---- handled by usage
  /** Evaluate the plans' adaptive rate limits (recurring, every minute). Payload {}; no job key (graphile-worker's crontab). */
  evaluateAdaptiveLimits: 'usage.evaluateAdaptiveLimits',
  // ---- handled by plans
  /** Judge the current stage of a staged plan-change rollout once its window has passed: widen, hold or roll back. Payload { planRolloutId }; job key `plan-rollout-evaluate:<planRolloutId>`. */
  evaluatePlanRollout: 'plans.evaluatePlanRollout',
  // ---- handled by plans / products (sent by provider's dashboard-first import)
  /** Create or update a bare plan from an imported consumption-limit policy; job key `import:<providerId>:<policyId>`. */
  importPlan: 'plans.importPolicy',
  /** Create or update a bare product from an imported access policy; job key `import:<providerId>:<policyId>`. */
  importProduct: 'products.importPolicy',
} as const;

export type JobTask = (typeof JOB_TASKS)[keyof typeof JOB_TASKS];

export interface EnqueueOptions {
  /** Coalescing key: a queued job with the same key is replaced by this one. */
  jobKey?: string;
  runAt?: Date;
  /**
   * Run this many seconds from now by the database's clock, which is the queue's clock: for
   * periodic runs, whose delay is a pause, not a rule's "now" (a manual clock must not make them
   * due at once or never). Ignored when `runAt` is given.
   */
  delaySeconds?: number;
  maxAttempts?: number;
  /** Jobs in one queue run one at a time, in order. */
  queueName?: string;
  /**
   * What adding a job key that is queued already does: `replace` (default) takes this job's
   * payload and run time; `preserve_run_at` keeps the queued job's run time (a retry scheduled
   * for later stays later).
   */
  jobKeyMode?: 'replace' | 'preserve_run_at';
}

/**
 * Adds a job in the transaction of `em`. A job due now, enqueued inside a traced request or job,
 * carries the trace context in its payload (`traceparent`, `tracestate`), and the worker runs it
 * in a span of that trace (`JobRunner`); delayed and periodic jobs start traces of their own.
 */
export async function enqueueJob(
  em: EntityManager,
  task: JobTask | string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<void> {
  const trace = options.runAt || options.delaySeconds ? null : activeTraceCarrier();
  if (trace) payload = { ...payload, ...trace };
  await em
    .getConnection()
    .execute(
      `select graphile_worker.add_job(?, ?::json, queue_name := ?, run_at := coalesce(?::timestamptz, now() + ?::float8 * interval '1 second'), max_attempts := ?, job_key := ?, job_key_mode := ?)`,
      [
        task,
        JSON.stringify(payload),
        options.queueName ?? null,
        options.runAt?.toISOString() ?? null,
        options.delaySeconds ?? null,
        options.maxAttempts ?? null,
        options.jobKey ?? null,
        options.jobKeyMode ?? 'replace',
      ],
      'all',
      em.getTransactionContext(),
    );
}

/** graphile-worker's log lines, through pino (JSON like everything else). */
function workerLogger(log?: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    if (!log) return;
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'info' : 'debug';
    // meta may hold whole pg clients: keep it to the error's message and a few scalar fields.
    const details: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (value instanceof Error) details.err = { message: value.message, stack: value.stack };
      else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) details[key] = value;
    }
    log[method]({ worker: scope.label, task: scope.taskIdentifier, jobId: scope.jobId, ...details }, message);
  });
}

/** Installs or upgrades graphile-worker's own schema (it takes its own lock). */
export async function migrateJobs(databaseUrl: string, log?: Logger): Promise<void> {
  await runMigrations({ connectionString: databaseUrl, logger: workerLogger(log) });
}

export interface JobRunnerOptions {
  databaseUrl: string;
  taskList: TaskList;
  log: Logger;
  /** Which process runs it (`provider`, …): recorded with its workers' heartbeats. */
  owner: string;
  /** Jobs run at once in this process (default 4). */
  concurrency?: number;
  /**
   * A job locked by a worker that has not sent a heartbeat for this long is handed to another
   * worker (`JOB_LOCK_TIMEOUT_SECONDS`). Live workers beat every fifth of it.
   */
  lockTimeoutMs: number;
  /** Fallback polling when no LISTEN notification arrives (default 2000 ms). */
  pollIntervalMs?: number;
  /** Recurring jobs: the task and when, as a cron pattern (each tick enqueues one job across replicas). */
  recurring?: { task: string; match: string }[];
  /** Told how each run of a job ended and how long it took (the process's metrics). */
  onJobRun?: (task: string, outcome: 'success' | 'failure', seconds: number) => void;
}

export interface JobRunnerHealth {
  ok: boolean;
  reason?: string;
}

const RESTART_BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * graphile-worker, supervised. graphile-worker 0.17 has two gaps that would silently stop
 * background work: a worker pool that cannot release a job (the database stayed away past its
 * retries) shuts down for good and is never replaced, and a job locked by a process that died
 * stays locked for four hours. This runner closes both:
 *
 * - **Restart**: when the pool fails (or the runner's promise rejects), the whole runner is
 *   replaced, retrying with back-off until the database answers again; the jobs its lost pools
 *   held are unlocked at once. While it cannot run, `health()` says so (after a grace period), so
 *   `/readyz` fails and an orchestrator restarts the process.
 * - **Heartbeats and sweeping**: every live worker pool's id (what graphile-worker writes to
 *   `locked_by`) is written to `platform.job_worker` every fifth of `lockTimeoutMs`. Every runner sweeps: jobs locked for longer than `lockTimeoutMs` by a
 *   worker whose heartbeat is older than that are unlocked (graphile-worker's
 *   `force_unlock_workers`) and run again elsewhere. A worker that is alive keeps beating while its
 *   job runs, however long, so its job is never taken from it. A runner sweeps only after its own
 *   heartbeats have succeeded for a whole `lockTimeoutMs`, so after a database outage every live
 *   worker has beaten again before anyone judges it dead.
 * - **Superseded jobs**: when a newer change replaced a job while it ran (same job key),
 *   graphile-worker has already queued the newer job and marked the running one as out of
 *   attempts; if the running one then fails it ends as done (logged), not as a failed row, since
 *   the newer job does its work.
 */
export class JobRunner {
  private runner: Runner | null = null;
  private readonly pool: pg.Pool;
  private readonly workers = new Set<string>();
  /** Workers that exited without releasing their jobs; unlocked once a new runner is up. */
  private readonly deadWorkers = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Ends the restart back-off early (on stop). */
  private wakeRestart: (() => void) | null = null;
  private restarting: Promise<void> | null = null;
  // These measure elapsed time with `performance.now()` (monotonic): supervision timers, not rules.
  private downSince: number | null = null;
  private lastFailure: string | null = null;
  private beatingSince: number | null = null;
  /** Since when the current runner's workers have failed to fetch jobs without a success in between. */
  private fetchFailingSince: number | null = null;
  /** `stop` was called: no restarts; the workers finish their jobs. */
  private closing: Promise<void> | null = null;
  /** The workers have stopped: no more heartbeats. */
  private stopped = false;
  private ticking = false;
  /** Restarts so far (tests and logs). */
  restarts = 0;

  constructor(private readonly options: JobRunnerOptions) {
    this.pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: (options.concurrency ?? 4) + 3,
      connectionTimeoutMillis: 30_000,
    });
    // An idle client whose server went away emits here; the pool replaces it on next use.
    this.pool.on('error', (error) => options.log.debug({ err: { message: error.message } }, 'job pool connection lost'));
    // A checked-out client whose server went away emits here; its query fails and is retried.
    this.pool.on('connect', (client) =>
      client.on('error', (error) => options.log.debug({ err: { message: error.message } }, 'job connection lost while in use')),
    );
  }

  get heartbeatMs(): number {
    return Math.max(200, Math.floor(this.options.lockTimeoutMs / 5));
  }

  /** Ids of this process's live workers (as in `graphile_worker.jobs.locked_by`). */
  workerIds(): string[] {
    return [...this.workers];
  }

  async start(): Promise<void> {
    await this.launch();
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
    void this.tick();
  }

  /** Ready unless the runner has been unable to run for longer than the lock timeout. */
  health(): JobRunnerHealth {
    if (this.closing) return { ok: false, reason: this.stopped ? 'job runner stopped' : 'job runner stopping' };
    if (this.downSince !== null && performance.now() - this.downSince > this.options.lockTimeoutMs) {
      const downForSeconds = Math.round((performance.now() - this.downSince) / 1000);
      return { ok: false, reason: `job runner down for ${downForSeconds} s: ${this.lastFailure ?? 'restarting'}` };
    }
    return { ok: true };
  }

  /**
   * Graceful stop (graphile-worker's): the workers take no more jobs and finish the ones they
   * run, however long that takes (a process that cannot wait bounds it; see `releaseLocks`).
   * Heartbeats go on until each worker is done, so no other replica takes a job from a worker
   * that is finishing it. Calling it again returns the same stop.
   */
  stop(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.wakeRestart?.();
    await this.restarting?.catch(() => undefined);
    const runner = this.runner;
    this.runner = null;
    await runner?.stop().catch((error) => this.options.log.warn({ err: error }, 'job runner did not stop cleanly'));
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const ids = [...this.workers, ...this.deadWorkers];
    if (ids.length)
      await this.pool.query('delete from platform.job_worker where worker_id = any($1::text[])', [ids]).catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /**
   * Puts the jobs this process's workers still hold back in the queue at once, for another
   * replica to run: for a process that must exit before they finish (its grace period is over).
   * Without it they would wait for the sweep (`lockTimeoutMs`). Handlers are idempotent, so a
   * job cut short and run again elsewhere does its work once.
   */
  async releaseLocks(): Promise<number> {
    const ids = [...this.workers, ...this.deadWorkers];
    if (!ids.length) return 0;
    const { rows } = await this.pool.query<{ released: number }>(
      `select count(*)::int as released from graphile_worker.jobs where locked_by = any($1::text[])`,
      [ids],
    );
    await this.pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids]);
    await this.pool.query('delete from platform.job_worker where worker_id = any($1::text[])', [ids]);
    return rows[0]?.released ?? 0;
  }

  private async launch(): Promise<void> {
    const { log } = this.options;
    const events: WorkerEvents = new EventEmitter() as WorkerEvents;
    let current: Runner | null = null;
    // graphile-worker locks a job with its worker pool's id (`locked_by`): that is the id that
    // beats. A pool of a runner being replaced keeps beating until it is released: its workers may
    // still be finishing a job, which must not be taken from them.
    events.on('pool:create', ({ workerPool }) => this.workers.add(workerPool.id));
    events.on('pool:release', ({ workerPool }) => this.workers.delete(workerPool.id));
    const lost = (poolId: string, error: unknown) => {
      this.workers.delete(poolId);
      this.deadWorkers.add(poolId);
      if (current === null || current !== this.runner) return; // its runner is already being replaced
      this.lastFailure = (error as Error)?.message ?? String(error);
      log.warn(
        { workerId: poolId, err: { message: this.lastFailure } },
        'a job worker lost its database connection; restarting the job runner',
      );
      this.restart(current);
    };
    events.on('worker:fatalError', ({ worker, error }) => lost(worker.workerPool.id, error));
    events.on('pool:fatalError', ({ workerPool, error }) => lost(workerPool.id, error));
    // A worker that keeps failing to fetch jobs while the database answers our heartbeats is stuck
    // (e.g. a failure cached at start-up): `tick` replaces the runner.
    events.on('worker:getJob:error', ({ error }) => {
      if (current !== null && current === this.runner) {
        this.fetchFailingSince ??= performance.now();
        this.lastFailure = (error as Error)?.message ?? String(error);
      }
    });
    events.on('worker:getJob:empty', () => (this.fetchFailingSince = null));
    events.on('job:start', () => (this.fetchFailingSince = null));
    events.on('job:error', ({ job, error }) =>
      log.warn(
        { task: job.task_identifier, jobId: job.id, attempts: job.attempts, maxAttempts: job.max_attempts, err: error },
        'job failed; will retry',
      ),
    );
    const runner = await run({
      pgPool: this.pool,
      taskList: this.wrapTasks(this.options.taskList),
      concurrency: this.options.concurrency ?? 4,
      noHandleSignals: true,
      pollInterval: this.options.pollIntervalMs ?? 2000,
      // Given parsed: the crontab text format does not accept our dotted task names.
      ...(this.options.recurring?.length ? { parsedCronItems: parseCronItems(this.options.recurring) } : {}),
      logger: workerLogger(log),
      events,
      // A job's completion (or failure) goes through graphile-worker's batcher even unbatched
      // (delay 0): the pool's release then waits for it and retries it through a short outage.
      // Without it a completion still in flight when the runner stops is dropped, and the job
      // stays locked by a pool that no longer beats (run again after the lock timeout).
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    current = runner;
    this.runner = runner;
    this.fetchFailingSince = null;
    // The runner's promise rejects when a part of it fails for good, for example the cron loop of
    // the recurring jobs reaching the database during an outage: replace the runner, as for a
    // dead worker, instead of leaving the rejection unhandled (it would end the process).
    runner.promise.catch((error: unknown) => {
      if (this.closing || this.runner !== runner) return;
      this.lastFailure = (error as Error)?.message ?? String(error);
      log.warn({ err: { message: this.lastFailure } }, 'job runner failed; restarting it');
      this.restart(runner);
    });
  }

  /** Replaces a runner whose worker died: stop it (bounded), then start a new one with back-off. */
  private restart(broken: Runner): void {
    if (this.closing || this.restarting) return;
    this.downSince ??= performance.now();
    this.restarting = (async () => {
      const old = broken;
      this.runner = null;
      // The old pool's other workers finish (or give up on) their jobs; never wait forever.
      if (old) await Promise.race([old.stop().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      for (let attempt = 0; !this.closing; attempt++) {
        try {
          await this.launch();
          break;
        } catch (error) {
          this.lastFailure = (error as Error).message;
          const wait = RESTART_BACKOFF_MS[Math.min(attempt, RESTART_BACKOFF_MS.length - 1)]!;
          this.options.log.warn({ err: { message: this.lastFailure }, retryInMs: wait }, 'job runner could not start; retrying');
          await new Promise<void>((resolve) => {
            this.wakeRestart = resolve;
            this.restartTimer = setTimeout(resolve, wait);
            this.restartTimer.unref();
          });
        }
      }
      if (this.closing) return;
      this.restarts += 1;
      this.downSince = null;
      this.lastFailure = null;
      this.options.log.info({ restarts: this.restarts }, 'job runner restarted');
      await this.unlockDead().catch((error) =>
        this.options.log.warn({ err: error }, 'could not unlock the jobs of dead workers yet; the sweep will'),
      );
    })().finally(() => {
      this.restarting = null;
    });
  }

  /** Our own workers that died: their jobs go back to the queue at once. */
  private async unlockDead(): Promise<void> {
    const ids = [...this.deadWorkers];
    if (!ids.length) return;
    await this.pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids]);
    await this.pool.query('delete from platform.job_worker where worker_id = any($1::text[])', [ids]);
    for (const id of ids) this.deadWorkers.delete(id);
    this.options.log.info({ workers: ids.length }, 'unlocked the jobs of this process’s dead job workers');
    await this.dropSuperseded();
  }

  /**
   * A job superseded while its worker died (graphile-worker cleared its key and spent its
   * attempts when the newer job was added) would stay behind as a failed row once unlocked. Every
   * job of the platform has a job key, so an unlocked job without one and out of attempts is such
   * a leftover: the newer job does its work, so it is completed (removed).
   */
  private async dropSuperseded(): Promise<void> {
    const { rows } = await this.pool.query<{ dropped: number }>(
      `select count(*)::int as dropped from graphile_worker.complete_jobs(array(
         select id from graphile_worker.jobs
          where key is null and locked_at is null and attempts >= max_attempts and task_identifier = any($1::text[])))`,
      [Object.keys(this.options.taskList)],
    );
    if (rows[0]?.dropped) this.options.log.info({ jobs: rows[0].dropped }, 'removed jobs superseded while their worker was lost');
  }

  /** Heartbeat, then (once trusted) the sweep. */
  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const ids = this.workerIds();
      await this.pool.query(
        `insert into platform.job_worker (worker_id, owner, host, pid, heartbeat_at)
           select id, $2, $3, $4, now() from unnest($1::text[]) as id
         on conflict (worker_id) do update set heartbeat_at = now()`,
        [ids, this.options.owner, os.hostname(), process.pid],
      );
      this.beatingSince ??= performance.now();
      const stuckFor = this.fetchFailingSince === null ? 0 : performance.now() - this.fetchFailingSince;
      if (this.runner && !this.restarting && stuckFor > Math.max(this.options.lockTimeoutMs, 10_000)) {
        this.options.log.warn(
          { err: { message: this.lastFailure }, stuckForMs: stuckFor },
          'job workers cannot fetch jobs although the database answers; restarting the job runner',
        );
        this.fetchFailingSince = null;
        this.restart(this.runner);
      }
      if (this.deadWorkers.size && !this.restarting) await this.unlockDead();
      if (performance.now() - this.beatingSince >= this.options.lockTimeoutMs) await this.sweep();
    } catch (error) {
      this.beatingSince = null;
      this.options.log.debug({ err: { message: (error as Error).message } }, 'job heartbeat failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Unlocks jobs held by workers that stopped beating (a killed or cut-off process). */
  private async sweep(): Promise<void> {
    const seconds = this.options.lockTimeoutMs / 1000;
    const { rows } = await this.pool.query<{ worker_id: string; jobs: number }>(
      `select j.locked_by as worker_id, count(*)::int as jobs
         from graphile_worker.jobs j
        where j.locked_by is not null
          and j.locked_at < now() - make_interval(secs => $1)
          and not exists (select 1 from platform.job_worker w where w.worker_id = j.locked_by and w.heartbeat_at > now() - make_interval(secs => $1))
        group by j.locked_by`,
      [seconds],
    );
    if (rows.length) {
      await this.pool.query('select graphile_worker.force_unlock_workers($1::text[])', [rows.map((r) => r.worker_id)]);
      this.options.log.warn(
        { workers: rows.map((r) => r.worker_id), jobs: rows.reduce((n, r) => n + r.jobs, 0) },
        'unlocked jobs of job workers that stopped beating',
      );
    }
    await this.dropSuperseded();
    // Rows of workers gone for a day are of no further use.
    await this.pool.query(`delete from platform.job_worker where heartbeat_at < now() - interval '1 day'`);
  }

  /**
   * Every handler runs in a span (when the process traces): continuing the trace its payload
   * carries (the handler gets the payload without it), else the root of a trace of its own; and is
   * measured.
   */
  private wrapTasks(tasks: TaskList): TaskList {
    const wrapped: TaskList = {};
    for (const [name, task] of Object.entries(tasks)) {
      const run = (payload: unknown, helpers: JobHelpers) => {
        const carrier = traceCarrierOf(payload);
        let handed = payload;
        if (carrier) {
          const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = payload as Record<string, unknown>;
          handed = rest;
        }
        return inSpan(
          `job ${name}`,
          {
            kind: SpanKind.CONSUMER,
            carrier,
            root: true,
            attributes: {
              'plangraph.job.task': name,
              'plangraph.job.id': String(helpers.job.id),
              'plangraph.job.attempt': helpers.job.attempts,
            },
          },
          () => this.runTask(name, task as Task, handed, helpers),
        );
      };
      wrapped[name] = (async (payload: unknown, helpers: JobHelpers) => {
        const started = performance.now();
        try {
          const result = await run(payload, helpers);
          this.options.onJobRun?.(name, 'success', (performance.now() - started) / 1000);
          return result;
        } catch (error) {
          this.options.onJobRun?.(name, 'failure', (performance.now() - started) / 1000);
          throw error;
        }
      }) as Task;
    }
    return wrapped;
  }

  /** Runs a handler; a failure of a job that a newer one superseded while it ran ends cleanly. */
  private async runTask(name: string, task: Task, payload: unknown, helpers: JobHelpers): Promise<void | unknown[]> {
    try {
      return await task(payload, helpers);
    } catch (error) {
      if (helpers.job.key && (await supersededWhileRunning(helpers).catch(() => false))) {
        this.options.log.info(
          { task: name, jobId: helpers.job.id, err: { message: (error as Error).message } },
          'job failed after a newer one replaced it; the newer one does its work',
        );
        return;
      }
      throw error;
    }
  }
}

/** graphile-worker clears the key of a running job when a job with the same key is added. */
async function supersededWhileRunning(helpers: JobHelpers): Promise<boolean> {
  const { rows } = await helpers.query<{ key: string | null }>('select key from graphile_worker.jobs where id = $1', [helpers.job.id]);
  return rows.length === 1 && rows[0]!.key === null;
}
