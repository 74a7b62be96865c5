/**
 * The credential jobs: `developers.keyIssued`, `developers.credentialExpiring`,
 * `developers.credentialRevoked` and `developers.clientRegistered`.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { JobRuntime } from '../../../common/server';
import { isUuid } from '../../../common/ids';
import { Credential, CredentialKind, CredentialStatus, effectiveCredentialStatus, StoredCredentialStatus } from '../entities/credential';
import { openSecret, secretHash } from '../secrets';
import { AccessRequestEventType } from '../entities/access-request-event';
import { emitAccessEvent } from '../services/events';
import { expiryLeadTimes, scheduleExpiryWarning } from '../services/credentials';
import { JOB_TASKS } from '../../../common/jobs';

interface CredentialPayload {
  credentialId?: unknown;
  version?: unknown;
  expiresAt?: unknown;
}

function credentialIdOf(runtime: JobRuntime, task: string, payload: unknown): string | null {
  const id = (payload as CredentialPayload | null)?.credentialId;
  if (isUuid(id)) return id.toLowerCase();
  runtime.log.warn({ task, payload }, 'dropped a job without a valid credentialId');
  return null;
}

function lockCredential(em: EntityManager, id: string): Promise<Credential | null> {
  return em.findOne(Credential, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

/**
 * `developers.keyIssued { credentialId, version }` (from the provider): the Tyk key exists, so the
 * provider's encrypted copy of the secret is dropped — when the key was made from the credential
 * version that carried that copy or a later one.
 */
export async function keyIssued(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = credentialIdOf(runtime, JOB_TASKS.keyIssued, payload);
  const version = (payload as CredentialPayload | null)?.version;
  if (!id) return;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    runtime.log.warn({ task: JOB_TASKS.keyIssued, payload }, 'dropped a job without a valid version');
    return;
  }
  await runtime.orm.em
    .fork()
    .getConnection()
    .execute(
      `update developers.credential
        set pending_secret_encrypted = null, pending_secret_version = null
      where id = ? and pending_secret_encrypted is not null and pending_secret_version <= ?`,
      [id, version],
    );
}

/**
 * `developers.credentialExpiring { credentialId, expiresAt }`: one stage of the expiring-credential
 * countdown (`expiryLeadTimes`: CREDENTIAL_EXPIRY_WARNING_SECONDS, 1 day, 1 hour before
 * `expiresAt`). When the credential is still ACTIVE (not revoked, not rotated out, not expired
 * yet) and its `expiresAt` is still the one the job was scheduled for, it publishes
 * CREDENTIAL_EXPIRING for the latest stage that is due (stages a late run missed are skipped, a
 * stage goes out once), with `expiresAt`, `secondsLeft` and `leadSeconds`, and schedules the next
 * stage in the same transaction. A job that runs before any stage is due schedules the first.
 */
export async function credentialExpiring(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = credentialIdOf(runtime, JOB_TASKS.credentialExpiring, payload);
  const expiresAt = new Date(String((payload as CredentialPayload | null)?.expiresAt));
  if (!id) return;
  if (Number.isNaN(expiresAt.getTime())) {
    runtime.log.warn({ task: JOB_TASKS.credentialExpiring, payload }, 'dropped a job without a valid expiresAt');
    return;
  }
  await runtime.orm.em.fork().transactional(async (em) => {
    const credential = await lockCredential(em as EntityManager, id);
    if (!credential || !credential.expiresAt || credential.expiresAt.getTime() !== expiresAt.getTime()) return;
    if (credential.revokesAt !== null) return;
    const now = runtime.clock.now();
    if (effectiveCredentialStatus(credential, now) !== CredentialStatus.ACTIVE) return;
    const ops = { em: em as EntityManager, pubsub: runtime.pubsub, now, env: runtime.env };
    const leads = expiryLeadTimes(runtime.env);
    const secondsLeft = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
    const due = leads.filter((lead) => lead >= secondsLeft);
    if (!due.length) {
      await scheduleExpiryWarning(ops, credential, leads[0]);
      return;
    }
    const stage = due[due.length - 1];
    const warnedBefore = credential.expiryWarnedFor?.getTime() === expiresAt.getTime() ? credential.expiryWarnedLeadSeconds : null;
    if (warnedBefore === null || stage < warnedBefore) {
      credential.expiryWarnedFor = expiresAt;
      credential.expiryWarnedLeadSeconds = stage;
      await em.flush();
      await emitAccessEvent(runtime.pubsub, em as EntityManager, {
        type: AccessRequestEventType.CREDENTIAL_EXPIRING,
        organizationId: credential.organizationId,
        accessRequestId: credential.accessRequestId,
        credentialId: credential.id,
        at: now,
        countdown: { expiresAt: expiresAt.toISOString(), secondsLeft, leadSeconds: stage },
      });
    }
    const next = leads.find((lead) => lead < Math.min(stage, warnedBefore ?? stage));
    if (next !== undefined) await scheduleExpiryWarning(ops, credential, next);
  });
}

/**
 * `developers.credentialRevoked { credentialId }` (due at a rotation's `revokesAt`): marks the
 * rotated-out credential REVOKED as of `revokesAt` and publishes CREDENTIAL_REVOKED. A credential
 * revoked already (e.g. by `revokeCredential` during the grace period) is left alone. The Tyk key
 * is deleted by `provider.revokeKey`, scheduled for the same time by the rotation.
 */
export async function credentialRevoked(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = credentialIdOf(runtime, JOB_TASKS.credentialRevoked, payload);
  if (!id) return;
  await runtime.orm.em.fork().transactional(async (em) => {
    const credential = await lockCredential(em as EntityManager, id);
    if (!credential || credential.status === StoredCredentialStatus.REVOKED || credential.revokesAt === null) return;
    const at = credential.revokesAt;
    credential.status = StoredCredentialStatus.REVOKED;
    credential.revokedAt = at;
    credential.revealSecretEncrypted = null;
    credential.version += 1;
    credential.updatedAt = runtime.clock.now();
    await em.flush();
    await emitAccessEvent(runtime.pubsub, em as EntityManager, {
      type: AccessRequestEventType.CREDENTIAL_REVOKED,
      organizationId: credential.organizationId,
      accessRequestId: credential.accessRequestId,
      credentialId: credential.id,
      at,
    });
  });
}

/** Sent by the provider once it registered a credential's OAuth2 client (contract string, see services/credentials.ts). */
export const CLIENT_REGISTERED_TASK = 'developers.clientRegistered';

/**
 * `developers.clientRegistered { credentialId, clientId, secretEncrypted }` (from the provider):
 * records the client id and keeps the client secret (encrypted with ENCRYPTION_KEYS, as the
 * provider sealed it) for the one-time reveal; `secret_hash` becomes its sha256. Only once: a
 * credential that has a client id already, or is revoked, is left alone (the provider deletes
 * clients of revoked credentials).
 */
export async function clientRegistered(runtime: JobRuntime, payload: unknown): Promise<void> {
  const id = credentialIdOf(runtime, CLIENT_REGISTERED_TASK, payload);
  const { clientId, secretEncrypted } = (payload ?? {}) as { clientId?: unknown; secretEncrypted?: unknown };
  if (!id) return;
  if (typeof clientId !== 'string' || clientId.length < 1 || clientId.length > 255 || typeof secretEncrypted !== 'string') {
    runtime.log.warn({ task: CLIENT_REGISTERED_TASK, credentialId: id }, 'dropped a job without a valid clientId and secret');
    return;
  }
  await runtime.orm.em.fork().transactional(async (em) => {
    const credential = await lockCredential(em as EntityManager, id);
    if (!credential || credential.kind !== CredentialKind.OAUTH_CLIENT || credential.clientId !== null) return;
    if (credential.status === StoredCredentialStatus.REVOKED) return;
    credential.clientId = clientId;
    credential.secretHash = secretHash(openSecret(secretEncrypted, runtime.env));
    credential.revealSecretEncrypted = secretEncrypted;
    credential.updatedAt = runtime.clock.now();
    await em.flush();
  });
}
