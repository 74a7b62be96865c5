import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SyncStatus {
  PENDING = 'PENDING',
  SYNCED = 'SYNCED',
  FAILED = 'FAILED',
  MISSING = 'MISSING',
}

registerEnumType(SyncStatus, {
  name: 'SyncStatus',
  description: 'Whether the provider (Tyk) enforces the current state of a plan, product or credential.',
  valuesConfig: {
    PENDING: {
      description:
        'A change is not in the provider yet (before the first attempt, while a queued change waits for its turn, or while no provider is registered); see `pendingSince`.',
    },
    SYNCED: {
      description:
        'The provider holds the current state (for archived or deleted things: their policy or key is gone, or kept for live keys).',
    },
    FAILED: {
      description:
        'The last attempt failed (see `lastError`); it is retried with back-off (`nextAttemptAt`), nothing is lost; `stuck` once retries run out or it waits too long.',
    },
    MISSING: {
      description: 'The policy or key no longer exists in the provider although the portal expects it (deleted or untagged in Tyk).',
    },
  },
});

/** How a plan, product or credential stands in its provider. */
@ObjectType({ description: 'How a plan, product or credential stands in the provider (Tyk) that enforces it.' })
export class SyncState {
  @Field(() => SyncStatus, { description: 'PENDING, SYNCED, FAILED or MISSING.' })
  status!: SyncStatus;

  @Field(() => ID, {
    nullable: true,
    description: 'The provider that enforces it; null when none is registered (or for callers who are not portal admins).',
  })
  providerId!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Its id in the provider: the Tyk policy id (plans, products) or the first 12 characters of the Tyk key hash (credentials); null when it has none there (or for callers who are not portal admins).',
  })
  externalId!: string | null;

  @Field(() => Int, { description: 'Attempts since the last successful sync, the successful one included (0 before the first attempt).' })
  attempts!: number;

  @Field(() => String, {
    nullable: true,
    description:
      "The provider's message for the last failure; null when the last attempt succeeded (or for callers who are not portal admins).",
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the portal last tried to write it; null before the first attempt.' })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was last written successfully; null if never.' })
  syncedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the oldest change that has not reached the provider yet was made (queued); null when nothing waits. While it is set the status is never SYNCED: the provider still holds the older state.',
  })
  pendingSince: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due; null when nothing waits or an attempt is running now.' })
  nextAttemptAt: Date | null = null;

  @Field(() => Int, {
    description:
      'Times the periodic provider sync (every PROVIDER_SYNC_INTERVAL_SECONDS, or `syncProvider`) found the policy edited or deleted in the provider, out of band, and restored it; always 0 for credentials.',
  })
  repairs = 0;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the last such out-of-band change was found and its restore queued; null if never. While the restore waits the status is PENDING (or MISSING for a deleted policy).',
  })
  lastRepairAt: Date | null = null;

  @Field(() => String, {
    nullable: true,
    description:
      'What the last repair found: the policy fields that differed from the plan or product (e.g. `quota_max`), or that the policy was deleted; null if never.',
  })
  lastRepairReason: string | null = null;

  @Field(() => Boolean, {
    description:
      'True when a change has waited longer than SYNC_STUCK_SECONDS (default 300) without reaching the provider, or its retries are exhausted: someone should look (see `lastError` and the provider’s health).',
  })
  stuck = false;
}

export function syncState(values: Partial<SyncState> & { status: SyncStatus }): SyncState {
  return Object.assign(new SyncState(), {
    providerId: null,
    externalId: null,
    attempts: 0,
    lastError: null,
    lastAttemptAt: null,
    syncedAt: null,
    ...values,
  });
}

/** A queued provider job (graphile-worker) of a plan, product or credential, as `sync` needs it. */
export interface PendingJob {
  createdAt: Date;
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  lockedAt: Date | null;
}

/**
 * Corrects a recorded state with the job queue: a change is in the provider only once its job
 * (queued in the change's own transaction) has finished. Until then the state is not SYNCED and
 * shows how long the change has waited, its attempts and the next one; past `stuckSeconds`, or
 * with its retries spent, it is `stuck`.
 */
export function withPendingJobs(state: SyncState, jobs: (PendingJob | null)[], now: Date, stuckSeconds: number): SyncState {
  // A running job whose run has already recorded the sync is finishing: graphile-worker removes
  // it right after. (A newer change would have been queued as a separate job.)
  const finishing = (job: PendingJob) =>
    job.lockedAt !== null && state.status === SyncStatus.SYNCED && state.syncedAt !== null && state.syncedAt >= job.lockedAt;
  const waiting = jobs.filter((job): job is PendingJob => job !== null && !finishing(job));
  if (!waiting.length) return state;
  const oldest = waiting.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  const exhausted = waiting.some((job) => job.lockedAt === null && job.attempts >= job.maxAttempts);
  const running = waiting.some((job) => job.lockedAt !== null);
  const recorded = state.status === SyncStatus.SYNCED ? 0 : state.attempts;
  state.status = exhausted ? SyncStatus.FAILED : state.status === SyncStatus.SYNCED ? SyncStatus.PENDING : state.status;
  state.pendingSince = oldest.createdAt;
  state.attempts = Math.max(recorded, ...waiting.map((job) => job.attempts));
  state.nextAttemptAt = running || exhausted ? null : new Date(Math.min(...waiting.map((job) => job.runAt.getTime())));
  state.stuck = exhausted || now.getTime() - oldest.createdAt.getTime() > stuckSeconds * 1000;
  return state;
}
