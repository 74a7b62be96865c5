/**
 * Batched reads behind `Plan.sync`, `Plan.provider`, `Product.*`, `Credential.sync` and
 * `Provider.importedPolicies`: one SQL statement per kind of read per request, whatever the
 * number of parents.
 */
import { byKeys, requestLoader } from '../../../common/loaders';
import type { SubgraphContext } from '../../../common/server';
import { CredentialKey } from '../entities/credential-key';
import { ImportedPolicy, ImportedPolicyState } from '../entities/imported-policy';
import { LinkKind, PolicyLink } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { SyncStatus, syncState, withPendingJobs, type PendingJob, type SyncState } from '../entities/sync-state';
import { syncStuckSeconds } from '../../../common/config';
import { resolveProviderReference } from '../provider.reference';
import { defaultPolicyId } from '../services/policy-sync';
import { isUuid } from '../../../common/ids';

export function linkOf(context: SubgraphContext, kind: LinkKind, subjectId: string): Promise<PolicyLink | null> {
  return requestLoader<string, PolicyLink | null>(context, `policyLink:${kind}`, async (ids) => {
    const rows = await context.em.find(PolicyLink, { kind, subjectId: { $in: [...ids] } });
    return byKeys(ids, rows, (row) => row.subjectId);
  }).load(subjectId.toLowerCase());
}

export function defaultProviderOf(context: SubgraphContext): Promise<Provider | null> {
  return requestLoader<string, Provider | null>(context, 'defaultProvider', async (keys) => {
    const row = await context.em.findOne(Provider, { isDefault: true });
    return keys.map(() => row);
  }).load('default');
}

export function credentialKeyOf(context: SubgraphContext, credentialId: string): Promise<CredentialKey | null> {
  return requestLoader<string, CredentialKey | null>(context, 'credentialKey', async (ids) => {
    const rows = await context.em.find(CredentialKey, { credentialId: { $in: [...ids] } });
    return byKeys(ids, rows, (row) => row.credentialId);
  }).load(credentialId.toLowerCase());
}

/**
 * The provider job still queued under a job key (`plan:<id>`, `product:<id>`, `key:<id>`,
 * `revoke:<id>`), batched per request; null when none waits.
 */
export function pendingJobOf(context: SubgraphContext, key: string): Promise<PendingJob | null> {
  return requestLoader<string, PendingJob | null>(context, 'pendingJob', async (keys) => {
    const rows = await context.em
      .getConnection()
      .execute<{ key: string; created_at: Date; attempts: number; max_attempts: number; run_at: Date; locked_at: Date | null }[]>(
        'select key, created_at, attempts, max_attempts, run_at, locked_at from graphile_worker.jobs where key in (?)',
        [[...keys]],
      );
    const jobs = rows.map((row) => ({
      key: row.key,
      job: {
        createdAt: new Date(row.created_at),
        attempts: row.attempts,
        maxAttempts: row.max_attempts,
        runAt: new Date(row.run_at),
        lockedAt: row.locked_at ? new Date(row.locked_at) : null,
      },
    }));
    return byKeys(keys, jobs, (row) => row.key).map((row) => row?.job ?? null);
  }).load(key);
}

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

export interface ImportedPage {
  rows: ImportedPolicy[];
  hasNextPage: boolean;
}

/** One page of a provider's imported policies (keyset on created_at, id), batched over providers. */
export function importedPoliciesOf(
  context: SubgraphContext,
  providerId: string,
  args: { limit: number; after: { createdAt: Date; id: string } | null; state: ImportedPolicyState | null },
): Promise<ImportedPage> {
  const name = `importedPolicies:${args.limit}:${args.after?.createdAt.toISOString() ?? ''}:${args.after?.id ?? ''}:${args.state ?? ''}`;
  return requestLoader<string, ImportedPage>(context, name, async (providerIds) => {
    const params: unknown[] = [[...providerIds]];
    let where = 'provider_id in (?)';
    if (args.state) {
      where += ' and state = ?';
      params.push(args.state);
    }
    if (args.after) {
      where += ' and (created_at, id) > (?::timestamptz, ?::uuid)';
      params.push(args.after.createdAt.toISOString(), args.after.id);
    }
    params.push(args.limit + 1);
    const raw = await context.em.getConnection().execute<Record<string, unknown>[]>(
      `select * from (
         select i.*, row_number() over (partition by provider_id order by created_at, id) as page_row
           from provider.imported_policy i where ${where}
       ) ranked where page_row <= ? order by provider_id, created_at, id`,
      params,
    );
    const groups = new Map<string, ImportedPolicy[]>(providerIds.map((id) => [id, []]));
    for (const row of raw) {
      const { page_row: _rank, ...columns } = row;
      const entity = context.em.map(ImportedPolicy, columns);
      groups.get(entity.providerId)?.push(entity);
    }
    return providerIds.map((id) => {
      const rows = groups.get(id)!;
      return { rows: rows.slice(0, args.limit), hasNextPage: rows.length > args.limit };
    });
  }).load(providerId);
}

export function importedCountOf(context: SubgraphContext, providerId: string, state: ImportedPolicyState | null): Promise<number> {
  return requestLoader<string, number>(context, `importedCount:${state ?? ''}`, async (providerIds) => {
    const rows = await context.em.getConnection().execute<{ provider_id: string; total: string }[]>(
      `select provider_id::text as provider_id, count(*) as total from provider.imported_policy
        where provider_id in (?) ${state ? 'and state = ?' : ''} group by provider_id`,
      state ? [[...providerIds], state] : [[...providerIds]],
    );
    const totals = new Map(rows.map((row) => [row.provider_id, Number(row.total)]));
    return providerIds.map((id) => totals.get(id) ?? 0);
  }).load(providerId);
}
