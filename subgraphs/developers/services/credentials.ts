import { LockMode } from '@mikro-orm/core';
import type { Caller } from '../../../common/auth';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { credentialExpiryWarningSeconds } from '../../../common/config';
import { forbidden, refusal } from '../../../common/errors';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import type { PlanOffer } from '../contracts/offer';
import { AccessRequest, AccessRequestKind, AccessRequestStatus } from '../entities/access-request';
import { Credential, CredentialKind, CredentialStatus, effectiveCredentialStatus, StoredCredentialStatus } from '../entities/credential';
import { AccessRequestEventType } from '../entities/access-request-event';
import { cancelUnusedRevocationJob, clearUnusedRevocation } from './access-review';
import { emitAccessEvent } from './events';
import { generateSecret, openSecret, sealSecret } from '../secrets';
import { authorizeCredential } from './authorize';
import type { Ops } from '../../../common/ops';

/**
 * What happens to access requests and credentials, shared by the mutations and the job handlers,
 * and the credential use cases `revealCredentialSecret` and `revokeCredential` (rotation:
 * `credential-rotation.ts`).
 * Everything runs inside the caller's transaction (`em`): rows, jobs (transactional outbox) and
 * realtime events commit together or not at all.
 */

/**
 * Provider job that registers (or updates) a credential's OAuth2 client at the identity provider.
 * Payload { credentialId }; job key `oauth-client:<credentialId>`. The provider answers with
 * `developers.clientRegistered` (see jobs/credentials.ts). Task names are the contract between the two
 * subgraphs, spelled out on both sides (neither imports the other's code).
 */
export const REGISTER_CLIENT_TASK = 'provider.registerClient';

/** Asks the provider to register (or bring up to date) the OAuth2 client of a credential. */
export async function enqueueClientRegistration(em: EntityManager, credentialId: string): Promise<void> {
  await enqueueJob(em, REGISTER_CLIENT_TASK, { credentialId }, { jobKey: `oauth-client:${credentialId}` });
}

/** `runAt` for a job due at `at`: undefined (run at once) when that is not in the future. */
export function runAtFor(at: Date, now: Date): Date | undefined {
  return at.getTime() > now.getTime() ? at : undefined;
}

/** The metadata a credential carries: the plan's, plus the ids the platform sets. */
export function credentialMetadata(
  plan: PlanOffer,
  ids: { developerSubject: string; appId: string; organizationId: string },
): Record<string, string> {
  return { ...plan.credentialMetadata, DeveloperID: ids.developerSubject, ApplicationID: ids.appId, OrganisationID: ids.organizationId };
}

/** A credential that currently works: ACTIVE, not expired and not rotated out. */
export function isCurrent(credential: Credential, now: Date): boolean {
  return effectiveCredentialStatus(credential, now) === CredentialStatus.ACTIVE && credential.revokesAt === null;
}

export function sameProducts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const left = [...a].sort();
  const right = [...b].sort();
  return left.every((id, i) => id === right[i]);
}

/**
 * The stages of the expiring-credential countdown after the first warning
 * (CREDENTIAL_EXPIRY_WARNING_SECONDS before `expiresAt`, 7 days by default): 1 day and 1 hour
 * before it. Stages longer than the first warning are left out.
 */
export const EXPIRY_COUNTDOWN_SECONDS: readonly number[] = [86_400, 3_600];

/** The countdown's lead times, longest first: the configured first warning, then the later stages. */
export function expiryLeadTimes(env: NodeJS.ProcessEnv): number[] {
  const first = credentialExpiryWarningSeconds(env);
  return [first, ...EXPIRY_COUNTDOWN_SECONDS.filter((lead) => lead < first)];
}

/** The job key of a credential's countdown: one queued stage at a time, replaced by a new schedule. */
export function expiryJobKey(credentialId: string): string {
  return `credential-expiring:${credentialId}`;
}

/**
 * Schedules the next CREDENTIAL_EXPIRING stage of a credential with an expiry (replacing an earlier
 * schedule): `developers.credentialExpiring` at `leadSeconds` before `expiresAt` (now when that
 * has passed). The job publishes the stage due when it runs and schedules the one after.
 */
export async function scheduleExpiryWarning(ops: Ops, credential: Credential, leadSeconds?: number): Promise<void> {
  if (!credential.expiresAt) return;
  const lead = leadSeconds ?? expiryLeadTimes(ops.env)[0];
  const warnAt = new Date(credential.expiresAt.getTime() - lead * 1000);
  await enqueueJob(
    ops.em,
    JOB_TASKS.credentialExpiring,
    { credentialId: credential.id, expiresAt: credential.expiresAt.toISOString() },
    { jobKey: expiryJobKey(credential.id), runAt: runAtFor(warnAt, ops.now) },
  );
}

/** Drops a credential's queued countdown stage (revoked or rotated out: it will never fire). */
export async function cancelExpiryWarning(em: EntityManager, credentialId: string): Promise<void> {
  await em.getConnection().execute(`select graphile_worker.remove_job(?)`, [expiryJobKey(credentialId)], 'all', em.getTransactionContext());
}

export interface IssueCredential {
  appId: string;
  organizationId: string;
  plan: PlanOffer;
  productIds: string[];
  /** Subject of the member whose request this grants (DeveloperID). */
  requestedBy: string;
  /** Portal admin who approved (manual approval); null for automatic approval and rotation. */
  approvedBy: string | null;
  createdBy: string;
  accessRequestId: string | null;
  /**
   * True when the secret is shown later by `revealCredentialSecret` (manual approval): an
   * encrypted copy is kept for that. False when the caller shows it in its result right away.
   */
  revealable: boolean;
  /** Rotation: the credential this one replaces, and the metadata to copy. */
  replaces?: Credential;
  /** What to issue (default: the plan's `credentialKind`; a rotation keeps the old credential's kind). */
  kind?: CredentialKind;
}

/** What every credential of a grant has, whatever its kind: whose it is, what it covers, until when, who asked. */
function grantFields(ops: Ops, input: IssueCredential) {
  const lifetime = input.plan.keyExpiresAfterSeconds;
  return {
    appId: input.appId,
    organizationId: input.organizationId,
    planId: input.plan.id,
    productIds: [...input.productIds].sort(),
    status: StoredCredentialStatus.ACTIVE,
    expiresAt: lifetime === null ? null : new Date(ops.now.getTime() + lifetime * 1000),
    replacesCredentialId: input.replaces?.id ?? null,
    metadata: input.replaces
      ? { ...input.replaces.metadata }
      : credentialMetadata(input.plan, { developerSubject: input.requestedBy, appId: input.appId, organizationId: input.organizationId }),
    requestedBy: input.requestedBy,
    approvedBy: input.approvedBy,
    createdBy: input.createdBy,
    accessRequestId: input.accessRequestId,
    createdAt: ops.now,
    updatedAt: ops.now,
    version: 1,
  };
}

/**
 * Creates a credential with a new secret and asks the provider to create its key. Returns the
 * secret: the caller either shows it once (and nowhere else) or drops it (`revealable`).
 */
export async function issueCredential(ops: Ops, input: IssueCredential): Promise<{ credential: Credential; secret: string | null }> {
  const kind = input.kind ?? (input.plan.credentialKind === 'OAUTH_CLIENT' ? CredentialKind.OAUTH_CLIENT : CredentialKind.API_KEY);
  if (kind === CredentialKind.OAUTH_CLIENT) return issueOAuthClient(ops, input);
  const { secret, prefix, hash } = generateSecret();
  const credential = ops.em.create(Credential, {
    prefix,
    secretHash: hash,
    pendingSecretEncrypted: sealSecret(secret, ops.env),
    pendingSecretVersion: 1,
    revealSecretEncrypted: input.revealable ? sealSecret(secret, ops.env) : null,
    secretRevealed: !input.revealable,
    ...grantFields(ops, input),
  });
  await ops.em.flush();
  await enqueueJob(ops.em, JOB_TASKS.issueKey, { credentialId: credential.id }, { jobKey: `key:${credential.id}` });
  await scheduleExpiryWarning(ops, credential);
  return { credential, secret };
}

/**
 * An OAuth2 client credential: the row now, the client later. The identity provider makes the
 * client secret (RFC 7591), so there is nothing to show yet: the provider registers the client
 * (`provider.registerClient`) and hands the secret back encrypted for a one-time reveal by a
 * member (`revealCredentialSecret`), for automatic approvals and rotations too. Returns no secret.
 */
async function issueOAuthClient(ops: Ops, input: IssueCredential): Promise<{ credential: Credential; secret: null }> {
  const id = randomUUID();
  const credential = ops.em.create(Credential, {
    id,
    kind: CredentialKind.OAUTH_CLIENT,
    clientId: null,
    prefix: '',
    // Replaced by the sha256 of the client secret once it arrives; no secret hashes to this.
    secretHash: `oauth-pending:${id}`,
    pendingSecretEncrypted: null,
    pendingSecretVersion: null,
    revealSecretEncrypted: null,
    secretRevealed: false,
    ...grantFields(ops, input),
  });
  await ops.em.flush();
  await enqueueClientRegistration(ops.em, credential.id);
  await scheduleExpiryWarning(ops, credential);
  return { credential, secret: null };
}

/**
 * The credential a PLAN_CHANGE moves: the one recorded at request time if it still works and is
 * not being rotated out, else the app's current credential for the same products under another
 * plan (e.g. the successor after a rotation). Locked for the change. Null when none works any more.
 */
async function credentialToMove(ops: Ops, request: AccessRequest): Promise<Credential | null> {
  const candidates = await ops.em.find(
    Credential,
    { appId: request.appId!, status: StoredCredentialStatus.ACTIVE, revokesAt: null, planId: { $ne: request.planId } },
    { orderBy: { createdAt: 'desc', id: 'desc' }, lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  );
  const usable = candidates.filter((c) => isCurrent(c, ops.now) && sameProducts(c.productIds, request.productIds));
  return usable.find((c) => c.id === request.changeCredentialId) ?? usable[0] ?? null;
}

/**
 * Moves a (locked) credential to another plan: same id and secret, version + 1, metadata of the
 * new plan, expiry unchanged. Asks the provider to swap its key's policies without resetting its
 * quota (an OAuth2 client gets the new plan's scopes at the identity provider instead).
 */
export async function moveCredentialToPlan(ops: Ops, credential: Credential, plan: PlanOffer): Promise<void> {
  credential.planId = plan.id;
  credential.metadata = credentialMetadata(plan, {
    developerSubject: credential.requestedBy,
    appId: credential.appId,
    organizationId: credential.organizationId,
  });
  credential.version += 1;
  credential.updatedAt = ops.now;
  await ops.em.flush();
  // An OAuth2 client gets the new plan's scopes at the identity provider (RFC 7592 update).
  if (credential.kind === CredentialKind.OAUTH_CLIENT) await enqueueClientRegistration(ops.em, credential.id);
  else await enqueueJob(ops.em, JOB_TASKS.updateKeyPolicies, { credentialId: credential.id }, { jobKey: `key:${credential.id}` });
}

/**
 * Approves a PENDING request (the caller has locked it and checked the transition).
 * - NEW_ACCESS: issues a credential. With `approvedBy` (a portal admin) its secret is kept,
 *   encrypted, for a one-time reveal by a member and is NOT returned; for automatic approval
 *   (`approvedBy` null) the secret is returned for the requester's result.
 * - PLAN_CHANGE: moves the app's credential to the new plan (same id and secret, version + 1,
 *   metadata of the new plan, expiry unchanged) and asks the provider to swap its policies
 *   without resetting its quota. If that credential no longer works, a new one is issued instead.
 * Publishes APPROVED (and CREDENTIAL_ISSUED for a new credential).
 */
export async function approveRequest(
  ops: Ops,
  request: AccessRequest,
  plan: PlanOffer,
  approvedBy: string | null,
): Promise<{ credential: Credential; secret: string | null }> {
  let credential: Credential | null = null;
  let secret: string | null = null;
  let issued = false;
  if (request.kind === AccessRequestKind.PLAN_CHANGE) {
    credential = await credentialToMove(ops, request);
    if (credential) await moveCredentialToPlan(ops, credential, plan);
  }
  if (!credential) {
    const result = await issueCredential(ops, {
      appId: request.appId!,
      organizationId: request.organizationId,
      plan,
      productIds: request.productIds,
      requestedBy: request.requestedBy,
      approvedBy,
      createdBy: approvedBy ?? request.requestedBy,
      accessRequestId: request.id,
      revealable: approvedBy !== null,
    });
    credential = result.credential;
    secret = approvedBy === null ? result.secret : null;
    issued = true;
  }
  request.status = AccessRequestStatus.APPROVED;
  request.credentialId = credential.id;
  request.decidedBy = approvedBy;
  request.decidedAt = ops.now;
  request.updatedAt = ops.now;
  await ops.em.flush();
  const event = { organizationId: request.organizationId, accessRequestId: request.id, credentialId: credential.id, at: ops.now };
  await emitAccessEvent(ops.pubsub, ops.em, { ...event, type: AccessRequestEventType.APPROVED });
  if (issued) await emitAccessEvent(ops.pubsub, ops.em, { ...event, type: AccessRequestEventType.CREDENTIAL_ISSUED });
  return { credential, secret };
}

/**
 * Revokes a credential now (idempotent: a REVOKED one is left as it is and false is returned).
 * Drops the reveal copy, asks the provider to delete the key (replacing a revocation scheduled by
 * a rotation) and publishes CREDENTIAL_REVOKED.
 */
export async function revokeNow(ops: Ops, credential: Credential, revokedBy: string): Promise<boolean> {
  if (credential.status === StoredCredentialStatus.REVOKED) return false;
  credential.status = StoredCredentialStatus.REVOKED;
  credential.revokedAt = ops.now;
  credential.revokedBy = revokedBy;
  credential.revealSecretEncrypted = null;
  credential.version += 1;
  credential.updatedAt = ops.now;
  const hadUnusedRevocation = credential.unusedRevocationDueAt !== null;
  clearUnusedRevocation(credential);
  await ops.em.flush();
  await enqueueJob(ops.em, JOB_TASKS.revokeKey, { credentialId: credential.id }, { jobKey: `revoke:${credential.id}` });
  await cancelExpiryWarning(ops.em, credential.id);
  if (hadUnusedRevocation) await cancelUnusedRevocationJob(ops.em, credential.id);
  await emitAccessEvent(ops.pubsub, ops.em, {
    type: AccessRequestEventType.CREDENTIAL_REVOKED,
    organizationId: credential.organizationId,
    credentialId: credential.id,
    at: ops.now,
  });
  return true;
}

export type RevealResult = { credential: Credential | null; secret: string | null };

export interface CredentialCommand {
  id: string;
}

/**
 * `revealCredentialSecret`: the secret of a credential issued by a manual approval, once, to a
 * member of its organization (never to the portal admin who approved it).
 */
export async function revealCredentialSecret(ops: Ops, caller: Caller, input: CredentialCommand): Promise<RevealResult> {
  const { em, now } = ops;
  const subject = caller.requireAuthenticated();
  const { credential } = await authorizeCredential(caller, em, input.id, false);
  if (credential.approvedBy !== null && credential.approvedBy === subject) {
    throw forbidden('The portal admin who approved a credential may not see its secret: a member of the organization reveals it.');
  }
  if (effectiveCredentialStatus(credential, now) !== CredentialStatus.ACTIVE) {
    throw refusal(
      'CREDENTIAL_NOT_ACTIVE',
      'input.id',
      'This credential no longer works, so its secret is not shown: request access again.',
    );
  }
  if (credential.kind === CredentialKind.OAUTH_CLIENT && credential.clientId === null && !credential.secretRevealed) {
    throw refusal(
      'NOT_READY',
      'input.id',
      'The OAuth2 client is still being registered at the identity provider: reveal its secret once `clientId` is set (usually within seconds).',
    );
  }
  if (credential.secretRevealed || credential.revealSecretEncrypted === null) {
    throw refusal(
      'ALREADY_REVEALED',
      'input.id',
      'The secret of this credential was shown already and cannot be shown again: rotate the credential to get a new secret.',
    );
  }
  const secret = openSecret(credential.revealSecretEncrypted, ops.env);
  credential.revealSecretEncrypted = null;
  credential.secretRevealed = true;
  credential.updatedAt = now;
  await em.flush();
  return { credential, secret };
}

/** `revokeCredential`: members of the credential's organization and portal admins. */
export async function revokeCredential(ops: Ops, caller: Caller, input: CredentialCommand): Promise<{ credential: Credential | null }> {
  const subject = caller.requireAuthenticated();
  const { credential } = await authorizeCredential(caller, ops.em, input.id, true);
  await revokeNow(ops, credential, subject);
  return { credential };
}
