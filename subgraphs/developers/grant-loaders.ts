import type { EntityManager } from '@mikro-orm/postgresql';
import { byKeys, groupByKeys, requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { isUuid, scopeOf } from './access';
import { AccessRequest } from './entities/access-request';
import { Credential, StoredCredentialStatus } from './entities/credential';
import { App } from './entities/app';
import { OrganizationMember } from './entities/organization-member';

/**
 * Batched reads of access requests and credentials (one SQL statement per loader and request,
 * whatever the list sizes). `visible…` loaders apply the read rule — members of the owning
 * organization and portal admins; null for everyone else, whether or not the id exists — and are
 * used where the caller chooses the id. `…ById` loaders apply none and serve field resolvers whose
 * parent the caller may already see.
 */

type Row = Record<string, unknown>;

function rows(context: SubgraphContext, sql: string, params: unknown[]): Promise<Row[]> {
  return context.em.getConnection().execute<Row[]>(sql, params);
}

/** `?`-parameters of the "caller may see this organization's data" condition on column `column`. */
function readRule(context: SubgraphContext, column: string): { sql: string; params: unknown[] } {
  if (context.caller.isPortalAdmin) return { sql: 'true', params: [] };
  return {
    sql: `${column} in (select m.organization_id from developers.organization_member m where m.subject = ?)`,
    params: [context.caller.subject],
  };
}

export function visibleAccessRequestLoader(context: SubgraphContext) {
  return requestLoader<string, AccessRequest | null>(scopeOf(context), 'developers:visibleAccessRequest', async (ids) => {
    if (context.caller.isAnonymous) return ids.map(() => null);
    const rule = readRule(context, 'r.organization_id');
    const found = await rows(
      context,
      `select r.* from developers.access_request r where r.id in (?) and r.app_id is not null and ${rule.sql}`,
      [[...ids], ...rule.params],
    );
    return byKeys(
      ids,
      found.map((row) => context.em.map(AccessRequest, row)),
      (r) => r.id,
    );
  });
}

export async function loadVisibleAccessRequest(context: SubgraphContext, id: string): Promise<AccessRequest | null> {
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleAccessRequestLoader(context).load(id.toLowerCase());
}

export function visibleCredentialLoader(context: SubgraphContext) {
  return requestLoader<string, Credential | null>(scopeOf(context), 'developers:visibleCredential', async (ids) => {
    if (context.caller.isAnonymous) return ids.map(() => null);
    const rule = readRule(context, 'c.organization_id');
    const found = await rows(context, `select c.* from developers.credential c where c.id in (?) and ${rule.sql}`, [
      [...ids],
      ...rule.params,
    ]);
    return byKeys(
      ids,
      found.map((row) => context.em.map(Credential, row)),
      (c) => c.id,
    );
  });
}

export async function loadVisibleCredential(context: SubgraphContext, id: string): Promise<Credential | null> {
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleCredentialLoader(context).load(id.toLowerCase());
}

/** Credentials by id, no rule (one loader per schema site, see access.ts). */
export function credentialByIdLoader(context: SubgraphContext, site: string) {
  return requestLoader<string, Credential | null>(scopeOf(context), `developers:credentialById:${site}`, async (ids) => {
    const found = await context.em.find(Credential, { id: { $in: [...ids] } });
    return byKeys(ids, found, (c) => c.id);
  });
}

/** The credential that replaced each credential (rotation), if any. */
export function replacedByLoader(context: SubgraphContext) {
  return requestLoader<string, Credential | null>(scopeOf(context), 'developers:credentialReplacedBy', async (ids) => {
    const found = await context.em.find(Credential, { replacesCredentialId: { $in: [...ids] } });
    return byKeys(ids, found, (c) => c.replacesCredentialId!);
  });
}

/** Apps by id, no rule: for the app of an access request, credential or entitlement the caller may see. */
export function appByIdLoader(context: SubgraphContext, site: string) {
  return requestLoader<string, App | null>(scopeOf(context), `developers:appById:${site}`, async (ids) => {
    const found = await context.em.find(App, { id: { $in: [...ids] } });
    return byKeys(ids, found, (a) => a.id);
  });
}

/**
 * Credentials that are entitlements at `now` for each organization: not revoked (stored status
 * ACTIVE, and not past a rotation's `revokesAt`) — ACTIVE or EXPIRED. Oldest first. Authorise
 * before calling.
 */
export function entitlementCredentialsLoader(context: SubgraphContext, now: Date) {
  return requestLoader<string, Credential[]>(scopeOf(context), `developers:entitlements:${now.toISOString()}`, async (organizationIds) => {
    const found = await context.em.find(
      Credential,
      {
        organizationId: { $in: [...organizationIds] },
        status: StoredCredentialStatus.ACTIVE,
        $or: [{ revokesAt: null }, { revokesAt: { $gt: now } }],
      },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return groupByKeys(organizationIds, found, (c) => c.organizationId);
  });
}

/**
 * True when `subject` belongs to the organization (any role), read inside the mutation's
 * transaction. Operations reserved to members use it instead of `authorizeOrganization`, which
 * lets portal admins through.
 */
export async function isMember(em: EntityManager, organizationId: string, subject: string): Promise<boolean> {
  return (await em.count(OrganizationMember, { organization: organizationId, subject })) > 0;
}
