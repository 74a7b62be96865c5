/**
 * The sync state shown on `Plan.sync`, `Product.sync` and `Credential.sync`, and the provider on
 * `Plan.provider` / `Product.provider`: the row written by the last attempt, corrected by the job
 * still queued for it; `Product.scopeSync`, the same for the JWT scope mapping of each of its Tyk
 * APIs. Read through the request's batched loaders (../data/loaders.ts).
 */
import { syncStuckSeconds } from '../../../common/config';
import { isUuid } from '../../../common/ids';
import type { SubgraphContext } from '../../../common/server';
import { readProductApiIds } from '../contracts/views';
import { credentialKeyOf, defaultProviderOf, linkOf, pendingJobOf } from '../data/loaders';
import { ApiScopeLink } from '../entities/api-scope-link';
import { LinkKind } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { SyncStatus, syncState, withPendingJobs, type PendingJob, type SyncState } from '../entities/sync-state';
import { resolveProviderReference } from '../provider.reference';
import { ApiScopeSync, ScopeMappingEntry } from '../resolvers/scope-sync.types';
import { defaultPolicyId } from './policy-sync';

function withQueue(context: SubgraphContext, state: SyncState, jobs: (PendingJob | null)[]): SyncState {
  return withPendingJobs(state, jobs, context.clock.now(), syncStuckSeconds(context.env));
}

/** `Plan.sync` / `Product.sync` for portal admins (null for everyone else). */
export async function subjectSyncState(context: SubgraphContext, kind: LinkKind, subjectId: string): Promise<SyncState | null> {
  if (!context.caller.isPortalAdmin || !isUuid(subjectId)) return null;
  const id = subjectId.toLowerCase();
  const [link, job] = await Promise.all([
    linkOf(context, kind, id),
    pendingJobOf(context, `${kind === LinkKind.PLAN ? 'plan' : 'product'}:${id}`),
  ]);
  if (!link) {
    const fallback = await defaultProviderOf(context);
    return withQueue(
      context,
      syncState({ status: SyncStatus.PENDING, providerId: fallback?.id ?? null, externalId: defaultPolicyId(kind, id) }),
      [job],
    );
  }
  const gone = link.status === SyncStatus.SYNCED && !link.policyPresent;
  return withQueue(
    context,
    syncState({
      status: link.status,
      providerId: link.providerId,
      externalId: gone ? null : link.policyId,
      attempts: link.attempts,
      lastError: link.lastError,
      lastAttemptAt: link.lastAttemptAt,
      syncedAt: link.syncedAt,
      repairs: link.repairs,
      lastRepairAt: link.lastRepairAt,
      lastRepairReason: link.lastRepairReason,
    }),
    [job],
  );
}

/** `Plan.provider` / `Product.provider`: the assigned provider, else the default one; portal admins only. */
export async function subjectProvider(context: SubgraphContext, kind: LinkKind, subjectId: string): Promise<Provider | null> {
  if (!context.caller.isPortalAdmin || !isUuid(subjectId)) return null;
  const link = await linkOf(context, kind, subjectId);
  if (link?.providerId) return (await resolveProviderReference({ id: link.providerId }, context)) ?? null;
  return defaultProviderOf(context);
}

/**
 * `Credential.sync`: portal admins see everything; anyone else who got the credential from the
 * developers subgraph sees the status and times only (never provider ids, key hashes or errors).
 */
export async function credentialSyncState(context: SubgraphContext, credentialId: string): Promise<SyncState> {
  if (!isUuid(credentialId)) return syncState({ status: SyncStatus.PENDING });
  const id = credentialId.toLowerCase();
  const [row, issue, revoke] = await Promise.all([
    credentialKeyOf(context, id),
    pendingJobOf(context, `key:${id}`),
    pendingJobOf(context, `revoke:${id}`),
  ]);
  if (!row) return withQueue(context, syncState({ status: SyncStatus.PENDING }), [issue, revoke]);
  const admin = context.caller.isPortalAdmin;
  return withQueue(
    context,
    syncState({
      status: row.syncStatus,
      providerId: admin ? row.providerId : null,
      externalId: admin && row.keyHash ? row.keyHash.slice(0, 12) : null,
      attempts: row.attempts,
      lastError: admin ? row.lastError : null,
      lastAttemptAt: row.lastAttemptAt,
      syncedAt: row.syncedAt,
    }),
    [issue, revoke],
  );
}

/** `Product.scopeSync` for portal admins (null for everyone else): one entry per API scope link of the product's Tyk APIs. */
export async function productScopeSyncs(context: SubgraphContext, productId: string): Promise<ApiScopeSync[] | null> {
  if (!context.caller.isPortalAdmin || !isUuid(productId)) return null;
  const apiIds = await readProductApiIds(context.em, productId);
  if (!apiIds.length) return [];
  const links = await context.em.find(ApiScopeLink, { apiId: { $in: apiIds } }, { orderBy: { apiId: 'asc' } });
  const now = context.clock.now();
  const out: ApiScopeSync[] = [];
  for (const link of links) {
    const job = await pendingJobOf(context, `api-scopes:${link.providerId}:${link.apiId}`);
    const waiting = job !== null && !(job.lockedAt && link.syncedAt && link.syncedAt >= job.lockedAt);
    const exhausted = waiting && job!.lockedAt === null && job!.attempts >= job!.maxAttempts;
    out.push(
      Object.assign(new ApiScopeSync(), {
        apiId: link.apiId,
        providerId: link.providerId,
        status: exhausted ? SyncStatus.FAILED : waiting && link.status === SyncStatus.SYNCED ? SyncStatus.PENDING : link.status,
        mapping: Object.entries(link.mapping)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([scope, policyId]) => Object.assign(new ScopeMappingEntry(), { scope, policyId })),
        attempts: link.attempts,
        lastError: link.lastError,
        lastAttemptAt: link.lastAttemptAt,
        syncedAt: link.syncedAt,
        stuck: exhausted || (waiting && now.getTime() - job!.createdAt.getTime() > syncStuckSeconds(context.env) * 1000),
      }),
    );
  }
  return out;
  return out;
}
