/**
 * Bulk plan migration (`migratePlanSubscribers`, `planMigration`): every ACTIVE credential of one
 * plan moved to another, as the plan change of an access request moves one — same credential,
 * secret and Tyk key, quota counters kept (`moveCredentialToPlan`). The mutation fixes the
 * credentials it covers (its items) and checks each against the target plan; a dry run stops
 * there (PREVIEW). A run enqueues `developers.migratePlanSubscribers`, which moves the pending
 * items a batch per transaction, so progress is visible and a restart resumes where it stopped.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { refusal } from '../../../common/errors';
import { checkIdempotencyKey, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import type { Ops } from '../../../common/ops';
import { recordWebhookEvent } from '../../../common/webhooks';
import { readCredentialTraffic } from '../../../common/contracts/credential-usage';
import { loadPlanOffer, loadProductOffers, organizationCatalogIds, type PlanOffer, type ProductOffer } from '../contracts/offer';
import { AccessRequestEventType } from '../entities/access-request-event';
import { Credential, CredentialStatus, effectiveCredentialStatus, StoredCredentialStatus } from '../entities/credential';
import {
  PlanMigration,
  PlanMigrationItem,
  PlanMigrationItemStatus,
  PlanMigrationStatus,
  PlanMigrationStep,
  PlanMigrationStepAction,
} from '../entities/plan-migration';
import { moveCredentialToPlan } from './credentials';
import { emitAccessEvent } from './events';
import { checkReason } from './validation';
import {
  cohortBucket,
  judgeStage,
  STAGING_DEFAULTS,
  stagingProblems,
  type Figures,
  type StagingInput,
  stepFigures,
} from '../../../common/staging';

/** The most credentials one migration covers (larger plans: migrate in several runs, e.g. after a first one completed). */
export const MAX_MIGRATION_CREDENTIALS = 5000;
/** Credentials moved per transaction by the job. */
export const MIGRATION_BATCH = 50;

export interface MigratePlanSubscribersCommand {
  fromPlanId: string;
  toPlanId: string;
  reason: string;
  dryRun?: boolean | null;
  /** Move in stages (a deterministic cohort), judging each from usage before widening. */
  staged?: StagingInput | null;
  idempotencyKey?: string | null;
}

export interface PlanMigrationCounts {
  total: number;
  pending: number;
  moved: number;
  failed: number;
  rolledBack: number;
  organizations: number;
}

type Problem = { code: string; message: string };

/**
 * Whether a credential may move to the target plan: the plan must be offered to the credential's
 * organization (a catalog it can see, through the member who asked for the credential for
 * team-private catalogs) together with each of the credential's products — what `requestAccess`
 * would require for a plan change. Caches the published views' answers for one migration batch.
 */
class Eligibility {
  private readonly catalogs = new Map<string, Set<string>>();
  private readonly products = new Map<string, ProductOffer | null>();

  constructor(
    private readonly em: EntityManager,
    private readonly plan: PlanOffer,
  ) {}

  async problem(credential: Credential): Promise<Problem | null> {
    const key = `${credential.organizationId}|${credential.requestedBy}`;
    let catalogs = this.catalogs.get(key);
    if (!catalogs) {
      catalogs = await organizationCatalogIds(this.em, credential.organizationId, credential.requestedBy);
      this.catalogs.set(key, catalogs);
    }
    const visible = this.plan.catalogIds.filter((id) => catalogs.has(id));
    if (!visible.length) {
      return {
        code: 'PLAN_NOT_OFFERED',
        message: 'The target plan is in no catalog the credential’s organization can see: the credential stays under its plan.',
      };
    }
    const missing = credential.productIds.filter((id) => !this.products.has(id));
    if (missing.length) {
      const found = await loadProductOffers(this.em, missing);
      for (const id of missing) this.products.set(id, found.get(id) ?? null);
    }
    for (const id of credential.productIds) {
      const offer = this.products.get(id);
      if (!offer || !offer.catalogIds.some((c) => visible.includes(c))) {
        return {
          code: 'PRODUCT_NOT_OFFERED',
          message: `Product ${id} of the credential is not offered with the target plan in a catalog the organization can see: the credential stays under its plan.`,
        };
      }
    }
    return null;
  }
}

function isWorking(credential: Credential, now: Date): boolean {
  return credential.status === StoredCredentialStatus.ACTIVE && effectiveCredentialStatus(credential, now) === CredentialStatus.ACTIVE;
}

/**
 * `migratePlanSubscribers`: portal admins only (checked by the caller: `subject`; a run, not a dry
 * run, also needs MFA). Creates the migration with its items; a run enqueues the job that moves them.
 */
export async function migratePlanSubscribers(
  ops: Ops,
  subject: string,
  input: MigratePlanSubscribersCommand,
): Promise<{ planMigration: PlanMigration | null }> {
  const { em, now } = ops;
  const fromPlanId = input.fromPlanId.trim().toLowerCase();
  const toPlanId = input.toPlanId.trim().toLowerCase();
  const reason = input.reason.trim();
  const dryRun = input.dryRun ?? false;
  const v = new Validation();
  v.check(fromPlanId !== toPlanId, 'input.toPlanId', 'Give a target plan other than the plan whose subscribers move.');
  checkReason(v, reason, 'input.reason');
  const staged = input.staged ?? null;
  if (staged) for (const problem of stagingProblems(staged)) v.fail(`input.staged.${problem.field}`, problem.message);
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const staging = staged && {
    stages: [...staged.stages],
    stageDurationSeconds: staged.stageDurationSeconds,
    maxErrorRateDeltaPercent: staged.maxErrorRateDeltaPercent ?? STAGING_DEFAULTS.maxErrorRateDeltaPercent,
    maxLatencyRatioPercent: staged.maxLatencyRatioPercent ?? STAGING_DEFAULTS.maxLatencyRatioPercent,
    minRequests: staged.minRequests ?? STAGING_DEFAULTS.minRequests,
  };
  const idempotency = idempotentCall('developers', subject, 'migratePlanSubscribers', input.idempotencyKey, {
    fromPlanId,
    toPlanId,
    reason,
    dryRun,
    staging,
  });
  return runIdempotent(em, idempotency, now, {
    replay: async (first) => ({ planMigration: await em.findOneOrFail(PlanMigration, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.planMigration!.id }),
    run: async () => {
      const from = await loadPlanOffer(em, fromPlanId);
      if (!from) throw refusal('NOT_FOUND', 'input.fromPlanId', 'No plan has this id.');
      const to = await loadPlanOffer(em, toPlanId);
      if (!to) throw refusal('NOT_FOUND', 'input.toPlanId', 'No plan has this id.');
      if (to.status !== 'PUBLISHED') {
        throw refusal(
          'PLAN_NOT_PUBLISHED',
          'input.toPlanId',
          `The target plan is ${to.status}, not PUBLISHED: subscribers can only be moved to a published plan.`,
        );
      }
      if (!dryRun) {
        await em
          .getConnection()
          .execute(`select pg_advisory_xact_lock(hashtext(?))`, [`plan-migration:${fromPlanId}`], 'all', em.getTransactionContext());
        const running = await em.findOne(PlanMigration, { fromPlanId, status: PlanMigrationStatus.RUNNING });
        if (running) {
          throw refusal(
            'PLAN_MIGRATION_RUNNING',
            'input.fromPlanId',
            `Migration ${running.id} is moving this plan’s subscribers already: wait until it is COMPLETED (\`planMigration\`).`,
          );
        }
      }
      // The working ones: ACTIVE, not expired, not past a rotation's end (what `isWorking` says, in SQL, so the bound is exact).
      const credentials = await em.find(
        Credential,
        {
          planId: fromPlanId,
          status: StoredCredentialStatus.ACTIVE,
          $and: [{ $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] }, { $or: [{ revokesAt: null }, { revokesAt: { $gt: now } }] }],
        },
        { orderBy: { createdAt: 'asc', id: 'asc' }, limit: MAX_MIGRATION_CREDENTIALS + 1 },
      );
      if (credentials.length > MAX_MIGRATION_CREDENTIALS) {
        throw refusal(
          'TOO_MANY_CREDENTIALS',
          'input.fromPlanId',
          `The plan has more than ${MAX_MIGRATION_CREDENTIALS} ACTIVE credentials: one migration moves at most ${MAX_MIGRATION_CREDENTIALS}; run another once it has completed.`,
        );
      }
      const migration = em.create(PlanMigration, {
        fromPlanId,
        toPlanId,
        status: dryRun ? PlanMigrationStatus.PREVIEW : PlanMigrationStatus.RUNNING,
        reason,
        startedBy: subject,
        createdAt: now,
        ...(staging ? { ...staging, stageIndex: 0 } : {}),
      });
      // Items point at the migration (foreign key) but are not an ORM relation: the row goes first.
      await em.flush();
      const eligibility = new Eligibility(em, to);
      for (const credential of credentials) {
        const problem = await eligibility.problem(credential);
        em.create(PlanMigrationItem, {
          migrationId: migration.id,
          credentialId: credential.id,
          organizationId: credential.organizationId,
          appId: credential.appId,
          status: problem ? PlanMigrationItemStatus.FAILED : PlanMigrationItemStatus.PENDING,
          errorCode: problem?.code ?? null,
          errorMessage: problem?.message ?? null,
          cohortBucket: cohortBucket(migration.id, credential.id),
        });
      }
      await em.flush();
      if (!dryRun) {
        await enqueueJob(
          em,
          JOB_TASKS.migratePlanSubscribers,
          { planMigrationId: migration.id },
          { jobKey: `plan-migration:${migration.id}` },
        );
      }
      return { planMigration: migration };
    },
  });
}

/** Counts of a migration's items by status, and the organizations it covers. */
export async function migrationCounts(em: EntityManager, migrationId: string): Promise<PlanMigrationCounts> {
  const rows = await em.getConnection().execute<{ status: string; n: string; orgs: string }[]>(
    `select status, count(*) as n, count(distinct organization_id) as orgs from developers.plan_migration_item
      where migration_id = ? group by rollup (status)`,
    [migrationId],
    'all',
    em.getTransactionContext(),
  );
  const counts: PlanMigrationCounts = { total: 0, pending: 0, moved: 0, failed: 0, rolledBack: 0, organizations: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    if (row.status === null) {
      counts.total = n;
      counts.organizations = Number(row.orgs);
    } else if (row.status === PlanMigrationItemStatus.PENDING) counts.pending = n;
    else if (row.status === PlanMigrationItemStatus.MOVED) counts.moved = n;
    else if (row.status === PlanMigrationItemStatus.FAILED) counts.failed = n;
    else if (row.status === PlanMigrationItemStatus.ROLLED_BACK) counts.rolledBack = n;
  }
  return counts;
}

/**
 * One batch of the job: moves up to `MIGRATION_BATCH` pending items of a RUNNING migration in the
 * transaction of `ops.em`, each checked again (the credential may have been revoked, moved or
 * changed plan, the target plan archived, since the migration was created). When none is left
 * the migration is COMPLETED and PLAN_MIGRATION_COMPLETED recorded. Returns whether more remain.
 */
export async function migrateBatch(ops: Ops, migrationId: string): Promise<boolean> {
  const { em, now } = ops;
  const migration = await em.findOne(PlanMigration, { id: migrationId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!migration || migration.status !== PlanMigrationStatus.RUNNING) return false;
  const percent = stagePercent(migration);
  const inCohort = percent < 100 ? await stageCohort(em, migrationId, percent) : null;
  const items = await em.find(
    PlanMigrationItem,
    {
      migrationId,
      status: PlanMigrationItemStatus.PENDING,
      ...(inCohort ? { credentialId: { $in: inCohort } } : {}),
    },
    { orderBy: { credentialId: 'asc' }, limit: MIGRATION_BATCH, refresh: true },
  );
  if (!items.length && percent < 100) {
    // The stage's cohort has moved: its observation window starts, judged once it has passed.
    if (migration.stageStartedAt === null) {
      migration.stageStartedAt = now;
      migration.holds = 0;
      em.create(PlanMigrationStep, { migrationId, at: now, action: PlanMigrationStepAction.STAGE_MOVED, stagePercent: percent });
      await em.flush();
      await scheduleEvaluation(ops, migration);
    }
    return false;
  }
  if (!items.length) {
    migration.status = PlanMigrationStatus.COMPLETED;
    migration.completedAt = now;
    if (migration.stages) {
      em.create(PlanMigrationStep, { migrationId, at: now, action: PlanMigrationStepAction.COMPLETED, stagePercent: 100 });
    }
    await em.flush();
    const counts = await migrationCounts(em, migrationId);
    await recordWebhookEvent(em, {
      type: 'PLAN_MIGRATION_COMPLETED',
      organizationId: null,
      occurredAt: now,
      data: {
        planMigrationId: migration.id,
        fromPlanId: migration.fromPlanId,
        toPlanId: migration.toPlanId,
        moved: counts.moved,
        failed: counts.failed,
      },
    });
    return false;
  }
  const plan = await loadPlanOffer(em, migration.toPlanId);
  const credentials = new Map(
    (
      await em.find(Credential, { id: { $in: items.map((i) => i.credentialId) } }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    ).map((c) => [c.id, c]),
  );
  const eligibility = plan ? new Eligibility(em, plan) : null;
  const fail = (item: PlanMigrationItem, problem: Problem) => {
    item.status = PlanMigrationItemStatus.FAILED;
    item.errorCode = problem.code;
    item.errorMessage = problem.message;
  };
  for (const item of items) {
    const credential = credentials.get(item.credentialId);
    if (!plan || plan.status !== 'PUBLISHED' || !eligibility) {
      fail(item, {
        code: 'PLAN_NOT_PUBLISHED',
        message: `The target plan is ${plan?.status ?? 'gone'}, not PUBLISHED, so nothing more is moved to it.`,
      });
    } else if (!credential || !isWorking(credential, now)) {
      fail(item, { code: 'CREDENTIAL_NOT_ACTIVE', message: 'The credential was revoked or expired before it was moved.' });
    } else if (credential.planId === plan.id) {
      item.status = PlanMigrationItemStatus.MOVED;
      item.movedAt = now;
    } else if (credential.planId !== migration.fromPlanId) {
      fail(item, { code: 'PLAN_CHANGED', message: 'The credential moved to another plan before the migration reached it.' });
    } else {
      const problem = await eligibility.problem(credential);
      if (problem) fail(item, problem);
      else {
        await moveCredentialToPlan(ops, credential, plan);
        item.status = PlanMigrationItemStatus.MOVED;
        item.movedAt = now;
        await emitAccessEvent(ops.pubsub, em, {
          type: AccessRequestEventType.PLAN_MIGRATED,
          organizationId: credential.organizationId,
          credentialId: credential.id,
          at: now,
          data: { planMigrationId: migration.id, fromPlanId: migration.fromPlanId, toPlanId: plan.id },
        });
      }
    }
  }
  await em.flush();
  return true;
}

/** `planMigration(id)`: portal admins only (checked by the caller). Null when there is none. */
export async function findPlanMigration(em: EntityManager, id: string): Promise<PlanMigration | null> {
  return em.findOne(PlanMigration, { id: id.toLowerCase() });
}

/** Items of a migration, optionally of one status, by credential id; at most `limit`. */
export async function migrationItems(
  em: EntityManager,
  migrationId: string,
  status: PlanMigrationItemStatus | null,
  limit: number,
): Promise<PlanMigrationItem[]> {
  return em.find(PlanMigrationItem, { migrationId, ...(status ? { status } : {}) }, { orderBy: { credentialId: 'asc' }, limit });
}

/**
 * The credentials a stage of `percent` % covers: the first ⌈total × percent / 100⌉ items of the
 * migration in cohort order (`cohortBucket`, then credential id), whatever their status — so a
 * stage holds exactly its share, also of a small plan, and each stage holds the one before.
 */
export async function stageCohort(em: EntityManager, migrationId: string, percent: number): Promise<string[]> {
  const rows = await em.getConnection().execute<{ credential_id: string }[]>(
    `select credential_id::text as credential_id from (
        select credential_id, row_number() over (order by cohort_bucket, credential_id) as rank, count(*) over () as total
          from developers.plan_migration_item where migration_id = ?) ranked
      where rank <= ceil(total * ? / 100.0)`,
    [migrationId, percent],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((r) => r.credential_id);
}

/** The percentage of the cohort the current stage covers (100 for a migration that is not staged). */
export function stagePercent(migration: PlanMigration): number {
  if (!migration.stages || migration.stageIndex === null) return 100;
  return migration.stages[Math.min(migration.stageIndex, migration.stages.length - 1)] ?? 100;
}

/** When the current stage is due for its next evaluation; null while it is moving. */
export function nextEvaluationAt(migration: PlanMigration): Date | null {
  if (migration.status !== PlanMigrationStatus.RUNNING || !migration.stageStartedAt || !migration.stageDurationSeconds) return null;
  return new Date(migration.stageStartedAt.getTime() + (migration.holds + 1) * migration.stageDurationSeconds * 1000);
}

/** The job key of a migration's evaluation: one queued at a time. */
export function evaluationJobKey(migrationId: string): string {
  return `plan-migration-evaluate:${migrationId}`;
}

async function scheduleEvaluation(ops: Ops, migration: PlanMigration): Promise<void> {
  const due = nextEvaluationAt(migration);
  if (!due) return;
  await enqueueJob(
    ops.em,
    JOB_TASKS.evaluatePlanMigration,
    { planMigrationId: migration.id },
    { jobKey: evaluationJobKey(migration.id), runAt: due.getTime() > ops.now.getTime() ? due : undefined },
  );
}

/**
 * The traffic of some credentials from the first whole minute after `from` (the rollups count by
 * minute: the minute a stage's credentials moved in holds traffic of before the move) to `to`, as
 * the usage subgraph publishes it.
 */
function trafficOf(em: EntityManager, credentialIds: string[], from: Date, to: Date): Promise<Figures> {
  const minute = 60_000;
  return readCredentialTraffic(em, credentialIds, new Date(Math.ceil(from.getTime() / minute) * minute), to);
}

/**
 * `developers.evaluatePlanMigration`: judges the current stage of a RUNNING staged migration once
 * its window (one stage duration per evaluation so far, by the subgraph's clock) has passed — early
 * runs schedule themselves for then. Compares the credentials moved so far with those still under
 * the source plan over the stage's window (`judgeStage`), stores the step with its figures, then
 * widens (the next stage's moves are enqueued), holds (evaluated again one duration later) or rolls
 * back (`rollBack`). Idempotent: a migration not waiting for an evaluation is left as it is.
 */
export async function evaluateStage(ops: Ops, migrationId: string): Promise<void> {
  const { em, now } = ops;
  const migration = await em.findOne(PlanMigration, { id: migrationId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!migration || migration.status !== PlanMigrationStatus.RUNNING || !migration.stages || !migration.stageStartedAt) return;
  const due = nextEvaluationAt(migration)!;
  if (due.getTime() > now.getTime()) {
    await scheduleEvaluation(ops, migration);
    return;
  }
  const items = await em.find(PlanMigrationItem, {
    migrationId,
    status: { $in: [PlanMigrationItemStatus.MOVED, PlanMigrationItemStatus.PENDING] },
  });
  const ids = (status: PlanMigrationItemStatus) => items.filter((i) => i.status === status).map((i) => i.credentialId);
  const cohort = await trafficOf(em, ids(PlanMigrationItemStatus.MOVED), migration.stageStartedAt, now);
  const rest = await trafficOf(em, ids(PlanMigrationItemStatus.PENDING), migration.stageStartedAt, now);
  const verdict = judgeStage(
    cohort,
    rest,
    {
      maxErrorRateDeltaPercent: migration.maxErrorRateDeltaPercent ?? STAGING_DEFAULTS.maxErrorRateDeltaPercent,
      maxLatencyRatioPercent: migration.maxLatencyRatioPercent ?? STAGING_DEFAULTS.maxLatencyRatioPercent,
      minRequests: migration.minRequests ?? STAGING_DEFAULTS.minRequests,
    },
    migration.holds,
  );
  const percent = stagePercent(migration);
  const action = {
    WIDEN: PlanMigrationStepAction.WIDENED,
    HOLD: PlanMigrationStepAction.HELD,
    ROLL_BACK: PlanMigrationStepAction.ROLLED_BACK,
  }[verdict.action];
  em.create(PlanMigrationStep, {
    migrationId,
    at: now,
    action,
    stagePercent: percent,
    reason: verdict.reason,
    ...stepFigures(cohort, rest),
  });
  const data = { planMigrationId: migration.id, fromPlanId: migration.fromPlanId, toPlanId: migration.toPlanId };
  if (verdict.action === 'HOLD') {
    migration.holds += 1;
    await em.flush();
    await scheduleEvaluation(ops, migration);
    return;
  }
  if (verdict.action === 'WIDEN') {
    migration.stageIndex = (migration.stageIndex ?? 0) + 1;
    migration.stageStartedAt = null;
    migration.holds = 0;
    await em.flush();
    await recordWebhookEvent(em, {
      type: 'PLAN_MIGRATION_STAGE_ADVANCED',
      organizationId: null,
      occurredAt: now,
      data: { ...data, fromPercent: percent, toPercent: stagePercent(migration) },
    });
    await enqueueJob(em, JOB_TASKS.migratePlanSubscribers, { planMigrationId: migration.id }, { jobKey: `plan-migration:${migration.id}` });
    return;
  }
  await rollBack(ops, migration, verdict.reason);
  await recordWebhookEvent(em, {
    type: 'PLAN_MIGRATION_ROLLED_BACK',
    organizationId: null,
    occurredAt: now,
    data: { ...data, stagePercent: percent, reason: verdict.reason },
  });
}

/**
 * Moves every credential the migration moved back to the source plan (same credential, key and
 * counters, as the move itself), publishing PLAN_MIGRATED for each; the migration ends ROLLED_BACK
 * with the reason. Credentials that left the target plan meanwhile (revoked, moved) are left alone.
 */
async function rollBack(ops: Ops, migration: PlanMigration, reason: string): Promise<void> {
  const { em, now } = ops;
  const source = await loadPlanOffer(em, migration.fromPlanId);
  const moved = await em.find(PlanMigrationItem, { migrationId: migration.id, status: PlanMigrationItemStatus.MOVED });
  const credentials = new Map(
    (
      await em.find(Credential, { id: { $in: moved.map((i) => i.credentialId) } }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    ).map((c) => [c.id, c]),
  );
  for (const item of moved) {
    const credential = credentials.get(item.credentialId);
    if (!source || !credential || credential.planId !== migration.toPlanId || !isWorking(credential, now)) continue;
    await moveCredentialToPlan(ops, credential, source);
    item.status = PlanMigrationItemStatus.ROLLED_BACK;
    await emitAccessEvent(ops.pubsub, em, {
      type: AccessRequestEventType.PLAN_MIGRATED,
      organizationId: credential.organizationId,
      credentialId: credential.id,
      at: now,
      data: { planMigrationId: migration.id, fromPlanId: migration.toPlanId, toPlanId: migration.fromPlanId },
    });
  }
  migration.status = PlanMigrationStatus.ROLLED_BACK;
  migration.rollbackReason = reason;
  migration.completedAt = now;
  await em.flush();
}

/** The steps of a staged migration, oldest first. */
export async function migrationSteps(em: EntityManager, migrationId: string): Promise<PlanMigrationStep[]> {
  return em.find(PlanMigrationStep, { migrationId }, { orderBy: { id: 'asc' } });
}

export interface RollBackPlanMigrationCommand {
  id: string;
  reason: string;
}

/**
 * `rollBackPlanMigration`: portal admins only, with MFA (checked by the caller: `subject`). Stops a
 * RUNNING migration, or undoes a COMPLETED one: every credential it moved that is still under the
 * target plan goes back to the source plan (`rollBack`), with a ROLLED_BACK step giving who and
 * why, and the PLAN_MIGRATION_ROLLED_BACK webhook. Idempotent: a ROLLED_BACK migration is returned
 * as it is.
 */
export async function rollBackPlanMigration(
  ops: Ops,
  subject: string,
  input: RollBackPlanMigrationCommand,
): Promise<{ planMigration: PlanMigration | null }> {
  const { em, now } = ops;
  const reason = input.reason.trim();
  const v = new Validation();
  checkReason(v, reason, 'input.reason');
  v.done();
  const migration = await em.findOne(
    PlanMigration,
    { id: input.id.toLowerCase() },
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  if (!migration) throw refusal('NOT_FOUND', 'input.id', 'No plan migration has this id.');
  if (migration.status === PlanMigrationStatus.ROLLED_BACK) return { planMigration: migration };
  if (migration.status === PlanMigrationStatus.PREVIEW) {
    throw refusal('INVALID_TRANSITION', 'input.id', 'A PREVIEW moved nothing: there is nothing to roll back.');
  }
  const percent = stagePercent(migration);
  const why = `Rolled back by ${subject}: ${reason}`;
  em.create(PlanMigrationStep, {
    migrationId: migration.id,
    at: now,
    action: PlanMigrationStepAction.ROLLED_BACK,
    stagePercent: percent,
    reason: why,
  });
  await rollBack(ops, migration, why);
  await recordWebhookEvent(em, {
    type: 'PLAN_MIGRATION_ROLLED_BACK',
    organizationId: null,
    occurredAt: now,
    data: {
      planMigrationId: migration.id,
      fromPlanId: migration.fromPlanId,
      toPlanId: migration.toPlanId,
      stagePercent: percent,
      reason: why,
    },
  });
  return { planMigration: migration };
}
