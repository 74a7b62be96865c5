/**
 * Keys (`provider.issueKey`, `provider.updateKeyPolicies`, `provider.revokeKey`), per the
 * access/provider contract: the credential's secret (decrypted from `pending_secret_encrypted`)
 * becomes the CUSTOM key id (`POST /tyk/keys/{secret}`); the product policies and the plan policy
 * are applied (with the plan's endpoint-rule policies for those products); the key hash Tyk returns is kept in `credential_key`; then `developers.keyIssued`
 * tells developers to drop its encrypted copy. Plan changes swap policies without resetting the
 * quota. Revocation deletes the key ("already gone" counts as success).
 *
 * `issueKey` and `updateKeyPolicies` share the job key `key:<credentialId>` (one may replace the
 * other while queued), so both converge on the same thing: the key exists with the credential's
 * current policies. The secret is never logged, stored in plaintext or put into an error.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decryptSecret, keyRingFromEnv } from '../../../common/crypto';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { CredentialKey, KeyStatus } from '../entities/credential-key';
import { LinkKind } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { SyncStatus } from '../entities/sync-state';
import {
  BOOST_POLICY_ID,
  boostPolicy,
  keySession,
  policyDifferences,
  ROLLOUT_POLICY_ID,
  rolloutPolicy,
  RULES_POLICY_ID,
  type CredentialContractRow,
} from '../tyk/bodies';
import { readCredentialRollout } from '../../../common/contracts/plan-rollouts';
import type { TykClient } from '../tyk/client';
import { appendProviderAudits, type AuditTrail } from '../tyk/audited-client';
import { clientFor, lock, SyncConflict, targetOf, type SyncDeps } from './deps';
import { isExpectedFailure, syncPolicy, type PolicySyncResult } from './policy-sync';
import { keyRulePolicyIds } from './rule-policy-sync';
import { readActiveBoosts, readCredential, readPlan } from '../contracts/views';
import { recordWebhookEvent } from '../../../common/webhooks';

/** Revocation jobs may run a little before `revokes_at` by the database clock. */
const REVOKE_SLACK_MS = 60_000;

/**
 * Whether a revocation job (`provider.revokeKey`) may delete the credential's key and client now:
 * the credential is gone, revoked, or at the end of its grace period.
 */
export function revocationDue(credential: { status: string; revokes_at: Date | null } | null, now: Date): boolean {
  return !(
    credential &&
    credential.status === 'ACTIVE' &&
    !(credential.revokes_at && new Date(credential.revokes_at).getTime() <= now.getTime() + REVOKE_SLACK_MS)
  );
}

function isRevoked(credential: CredentialContractRow, now: Date): boolean {
  return credential.status === 'REVOKED' || (credential.revokes_at !== null && new Date(credential.revokes_at).getTime() <= now.getTime());
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value, i) => value === b[i]);

interface KeyPatch {
  providerId?: string | null;
  keyHash?: string | null;
  status?: KeyStatus;
  planId?: string | null;
  productIds?: string[];
  policyIds?: string[];
  syncedVersion?: number | null;
  issuedAt?: Date | null;
  revokedAt?: Date | null;
}

/** Writes the row at the end of a run: attempt bookkeeping plus what changed. */
function record(
  tx: EntityManager,
  credentialId: string,
  row: CredentialKey | null,
  now: Date,
  outcome: { status: SyncStatus; error: string | null },
  patch: KeyPatch,
): CredentialKey {
  const target = row ?? tx.create(CredentialKey, { credentialId });
  target.attempts = (row && row.syncStatus !== SyncStatus.SYNCED ? row.attempts : 0) + 1;
  target.lastAttemptAt = now;
  target.syncStatus = outcome.status;
  target.lastError = outcome.error;
  if (outcome.status === SyncStatus.SYNCED) target.syncedAt = now;
  Object.assign(target, Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)));
  return target;
}

async function enqueueCleanup(tx: EntityManager, planIds: Iterable<string | null>, productIds: Iterable<string>): Promise<void> {
  // The plan/product sync deletes policies of archived or deleted plans/products once no live key uses them.
  for (const planId of new Set(planIds)) if (planId) await enqueueJob(tx, JOB_TASKS.syncPlan, { planId }, { jobKey: `plan:${planId}` });
  for (const productId of new Set(productIds))
    await enqueueJob(tx, JOB_TASKS.syncProduct, { productId }, { jobKey: `product:${productId}` });
}

/**
 * Deletes the key of a credential (if it has one). Used by revokeKey and by issue/update when
 * the credential turned out to be revoked or gone.
 */
async function revokeIn(
  tx: EntityManager,
  deps: SyncDeps,
  credentialId: string,
  row: CredentialKey | null,
  now: Date,
  audits: AuditTrail,
): Promise<Error | null> {
  if (!row || row.status === KeyStatus.REVOKED) return null;
  try {
    if (row.keyHash && row.providerId) {
      const provider = await tx.findOneOrFail(Provider, { id: row.providerId });
      const client = clientFor(provider, deps, audits);
      await client.deleteKey(row.keyHash);
      await deleteBoostPolicies(
        client,
        row.policyIds.filter((id) => BOOST_POLICY_ID.test(id)),
      );
    }
  } catch (error) {
    if (!isExpectedFailure(error)) throw error;
    record(tx, credentialId, row, now, { status: SyncStatus.FAILED, error: error.message }, {});
    return error;
  }
  record(tx, credentialId, row, now, { status: SyncStatus.SYNCED, error: null }, { status: KeyStatus.REVOKED, revokedAt: now });
  await enqueueCleanup(tx, [row.planId], row.productIds);
  return null;
}

/** Deletes quota-boost policies a key no longer carries ("already gone" counts as success). */
async function deleteBoostPolicies(client: TykClient, policyIds: readonly string[]): Promise<void> {
  if (!policyIds.length) return;
  for (const policyId of policyIds) await client.deletePolicy(policyId);
  await client.reload();
}

/** Runs `work` in one transaction holding the credential's lock; rethrows an expected failure after recording it. */
async function withCredential(
  deps: SyncDeps,
  credentialId: string,
  work: (
    tx: EntityManager,
    credential: CredentialContractRow | null,
    row: CredentialKey | null,
    now: Date,
    audits: AuditTrail,
  ) => Promise<Error | null>,
): Promise<void> {
  const em = deps.fork();
  let failure = null as Error | null;
  await em.transactional(async (tx) => {
    await lock(tx, `key:${credentialId}`);
    const credential = await readCredential(tx, credentialId);
    const row = await tx.findOne(CredentialKey, { credentialId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    const audits: AuditTrail = [];
    const previousStatus = row?.syncStatus ?? null;
    failure = await work(tx, credential, row, deps.clock.now(), audits);
    await tx.flush();
    // The client recorded every write to Tyk; appended now, after the last flush, in this
    // transaction (failures only when final: the key row's attempts since its last success).
    const after = await tx.findOne(CredentialKey, { credentialId });
    await appendProviderAudits(tx, audits, after?.attempts ?? 1);
    // The first failure of a run of failures is a webhook event of the credential's organization.
    if (after?.syncStatus === SyncStatus.FAILED && previousStatus !== SyncStatus.FAILED && credential) {
      await recordWebhookEvent(tx, {
        type: 'SYNC_FAILED',
        organizationId: credential.organization_id,
        occurredAt: deps.clock.now(),
        data: {
          providerId: after.providerId ?? null,
          target: 'CREDENTIAL',
          targetId: credentialId,
          message: (after.lastError ?? '').slice(0, 500),
        },
      });
    }
  });
  if (failure) throw failure;
}

/**
 * Syncs the policies of the credential's plan and products (outside any transaction). Results by
 * `<kind>:<id>`; an expected failure is kept (and rethrown inside the credential's transaction,
 * which records it); nothing for a credential that is gone or revoked.
 */
async function presyncPolicies(deps: SyncDeps, credentialId: string): Promise<Map<string, PolicySyncResult | null | Error>> {
  const results = new Map<string, PolicySyncResult | null | Error>();
  const credential = await readCredential(deps.fork(), credentialId);
  if (!credential || isRevoked(credential, deps.clock.now())) return results;
  const subjects: [LinkKind, string][] = [
    [LinkKind.PLAN, credential.plan_id],
    ...credential.product_ids.map((id): [LinkKind, string] => [LinkKind.PRODUCT, id]),
  ];
  for (const [kind, subjectId] of subjects) {
    try {
      results.set(`${kind}:${subjectId}`, await syncPolicy(deps, kind, subjectId, { requirePolicy: true }));
    } catch (error) {
      if (!isExpectedFailure(error)) throw error;
      results.set(`${kind}:${subjectId}`, error);
      break; // the key cannot be issued anyway; the transaction records why
    }
  }
  return results;
}

/**
 * The handler of the jobs `provider.issueKey` and `provider.updateKeyPolicies` (one job key per
 * credential, so they replace each other): makes sure the credential's key exists with its current
 * policies — issues it (custom id = the secret) when there is none, otherwise swaps its policies
 * without resetting the quota.
 */
export async function syncKey(deps: SyncDeps, credentialId: string): Promise<void> {
  // The policies must exist (and be loaded) before a key can use them: sync them first
  // (idempotent: usually one GET each), each in its own short transaction and BEFORE the
  // credential's transaction opens, so a job never holds one connection while waiting for
  // another (concurrent jobs would otherwise exhaust the job pool and wait on each other).
  const synced = await presyncPolicies(deps, credentialId);
  await withCredential(deps, credentialId, async (tx, credential, row, now, audits) => {
    if (!credential || isRevoked(credential, now)) return revokeIn(tx, deps, credentialId, row, now, audits);
    if (row?.status === KeyStatus.REVOKED) return null; // a revoked credential never gets a key again

    let providerId: string | null = row?.providerId ?? null;
    try {
      // Normally synced above; a plan or product that changed since is synced now.
      const policyOf = async (kind: LinkKind, subjectId: string) => {
        const done = synced.get(`${kind}:${subjectId}`);
        if (done instanceof Error) throw done;
        return done ?? syncPolicy(deps, kind, subjectId, { requirePolicy: true });
      };
      const plan = await policyOf(LinkKind.PLAN, credential.plan_id);
      const products = [];
      for (const productId of credential.product_ids) products.push(await policyOf(LinkKind.PRODUCT, productId));
      providerId = plan!.providerId!;
      for (const product of products) {
        if (product!.providerId !== providerId) {
          throw new SyncConflict(
            `Product ${product!.subjectId} is enforced by another provider than plan ${credential.plan_id}: assign both to the same provider (assignProvider), then the key is issued.`,
          );
        }
      }
      if (row?.keyHash && row.providerId && row.providerId !== providerId) {
        throw new SyncConflict(
          'The plan now lives on another provider and keys are not moved between providers: rotate the credential to get a key there.',
        );
      }
      const provider = await tx.findOneOrFail(Provider, { id: providerId });
      const client = clientFor(provider, deps, audits);
      // Product policies, the plan's endpoint-rule restriction policies for those products (premium
      // endpoints: Tyk merges them into the product's access right), then the plan policy.
      const planRow = await readPlan(tx, credential.plan_id);
      const policyIds = [...products.map((p) => p!.policyId), ...keyRulePolicyIds(planRow, credential.product_ids), plan!.policyId];
      // A staged change of the plan whose cohort holds this credential: the candidate policy (the
      // change's limits) takes the plan policy's place, written before the key uses it.
      const rollout = planRow ? await readCredentialRollout(tx, credential.plan_id, credentialId) : null;
      if (rollout && planRow) {
        const desired = rolloutPolicy(planRow, rollout, targetOf(provider));
        const current = await client.getPolicy(desired.id);
        if (!current || policyDifferences(current, desired).length) {
          if (current?._id) desired._id = current._id;
          if (current) await client.updatePolicy(desired);
          else await client.createPolicy(desired);
          await client.reload();
        }
        policyIds[policyIds.lastIndexOf(plan!.policyId)] = desired.id;
      }
      // ACTIVE quota boosts: one consumption-limit policy each, applied after the plan's (Tyk
      // takes the highest quota and rate of the key's policies), written before the key uses it.
      const boosts = (await readActiveBoosts(tx, [credentialId])).get(credentialId) ?? [];
      let wroteBoost = false;
      for (const boost of boosts) {
        const desired = boostPolicy(boost, targetOf(provider));
        const current = await client.getPolicy(desired.id);
        if (current && !policyDifferences(current, desired).length) {
          policyIds.push(desired.id);
          continue;
        }
        if (current?._id) desired._id = current._id;
        if (current) await client.updatePolicy(desired);
        else await client.createPolicy(desired);
        wroteBoost = true;
        policyIds.push(desired.id);
      }
      if (wroteBoost) await client.reload();
      const patch: KeyPatch = {
        providerId,
        planId: credential.plan_id,
        productIds: [...credential.product_ids],
        policyIds,
        syncedVersion: credential.version,
      };

      let keyHash = row?.status === KeyStatus.ACTIVE ? row.keyHash : null;
      let missing = false;
      if (keyHash) {
        const session = await client.getKey(keyHash);
        if (!session) {
          keyHash = null;
          missing = true;
        } else if (!sameList(session.apply_policies ?? [], policyIds)) {
          await client.setKeyPolicies(keyHash, policyIds);
        }
      }
      if (!keyHash) {
        if (!credential.pending_secret_encrypted) {
          if (missing) {
            record(
              tx,
              credentialId,
              row,
              now,
              {
                status: SyncStatus.MISSING,
                error: 'The key no longer exists in the provider and its secret is gone: rotate the credential.',
              },
              { status: KeyStatus.PENDING, keyHash: null },
            );
            return null;
          }
          throw new SyncConflict(
            'The secret of this credential is no longer available to the provider, so its key cannot be created: rotate the credential.',
          );
        }
        const secret = decryptSecret(keyRingFromEnv(deps.env), credential.pending_secret_encrypted);
        const created = await client.createKey(secret, keySession(credential, targetOf(provider), policyIds));
        keyHash = created.keyHash;
        Object.assign(patch, { keyHash, status: KeyStatus.ACTIVE, issuedAt: now });
        await enqueueJob(tx, JOB_TASKS.keyIssued, { credentialId, version: credential.version }, { jobKey: `key-issued:${credentialId}` });
      }
      // Boosts that ended: their policies go once the key no longer carries them (its counters stay).
      await deleteBoostPolicies(
        client,
        (row?.policyIds ?? []).filter((id) => BOOST_POLICY_ID.test(id) && !policyIds.includes(id)),
      );
      const previousPlan = row?.planId ?? null;
      const previousProducts = row?.productIds ?? [];
      // Restriction policies of a dropped endpoint rule stay while a key uses them: this key just let go.
      const droppedRules = (row?.policyIds ?? []).some((id) => RULES_POLICY_ID.test(id) && !policyIds.includes(id));
      // A candidate policy this key let go of: deleted by the plan's rollout sync once no key uses it.
      const droppedCandidate = (row?.policyIds ?? []).some((id) => ROLLOUT_POLICY_ID.test(id) && !policyIds.includes(id));
      record(tx, credentialId, row, now, { status: SyncStatus.SYNCED, error: null }, patch);
      if (droppedCandidate) {
        await enqueueJob(
          tx,
          JOB_TASKS.syncPlanRollout,
          { planId: previousPlan ?? credential.plan_id },
          { jobKey: `plan-rollout:${previousPlan ?? credential.plan_id}` },
        );
      }
      // Policies this key no longer uses may now be deletable (archived plans/products, dropped rules):
      // the plan's or product's sync deletes them once no live key uses them.
      await enqueueCleanup(
        tx,
        [previousPlan && previousPlan !== credential.plan_id ? previousPlan : null, droppedRules ? credential.plan_id : null],
        previousProducts.filter((id) => !credential.product_ids.includes(id)),
      );
      return null;
    } catch (error) {
      if (!isExpectedFailure(error)) throw error;
      record(tx, credentialId, row, now, { status: SyncStatus.FAILED, error: error.message }, { providerId });
      return error;
    }
  });
}

/** Deletes the credential's key, once the credential is revoked or its rotation grace period ended. */
export async function revokeKey(deps: SyncDeps, credentialId: string): Promise<void> {
  await withCredential(deps, credentialId, async (tx, credential, row, now, audits) => {
    if (!revocationDue(credential, now)) {
      deps.log.warn({ credentialId }, 'revokeKey for a credential that is neither revoked nor at the end of its grace period: skipped');
      return null;
    }
    return revokeIn(tx, deps, credentialId, row, now, audits);
  });
}
