import type { EntityManager } from '@mikro-orm/postgresql';
import { Logger as WorkerLogger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker';
import type { Logger } from './logger';

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
  // ---- handled by developers
  /** The provider created the key: drop the pending secret. Payload { credentialId, version }; job key `key-issued:<credentialId>`. */
  keyIssued: 'developers.keyIssued',
  /** Publish CREDENTIAL_EXPIRING. Payload { credentialId, expiresAt }; job key `credential-expiring:<credentialId>`. */
  credentialExpiring: 'developers.credentialExpiring',
  /** End of a rotation's grace period. Payload { credentialId }; job key `credential-revoked:<credentialId>`. */
  credentialRevoked: 'developers.credentialRevoked',
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
  maxAttempts?: number;
  /** Jobs in one queue run one at a time, in order. */
  queueName?: string;
}

export async function enqueueJob(em: EntityManager, task: JobTask | string, payload: Record<string, unknown>, options: EnqueueOptions = {}): Promise<void> {
  await em.getConnection().execute(
    `select graphile_worker.add_job(?, ?::json, queue_name := ?, run_at := ?::timestamptz, max_attempts := ?, job_key := ?, job_key_mode := 'replace')`,
    [task, JSON.stringify(payload), options.queueName ?? null, options.runAt?.toISOString() ?? null, options.maxAttempts ?? null, options.jobKey ?? null],
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

/** Runs the given task handlers in this process until `stop()`. Handlers must be idempotent. */
export async function startWorker(databaseUrl: string, taskList: TaskList, log: Logger, concurrency = 4): Promise<Runner> {
  const runner = await run({ connectionString: databaseUrl, taskList, concurrency, noHandleSignals: true, pollInterval: 2000, logger: workerLogger(log) });
  runner.events.on('job:error', ({ job, error }) => log.warn({ task: job.task_identifier, attempts: job.attempts, err: error }, 'job failed; will retry'));
  return runner;
}
