/**
 * Portal-first policy sync (`provider.syncPlan`, `provider.syncProduct`): computes the policy a
 * plan or product should have, reads the provider's current one, and writes only when they
 * differ (then reloads the Gateway). Archived and deleted plans/products lose their policy once
 * no live key uses it. Every attempt is recorded on the `policy_link` row; a provider error
 * leaves it FAILED with the provider's message and is rethrown so graphile-worker retries.
 *
 * Database discipline: one transaction per run holds an advisory lock on the plan/product while
 * the provider is called, but writes its rows only at the end (after the HTTP calls), so the
 * audit-log lock a flush takes is held only for an instant. The client records every write to Tyk
 * (tyk/audited-client.ts); the entries are appended after that flush, in the same transaction.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PolicyLink, LinkKind, LinkOrigin } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { SyncStatus } from '../entities/sync-state';
import { ProviderError } from '../tyk/errors';
import { appendProviderAudits, type AuditTrail } from '../tyk/audited-client';
import {
  carriesTags,
  mergeImported,
  planPolicy,
  planPolicyId,
  planWantsPolicy,
  policyDifferences,
  productPolicy,
  productPolicyId,
  productWantsPolicy,
  type PlanContractRow,
  type ProductContractRow,
} from '../tyk/bodies';
import type { TykPolicy } from '../tyk/types';
import { query } from '../../../common/sql';
import { clientFor, defaultProviderId, lock, SyncConflict, targetOf, type SyncDeps } from './deps';
import { readPlan, readProduct } from '../contracts/views';
import { liveKeysUse } from '../data/credential-keys';
import { enqueueKeyPolicyUpdates, enqueueRulePlanSyncs, writeRulePolicies } from './rule-policy-sync';
import { enqueuePlanScopeSyncs } from './scope-sync';
import { recordWebhookEvent } from '../../../common/webhooks';

export const NO_PROVIDER_MESSAGE = 'No provider is registered yet: register one with registerProvider; the sync then runs by itself.';

export function defaultPolicyId(kind: LinkKind, subjectId: string): string {
  return kind === LinkKind.PLAN ? planPolicyId(subjectId) : productPolicyId(subjectId);
}

export interface PolicySyncResult {
  kind: LinkKind;
  subjectId: string;
  providerId: string | null;
  policyId: string;
  status: SyncStatus;
  /** Writes (create/update/delete) this run made. */
  writes: number;
}

export interface PolicySyncOptions {
  /** The policy must exist afterwards (a key is about to use it): also for ARCHIVED plans/products. */
  requirePolicy?: boolean;
}

export const isExpectedFailure = (error: unknown): error is ProviderError | SyncConflict =>
  error instanceof ProviderError || error instanceof SyncConflict;

export interface WriteState {
  present: boolean;
  syncedProviderId: string | null;
  writes: number;
  missing: boolean;
  /** Audit entries of this run's writes to Tyk, appended before commit. */
  audits: AuditTrail;
}

/** Syncs one plan's or product's policy. Throws (after recording FAILED) when the provider fails. */
export async function syncPolicy(
  deps: SyncDeps,
  kind: LinkKind,
  subjectId: string,
  options: PolicySyncOptions = {},
): Promise<PolicySyncResult | null> {
  const em = deps.fork();
  let failure = null as Error | null;
  const result = await em.transactional(async (tx) => {
    await lock(tx, `policy:${kind}:${subjectId}`);
    const existing = await tx.findOne(PolicyLink, { kind, subjectId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    const source = kind === LinkKind.PLAN ? await readPlan(tx, subjectId) : await readProduct(tx, subjectId);
    if (!existing && !source) {
      if (options.requirePolicy)
        failure = new SyncConflict(`The ${kind === LinkKind.PLAN ? 'plan' : 'product'} ${subjectId} does not exist (any more).`);
      return null;
    }
    const policyId = existing?.policyId ?? defaultPolicyId(kind, subjectId);
    const origin = existing?.origin ?? LinkOrigin.PORTAL;
    const providerId = existing?.providerId ?? (await defaultProviderId(tx));
    const now = deps.clock.now();
    if (!providerId) {
      const link = existing ?? tx.create(PolicyLink, { kind, subjectId, policyId, origin });
      link.status = SyncStatus.PENDING;
      link.lastError = NO_PROVIDER_MESSAGE;
      await tx.flush();
      if (options.requirePolicy) failure = new SyncConflict(NO_PROVIDER_MESSAGE);
      return { kind, subjectId, providerId: null, policyId, status: link.status, writes: 0 };
    }

    const provider = await tx.findOneOrFail(Provider, { id: providerId });
    const state: WriteState = {
      present: existing?.policyPresent ?? false,
      syncedProviderId: existing?.syncedProviderId ?? null,
      writes: 0,
      missing: false,
      audits: [],
    };
    let status: SyncStatus;
    let lastError: string | null = null;
    let rulePolicyIds = existing?.rulePolicyIds ?? [];
    try {
      await writePolicy(
        tx,
        deps,
        { kind, subjectId, policyId, origin, provider, source, requirePolicy: Boolean(options.requirePolicy) },
        state,
      );
      if (kind === LinkKind.PLAN)
        rulePolicyIds = await writeRulePolicies(tx, deps, provider, source as PlanContractRow | null, state, rulePolicyIds);
      status = state.missing ? SyncStatus.MISSING : SyncStatus.SYNCED;
      if (state.missing) {
        lastError = `The policy ${policyId} is no longer in the provider (deleted, or its policy tags removed); the portal does not recreate imported policies.`;
        if (options.requirePolicy) failure = new SyncConflict(lastError);
      }
    } catch (error) {
      if (!isExpectedFailure(error)) throw error;
      status = SyncStatus.FAILED;
      lastError = error.message;
      failure = error;
    }

    // Rows are written only now, after every call to the provider.
    const previousStatus = existing?.status ?? null;
    const link = existing ?? tx.create(PolicyLink, { kind, subjectId, policyId, origin });
    link.attempts = (link.status === SyncStatus.SYNCED || !existing ? 0 : link.attempts) + 1;
    link.providerId = providerId;
    link.status = status;
    link.lastError = lastError;
    link.lastAttemptAt = now;
    link.policyPresent = state.present;
    link.syncedProviderId = state.syncedProviderId;
    link.writes += state.writes;
    link.rulePolicyIds = rulePolicyIds;
    if (status === SyncStatus.SYNCED) {
      link.syncedAt = now;
      link.syncedVersion = kind === LinkKind.PLAN && source ? (source as PlanContractRow).version : null;
    }
    await tx.flush();
    await appendProviderAudits(tx, state.audits, link.attempts);
    // The first failure of a run of failures is a webhook event (the sync retries by itself).
    if (status === SyncStatus.FAILED && previousStatus !== SyncStatus.FAILED) {
      await recordWebhookEvent(tx, {
        type: 'SYNC_FAILED',
        organizationId: null,
        occurredAt: now,
        data: { providerId, target: kind, targetId: subjectId, message: (lastError ?? '').slice(0, 500) },
      });
    }
    // A plan's JWT scopes live in API definitions: every change of the plan re-syncs them (./scope-sync.ts).
    if (kind === LinkKind.PLAN) await enqueuePlanScopeSyncs(tx, subjectId);
    // Keys whose set of policies changed with the plan's endpoint rules get it (./key-sync.ts).
    if (kind === LinkKind.PLAN && source && status === SyncStatus.SYNCED) await enqueueKeyPolicyUpdates(tx, source as PlanContractRow);
    // A product's Tyk APIs are in the restriction policies of the plans with a rule on it.
    if (kind === LinkKind.PRODUCT) await enqueueRulePlanSyncs(tx, subjectId);
    if (state.writes > 0 && origin === LinkOrigin.PROVIDER && source) {
      // Keep the import's view of the name in step, so the next import does not see a rename.
      await query(tx, `update provider.imported_policy set name = ?, updated_at = now() where provider_id = ? and policy_id = ?`, [
        source.name,
        providerId,
        policyId,
      ]);
    }
    return { kind, subjectId, providerId, policyId, status, writes: state.writes };
  });
  if (failure) throw failure;
  return result;
}

interface Subject {
  kind: LinkKind;
  subjectId: string;
  policyId: string;
  origin: LinkOrigin;
  provider: Provider;
  source: PlanContractRow | ProductContractRow | null;
  requirePolicy: boolean;
}

function desiredPolicy(subject: Subject): TykPolicy {
  const target = targetOf(subject.provider);
  return subject.kind === LinkKind.PLAN
    ? planPolicy(subject.source as PlanContractRow, target, subject.policyId)
    : productPolicy(subject.source as ProductContractRow, target, subject.policyId);
}

/** Whether the plan/product should have a policy now. */
export function wantsPolicy(kind: LinkKind, source: PlanContractRow | ProductContractRow | null): boolean {
  return kind === LinkKind.PLAN
    ? planWantsPolicy(source as PlanContractRow | null)
    : productWantsPolicy(source as ProductContractRow | null);
}

async function writePolicy(tx: EntityManager, deps: SyncDeps, subject: Subject, state: WriteState): Promise<void> {
  const { policyId, provider } = subject;
  // Every write below is recorded in the audit log by the client (see tyk/audited-client.ts).
  // Reassigned to another provider: remove the policy from the old one first (unless live keys there use it).
  if (state.syncedProviderId && state.syncedProviderId !== provider.id && state.present) {
    const old = await tx.findOne(Provider, { id: state.syncedProviderId });
    if (old && !(await liveKeysUse(tx, old.id, policyId))) {
      const oldClient = clientFor(old, deps, state.audits);
      if ((await oldClient.deletePolicy(policyId)) === 'deleted') {
        await oldClient.reload();
        state.writes += 1;
      }
    } else if (old) {
      deps.log.warn({ policyId, providerId: old.id }, 'policy left on the previous provider: live keys there still use it');
    }
    state.present = false;
    state.syncedProviderId = null;
  }

  const client = clientFor(provider, deps, state.audits);
  const wanted = subject.source !== null && (subject.requirePolicy || wantsPolicy(subject.kind, subject.source));
  if (wanted) {
    let desired = desiredPolicy(subject);
    const current = await client.getPolicy(policyId);
    if (subject.origin === LinkOrigin.PROVIDER) {
      // Imported policies belong to Tyk: updated in place, never recreated.
      if (!current) {
        state.missing = true;
        state.present = false;
        return;
      }
      desired = mergeImported(current, desired);
    } else {
      refuseForeign(current, subject, state);
      if (current?._id) desired._id = current._id;
    }
    const differences = current ? policyDifferences(current, desired) : ['(created)'];
    if (differences.length) {
      if (current) await client.updatePolicy(desired);
      else await client.createPolicy(desired);
      // Written: from now on the policy may exist even if the reload below fails.
      state.present = true;
      state.syncedProviderId = provider.id;
      state.writes += 1;
      await client.reload();
      deps.log.info(
        { policyId, providerId: provider.id, differences },
        current ? 'policy updated in the provider' : 'policy created in the provider',
      );
    }
    state.present = true;
    state.syncedProviderId = provider.id;
    return;
  }

  if (subject.origin === LinkOrigin.PROVIDER) return; // the portal never deletes policies it imported
  const current = await client.getPolicy(policyId);
  if (!current && !state.present) return; // already gone
  if (current && !carriesTags(current, provider.policyTags) && !state.present) {
    // Someone else's policy under the id the portal would have used: never deleted.
    deps.log.warn({ policyId, providerId: provider.id }, 'policy without the portal policy tags left alone');
    return;
  }
  if (await liveKeysUse(tx, provider.id, policyId)) {
    deps.log.info({ policyId, providerId: provider.id }, 'policy kept: live keys still use it (deleted after the last one is revoked)');
    return;
  }
  const outcome = await client.deletePolicy(policyId);
  if (outcome === 'deleted' || current) {
    await client.reload();
    if (await client.getPolicy(policyId)) {
      throw new ProviderError(null, `The provider still has policy ${policyId} after deleting it and reloading.`, true, 'deletePolicy');
    }
  }
  if (outcome === 'deleted') {
    state.writes += 1;
    deps.log.info({ policyId, providerId: provider.id }, 'policy deleted from the provider');
  }
  state.present = false;
}

/**
 * Who owns a policy in Tyk: the portal's own (portal-first) policies are recognised by the
 * record that the portal wrote them there (`policy_link.policy_present` on this provider), so a
 * tag an operator removed, or a change of the provider's policy tags, does not orphan them: they
 * are restored whole. Any other policy is the portal's only if it carries one of the provider's
 * policy tags. A policy under the portal's id that is neither (someone else made it) is never
 * overwritten: a SyncConflict says so.
 */
function refuseForeign(current: TykPolicy | null, subject: Subject, state: WriteState): void {
  if (!current || carriesTags(current, subject.provider.policyTags)) return;
  if (state.present && state.syncedProviderId === subject.provider.id) return;
  throw new SyncConflict(
    `The provider has a policy ${subject.policyId} without the portal's policy tags that the portal did not write: the portal does not overwrite it. Delete it or add a policy tag, then the ${subject.kind === LinkKind.PLAN ? 'plan' : 'product'} syncs.`,
  );
}
