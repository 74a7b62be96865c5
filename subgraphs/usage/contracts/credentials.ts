/**
 * Credentials and apps as the developers subgraph publishes them (`developers.credential_contract`,
 * `developers.app_contract`), with the quota settings of their plan (`plans.plan_contract`).
 * Batched per request: one SELECT per kind of read, whatever the number of parents.
 */
import { isUuid } from '../../../common/ids';
import { requestLoader } from '../../../common/loaders';
import type { SubgraphContext } from '../../../common/server';
import { pgArray, query } from '../../../common/sql';
import type { QuotaScope } from '../resolvers/usage.types';

export interface CredentialRow {
  id: string;
  app_id: string;
  organization_id: string;
  plan_id: string;
  status: string;
  expires_at: Date | null;
  quota_scope: QuotaScope | null;
  quota_requests: number | null;
  quota_period_seconds: number | null;
}

const CREDENTIAL_SELECT = `
  select c.id::text as id, c.app_id::text as app_id, c.organization_id::text as organization_id, c.plan_id::text as plan_id,
         c.status, c.expires_at, p.quota_scope, p.quota_requests, p.quota_period_seconds
    from developers.credential_contract c
    left join plans.plan_contract p on p.id = c.plan_id`;

/** Credentials by id (with their plan's quota settings), or null. */
export function credentialById(context: SubgraphContext, id: string): Promise<CredentialRow | null> {
  if (!isUuid(id)) return Promise.resolve(null);
  return requestLoader<string, CredentialRow | null>(context, 'usage:credential', async (ids) => {
    const rows = await query<CredentialRow>(context.em, `${CREDENTIAL_SELECT} where c.id = any(?::uuid[])`, [pgArray([...ids])]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((key) => byId.get(key) ?? null);
  }).load(id.toLowerCase());
}

/** Credentials of an app or organization (any status), batched per kind. */
export function credentialsOf(context: SubgraphContext, kind: 'app' | 'organization', id: string): Promise<CredentialRow[]> {
  if (!isUuid(id)) return Promise.resolve([]);
  const column = kind === 'app' ? 'app_id' : 'organization_id';
  return requestLoader<string, CredentialRow[]>(context, `usage:credentialsOf:${kind}`, async (ids) => {
    const rows = await query<CredentialRow>(
      context.em,
      `${CREDENTIAL_SELECT} where c.${column} = any(?::uuid[]) order by c.created_at, c.id`,
      [pgArray([...ids])],
    );
    return ids.map((key) => rows.filter((row) => row[column] === key));
  }).load(id.toLowerCase());
}

/** The organization of an app (`developers.app_contract`), or null. */
export function organizationOfApp(context: SubgraphContext, appId: string): Promise<string | null> {
  if (!isUuid(appId)) return Promise.resolve(null);
  return requestLoader<string, string | null>(context, 'usage:appOrganization', async (ids) => {
    const rows = await query<{ id: string; organization_id: string }>(
      context.em,
      `select id::text as id, organization_id::text as organization_id from developers.app_contract where id = any(?::uuid[])`,
      [pgArray([...ids])],
    );
    const byId = new Map(rows.map((row) => [row.id, row.organization_id]));
    return ids.map((key) => byId.get(key) ?? null);
  }).load(appId.toLowerCase());
}
