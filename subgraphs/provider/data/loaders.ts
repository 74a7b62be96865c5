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
import type { PendingJob } from '../entities/sync-state';

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
