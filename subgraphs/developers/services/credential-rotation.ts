/**
 * `rotateCredential`: a new credential (new secret, same app, plan, products and metadata) replaces
 * an ACTIVE one, which keeps working for a grace period and is then revoked by jobs enqueued in
 * the same transaction.
 */
import type { Caller } from '../../../common/auth';
import { refusal } from '../../../common/errors';
import { checkIdempotencyKey, idempotentCall, requestHash, runIdempotent, type FirstResult } from '../../../common/idempotency';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { Validation } from '../../../common/mutation';
import { loadPlanOffer, type PlanOffer } from '../contracts/offer';
import { Credential, CredentialStatus, effectiveCredentialStatus } from '../entities/credential';
import { Organization } from '../entities/organization';
import { AccessRequestEventType } from '../entities/access-request-event';
import { emitAccessEvent } from './events';
import { openSecret, sealSecret } from '../secrets';
import { DEFAULT_GRACE_PERIOD_SECONDS, MAX_GRACE_PERIOD_SECONDS, ROTATION_REPLAY_SECRET_MS } from '../settings';
import { authorizeCredential, requireActive } from './authorize';
import { cancelExpiryWarning, issueCredential, runAtFor, type RevealResult } from './credentials';
import type { Ops } from '../../../common/ops';

export type RotateResult = RevealResult & { replacedCredential: Credential | null };

export interface RotateCredentialCommand {
  id: string;
  gracePeriodSeconds?: number | null;
  idempotencyKey?: string | null;
}

/** The plan settings a rotation needs; an old credential's own lifetime if the plan is gone. */
function planForRotation(plan: PlanOffer | null, old: Credential): PlanOffer {
  if (plan) return plan;
  const lifetime = old.expiresAt ? Math.round((old.expiresAt.getTime() - old.createdAt.getTime()) / 1000) : null;
  return {
    id: old.planId,
    name: '',
    status: 'UNKNOWN',
    catalogIds: [],
    autoApprove: false,
    accessRequestAllowance: null,
    accessRequestRenewalSeconds: null,
    keyExpiresAfterSeconds: lifetime,
    credentialMetadata: {},
    credentialKind: old.kind,
  };
}

/** Replaces an ACTIVE, not yet rotated credential with a new one (the work of `rotateCredential`). */
async function rotate(ops: Ops, old: Credential, grace: number, subject: string): Promise<RotateResult> {
  const { em, now } = ops;
  requireActive(await em.findOneOrFail(Organization, { id: old.organizationId }, { refresh: true }));
  if (effectiveCredentialStatus(old, now) !== CredentialStatus.ACTIVE) {
    throw refusal('CREDENTIAL_NOT_ACTIVE', 'input.id', 'Only ACTIVE credentials can be rotated: request access again.');
  }
  if (old.revokesAt !== null) {
    throw refusal('ALREADY_ROTATED', 'input.id', 'This credential was rotated already: rotate the credential that replaced it.');
  }
  const plan = planForRotation(await loadPlanOffer(em, old.planId), old);
  const { credential, secret } = await issueCredential(ops, {
    appId: old.appId,
    organizationId: old.organizationId,
    plan,
    productIds: old.productIds,
    requestedBy: old.requestedBy,
    approvedBy: null,
    createdBy: subject,
    accessRequestId: old.accessRequestId,
    revealable: false,
    replaces: old,
    kind: old.kind,
  });
  const revokesAt = new Date(now.getTime() + grace * 1000);
  old.revokesAt = revokesAt;
  old.revealSecretEncrypted = null;
  old.version += 1;
  old.updatedAt = now;
  await em.flush();
  const runAt = runAtFor(revokesAt, now);
  await enqueueJob(em, JOB_TASKS.revokeKey, { credentialId: old.id }, { jobKey: `revoke:${old.id}`, runAt });
  await enqueueJob(em, JOB_TASKS.credentialRevoked, { credentialId: old.id }, { jobKey: `credential-revoked:${old.id}`, runAt });
  // The old credential's countdown ends: the new one has its own.
  await cancelExpiryWarning(em, old.id);
  await emitAccessEvent(ops.pubsub, em, {
    type: AccessRequestEventType.CREDENTIAL_ROTATED,
    organizationId: credential.organizationId,
    accessRequestId: credential.accessRequestId,
    credentialId: credential.id,
    at: now,
  });
  return { credential, secret, replacedCredential: old };
}

/**
 * The first result of a rotation, for a retry with its idempotency key: the same new and replaced
 * credentials, and the new secret again while the replay window lasts and the new credential is
 * still ACTIVE and not rotated again (a secret that no longer works, or was replaced, is not shown).
 */
async function replayRotation(ops: Ops, first: FirstResult): Promise<RotateResult> {
  const { em, now } = ops;
  const credential = await em.findOneOrFail(Credential, { id: first.resultId }, { refresh: true });
  const replacedCredential = credential.replacesCredentialId
    ? await em.findOne(Credential, { id: credential.replacesCredentialId }, { refresh: true })
    : null;
  const showable =
    first.resultSecretEncrypted !== null &&
    now.getTime() - first.createdAt.getTime() < ROTATION_REPLAY_SECRET_MS &&
    effectiveCredentialStatus(credential, now) === CredentialStatus.ACTIVE &&
    credential.revokesAt === null;
  return { credential, secret: showable ? openSecret(first.resultSecretEncrypted!, ops.env) : null, replacedCredential };
}

/** `rotateCredential`: members of the credential's ACTIVE organization. */
export async function rotateCredential(ops: Ops, caller: Caller, input: RotateCredentialCommand): Promise<RotateResult> {
  const { em, now } = ops;
  const subject = caller.requireAuthenticated();
  const grace = input.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
  const { credential: old } = await authorizeCredential(caller, em, input.id, false);
  const v = new Validation().check(
    Number.isInteger(grace) && grace >= 0 && grace <= MAX_GRACE_PERIOD_SECONDS,
    'input.gracePeriodSeconds',
    `Give a grace period of 0 to ${MAX_GRACE_PERIOD_SECONDS} seconds (30 days).`,
  );
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('developers', subject, 'rotateCredential', input.idempotencyKey, {
    id: old.id,
    gracePeriodSeconds: grace,
  });
  return runIdempotent<RotateResult>(em, idempotency, now, {
    replay: (first) => replayRotation(ops, first),
    resultOf: (result) => ({
      id: result.credential!.id,
      secretEncrypted: result.secret === null ? null : sealSecret(result.secret, ops.env),
    }),
    run: async () => {
      const result = await rotate(ops, old, grace, subject);
      if (idempotency && result.secret !== null) {
        // The sealed copy the key keeps for replays is erased when the replay window ends.
        await enqueueJob(
          em,
          JOB_TASKS.forgetReplaySecret,
          { subject, operation: idempotency.operation, key: idempotency.key, createdAt: now.toISOString() },
          {
            jobKey: `replay-secret:${requestHash([subject, idempotency.operation, idempotency.key])}`,
            runAt: new Date(now.getTime() + ROTATION_REPLAY_SECRET_MS),
          },
        );
      }
      return result;
    },
  });
}
