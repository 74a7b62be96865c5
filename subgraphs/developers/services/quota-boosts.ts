/**
 * Temporary quota boosts: `grantQuotaBoost`, `revokeQuotaBoost` and the job that ends a boost at
 * its expiry (`developers.quotaBoostExpired`). Each runs in one transaction: the boost row, the
 * provider job that writes the key's policies (`provider.updateKeyPolicies`, job key
 * `key:<credentialId>`), the expiry job (graphile-worker `run_at` = `expiresAt`, so it survives
 * restarts) and the event commit together or not at all.
 *
 * Who may grant: portal admins (any credential, bounded only by the absolute limits below) and
 * ORG_ADMINs of the credential's organization within the plan's boost allowance
 * (`plans.plan_contract.boost_allowance`: extra quota and rate in percent of the plan's, the
 * longest boost, and boosts per window; null = portal admins only). Everyone else is FORBIDDEN.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { readPlanContracts } from '../../../common/contracts/plans';
import { forbidden, refusal } from '../../../common/errors';
import { idempotentCall, runIdempotent } from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import type { Ops } from '../../../common/ops';
import { AccessRequestEventType } from '../entities/access-request-event';
import { Credential, effectiveCredentialStatus, CredentialStatus } from '../entities/credential';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { QuotaBoost, QuotaBoostStatus } from '../entities/quota-boost';
import { emitAccessEvent } from './events';
import { runAtFor } from './credentials';
import { checkReason } from './validation';

/** Absolute bounds of any boost (portal admins included). */
export const BOOST_LIMITS = {
  minDurationSeconds: 60,
  /** 90 days. */
  maxDurationSeconds: 7_776_000,
  /** A boost adds at most ten times the plan's limit. */
  maxExtraPercent: 1000,
  maxRequests: 1_000_000_000,
} as const;

export interface GrantQuotaBoostCommand {
  credentialId: string;
  extraQuotaRequests?: number | null;
  extraRateRequests?: number | null;
  durationSeconds: number;
  reason: string;
  idempotencyKey?: string | null;
}

export interface BoostCommand {
  id: string;
}

export type BoostResult = { quotaBoost: QuotaBoost | null };

/** The job key of a boost's expiry job. */
export const boostExpiryJobKey = (boostId: string) => `quota-boost-expiry:${boostId}`;

async function keyPoliciesChanged(em: EntityManager, credentialId: string): Promise<void> {
  await enqueueJob(em, JOB_TASKS.updateKeyPolicies, { credentialId }, { jobKey: `key:${credentialId}` });
}

async function isOrgAdmin(em: EntityManager, organizationId: string, subject: string): Promise<boolean> {
  return (await em.count(OrganizationMember, { organization: organizationId, subject, role: OrganizationRole.ORG_ADMIN })) > 0;
}

const DENIED = "Only portal admins and ORG_ADMINs of the credential's organization may grant or revoke its quota boosts.";

/** `grantQuotaBoost`. */
export async function grantQuotaBoost(ops: Ops, caller: Caller, input: GrantQuotaBoostCommand): Promise<BoostResult> {
  const { em, now } = ops;
  const subject = caller.requireAuthenticated();
  const found = isUuid(input.credentialId) ? await em.findOne(Credential, { id: input.credentialId.toLowerCase() }) : null;
  const admin = caller.isPortalAdmin;
  if (!admin && !(found && (await isOrgAdmin(em, found.organizationId, subject)))) throw forbidden(DENIED, OrganizationRole.ORG_ADMIN);
  if (!found) throw refusal('NOT_FOUND', 'input.credentialId', 'No credential has this id.');

  const reason = input.reason.trim();
  const extraQuota = input.extraQuotaRequests ?? null;
  const extraRate = input.extraRateRequests ?? null;
  const v = new Validation();
  checkReason(v, reason, 'input.reason');
  v.check(reason.length <= 500, 'input.reason', 'Keep the reason within 500 characters.');
  v.check(extraQuota !== null || extraRate !== null, 'input.extraQuotaRequests', 'Give extraQuotaRequests, extraRateRequests or both.');
  for (const [value, field] of [
    [extraQuota, 'input.extraQuotaRequests'],
    [extraRate, 'input.extraRateRequests'],
  ] as const) {
    if (value !== null)
      v.check(
        Number.isInteger(value) && value >= 1 && value <= BOOST_LIMITS.maxRequests,
        field,
        'Give between 1 and 1,000,000,000 requests.',
      );
  }
  v.check(
    Number.isInteger(input.durationSeconds) &&
      input.durationSeconds >= BOOST_LIMITS.minDurationSeconds &&
      input.durationSeconds <= BOOST_LIMITS.maxDurationSeconds,
    'input.durationSeconds',
    'Give a duration between 60 seconds and 7,776,000 seconds (90 days).',
  );
  v.done();

  const idempotency = idempotentCall('developers', subject, 'grantQuotaBoost', input.idempotencyKey, {
    credentialId: found.id,
    extraQuota,
    extraRate,
    durationSeconds: input.durationSeconds,
    reason,
  });
  return runIdempotent(em, idempotency, now, {
    replay: async (first) => ({ quotaBoost: await em.findOneOrFail(QuotaBoost, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.quotaBoost!.id }),
    run: async () => {
      const credential = await em.findOneOrFail(Credential, { id: found.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
      if (effectiveCredentialStatus(credential, now) !== CredentialStatus.ACTIVE || credential.revokesAt !== null) {
        throw refusal('CREDENTIAL_NOT_ACTIVE', 'input.credentialId', 'Only ACTIVE credentials that are not rotated out can be boosted.');
      }
      const plan = (
        await readPlanContracts(
          em,
          [credential.planId],
          ['quota_requests', 'quota_period_seconds', 'rate_requests', 'rate_per_seconds', 'boost_allowance'],
        )
      ).get(credential.planId);
      if (!plan) throw refusal('NOT_FOUND', 'input.credentialId', 'The credential’s plan no longer exists.');
      const quotaLimited = plan.quota_requests !== null && plan.quota_period_seconds !== null;
      const rateLimited = plan.rate_requests !== null && plan.rate_per_seconds !== null;
      const check = new Validation();
      if (extraQuota !== null && !quotaLimited)
        check.fail('input.extraQuotaRequests', 'The plan has no quota (it is unlimited): there is nothing to boost.', 'NOTHING_TO_BOOST');
      if (extraRate !== null && !rateLimited)
        check.fail('input.extraRateRequests', 'The plan has no rate limit: there is nothing to boost.', 'NOTHING_TO_BOOST');
      check.done();

      const allowance = admin ? null : plan.boost_allowance;
      if (!admin && !allowance) {
        throw refusal(
          'BOOST_NOT_ALLOWED',
          'input.credentialId',
          'The plan lets only portal admins grant quota boosts (it has no boost allowance): ask a portal admin.',
        );
      }
      const maxPercent = allowance ? { quota: allowance.maxExtraQuotaPercent, rate: allowance.maxExtraRatePercent } : null;
      const within = new Validation();
      const capOf = (limit: number, percent: number) => Math.floor((limit * percent) / 100);
      if (extraQuota !== null) {
        const percent = maxPercent?.quota ?? BOOST_LIMITS.maxExtraPercent;
        const cap = capOf(plan.quota_requests!, percent);
        within.check(
          extraQuota <= cap,
          'input.extraQuotaRequests',
          `At most ${cap} extra requests per quota period (${percent}% of the plan’s ${plan.quota_requests}).`,
          allowance ? 'BOOST_NOT_ALLOWED' : 'VALIDATION_FAILED',
        );
      }
      if (extraRate !== null) {
        const percent = maxPercent?.rate ?? BOOST_LIMITS.maxExtraPercent;
        const cap = capOf(plan.rate_requests!, percent);
        within.check(
          extraRate <= cap,
          'input.extraRateRequests',
          `At most ${cap} extra requests per rate window (${percent}% of the plan’s ${plan.rate_requests}).`,
          allowance ? 'BOOST_NOT_ALLOWED' : 'VALIDATION_FAILED',
        );
      }
      if (allowance) {
        within.check(
          input.durationSeconds <= allowance.maxDurationSeconds,
          'input.durationSeconds',
          `The plan allows boosts of at most ${allowance.maxDurationSeconds} seconds.`,
          'BOOST_NOT_ALLOWED',
        );
      }
      within.done();

      const active = await em.findOne(QuotaBoost, { credentialId: credential.id, status: QuotaBoostStatus.ACTIVE });
      if (active) {
        throw refusal(
          'BOOST_ACTIVE',
          'input.credentialId',
          `The credential has an ACTIVE boost already (until ${active.expiresAt.toISOString()}): revoke it first (revokeQuotaBoost).`,
        );
      }
      if (allowance) {
        const since = new Date(now.getTime() - allowance.windowSeconds * 1000);
        const recent = await em.find(
          QuotaBoost,
          { credentialId: credential.id, grantedByPortalAdmin: false, createdAt: { $gt: since } },
          { orderBy: { createdAt: 'asc' } },
        );
        if (recent.length >= allowance.maxBoosts) {
          const leaving = recent[recent.length - allowance.maxBoosts];
          const retryAfter = Math.max(1, Math.ceil((leaving.createdAt.getTime() + allowance.windowSeconds * 1000 - now.getTime()) / 1000));
          throw refusal(
            'BOOST_LIMIT_REACHED',
            'input.credentialId',
            `The plan allows ${allowance.maxBoosts} boost(s) per credential every ${allowance.windowSeconds} seconds (revoked ones count too). Try again in ${retryAfter} seconds.`,
            retryAfter,
          );
        }
      }

      const expiresAt = new Date(now.getTime() + input.durationSeconds * 1000);
      const boost = em.create(QuotaBoost, {
        credentialId: credential.id,
        organizationId: credential.organizationId,
        appId: credential.appId,
        planId: credential.planId,
        extraQuotaRequests: extraQuota,
        extraRateRequests: extraRate,
        quotaMax: extraQuota === null ? null : Math.min(plan.quota_requests! + extraQuota, 2_147_483_647),
        quotaPeriodSeconds: extraQuota === null ? null : plan.quota_period_seconds,
        rateRequests: extraRate === null ? null : Math.min(plan.rate_requests! + extraRate, 2_147_483_647),
        ratePerSeconds: extraRate === null ? null : plan.rate_per_seconds,
        startsAt: now,
        expiresAt,
        status: QuotaBoostStatus.ACTIVE,
        reason,
        grantedBy: subject,
        grantedByPortalAdmin: admin,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      await keyPoliciesChanged(em, credential.id);
      await enqueueJob(
        em,
        JOB_TASKS.quotaBoostExpired,
        { quotaBoostId: boost.id },
        { jobKey: boostExpiryJobKey(boost.id), runAt: expiresAt },
      );
      await emitAccessEvent(ops.pubsub, em, {
        type: AccessRequestEventType.QUOTA_BOOST_GRANTED,
        organizationId: credential.organizationId,
        credentialId: credential.id,
        quotaBoostId: boost.id,
        at: now,
        data: { quotaMax: boost.quotaMax, rateRequests: boost.rateRequests, expiresAt: expiresAt.toISOString() },
      });
      return { quotaBoost: boost };
    },
  });
}

/** `revokeQuotaBoost`: ends an ACTIVE boost now (a boost that ended already is returned as it is). */
export async function revokeQuotaBoost(ops: Ops, caller: Caller, input: BoostCommand): Promise<BoostResult> {
  const { em, now } = ops;
  const subject = caller.requireAuthenticated();
  const found = isUuid(input.id) ? await em.findOne(QuotaBoost, { id: input.id.toLowerCase() }) : null;
  if (!caller.isPortalAdmin && !(found && (await isOrgAdmin(em, found.organizationId, subject))))
    throw forbidden(DENIED, OrganizationRole.ORG_ADMIN);
  if (!found) throw refusal('NOT_FOUND', 'input.id', 'No quota boost has this id.');
  const boost = await em.findOneOrFail(QuotaBoost, { id: found.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (boost.status !== QuotaBoostStatus.ACTIVE) return { quotaBoost: boost };
  boost.status = QuotaBoostStatus.REVOKED;
  boost.endedAt = now;
  boost.revokedBy = subject;
  boost.updatedAt = now;
  await em.flush();
  await em
    .getConnection()
    .execute(`select graphile_worker.remove_job(?)`, [boostExpiryJobKey(boost.id)], 'all', em.getTransactionContext());
  await keyPoliciesChanged(em, boost.credentialId);
  await emitAccessEvent(ops.pubsub, em, {
    type: AccessRequestEventType.QUOTA_BOOST_REVOKED,
    organizationId: boost.organizationId,
    credentialId: boost.credentialId,
    quotaBoostId: boost.id,
    at: now,
  });
  return { quotaBoost: boost };
}

/**
 * The handler of `developers.quotaBoostExpired { quotaBoostId }` (due at the boost's
 * `expiresAt`): marks an ACTIVE boost EXPIRED as of its `expiresAt`, has the provider take its
 * policy off the key and publishes QUOTA_BOOST_EXPIRED. A job that runs early by this subgraph's
 * clock is scheduled again for `expiresAt`; a boost that ended already is left alone.
 */
export async function expireQuotaBoost(ops: Ops, boostId: string): Promise<void> {
  const { em, now } = ops;
  const boost = await em.findOne(QuotaBoost, { id: boostId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!boost || boost.status !== QuotaBoostStatus.ACTIVE) return;
  if (boost.expiresAt.getTime() > now.getTime()) {
    await enqueueJob(
      em,
      JOB_TASKS.quotaBoostExpired,
      { quotaBoostId: boost.id },
      { jobKey: boostExpiryJobKey(boost.id), runAt: runAtFor(boost.expiresAt, now) },
    );
    return;
  }
  boost.status = QuotaBoostStatus.EXPIRED;
  boost.endedAt = boost.expiresAt;
  boost.updatedAt = now;
  await em.flush();
  await keyPoliciesChanged(em, boost.credentialId);
  await emitAccessEvent(ops.pubsub, em, {
    type: AccessRequestEventType.QUOTA_BOOST_EXPIRED,
    organizationId: boost.organizationId,
    credentialId: boost.credentialId,
    quotaBoostId: boost.id,
    at: boost.expiresAt,
  });
}
