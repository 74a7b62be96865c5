import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, forbidden } from '../../common/errors';
import { isUuid } from '../../common/ids';
import { requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';

/** Organization roles as the developers subgraph publishes them. */
export type OrganizationRole = 'ORG_ADMIN' | 'MEMBER';

export { isUuid };

interface MembershipRow {
  organization_id: string;
  subject: string;
  role: OrganizationRole;
}

const keyOf = (organizationId: string, subject: string) => `${organizationId.toLowerCase()}\n${subject}`;

/**
 * The caller's role in an ACTIVE organization, or null (not a member, organization not active,
 * or not a UUID). Reads the developers subgraph's published view `developers.membership_contract`
 * only. Batched per EntityManager (= per request): every lookup in the same tick is one SELECT.
 */
export function membershipRole(em: EntityManager, organizationId: string, subject: string): Promise<OrganizationRole | null> {
  if (!isUuid(organizationId) || !subject) return Promise.resolve(null);
  return requestLoader<string, OrganizationRole | null>(em, 'usage:membershipRole', async (keys) => {
    const pairs = keys.map((key) => key.split('\n') as [string, string]);
    const organizationIds = [...new Set(pairs.map(([org]) => org))];
    const subjects = [...new Set(pairs.map(([, sub]) => sub))];
    const rows = await em.getConnection().execute<MembershipRow[]>(
      `select organization_id, subject, role
         from developers.membership_contract
        where organization_status = 'ACTIVE' and organization_id in (?) and subject in (?)`,
      [organizationIds, subjects],
      'all',
      em.getTransactionContext(),
    );
    const roles = new Map<string, OrganizationRole>();
    for (const row of rows) roles.set(keyOf(String(row.organization_id), row.subject), row.role);
    return keys.map((key) => roles.get(key) ?? null);
  }).load(keyOf(organizationId, subject));
}

/**
 * Members (any role) of the ACTIVE organization and portal admins pass; anonymous callers get
 * UNAUTHENTICATED, everyone else FORBIDDEN. A malformed id is BAD_USER_INPUT on `field`.
 */
export async function requireOrganizationReader(context: SubgraphContext, organizationId: string, field = 'organizationId'): Promise<void> {
  const subject = context.caller.requireAuthenticated();
  if (!isUuid(organizationId)) throw badInput(field, 'Pass the organization id (a UUID).');
  if (context.caller.isPortalAdmin) return;
  const role = await membershipRole(context.em, organizationId, subject);
  if (!role) throw forbidden('Only members of this organization and portal admins may see its quota data.');
}

/** ORG_ADMINs of the ACTIVE organization and portal admins pass; see `requireOrganizationReader`. */
export async function requireOrganizationAdmin(context: SubgraphContext, organizationId: string): Promise<void> {
  const subject = context.caller.requireAuthenticated();
  if (context.caller.isPortalAdmin) return;
  const role = await membershipRole(context.em, organizationId, subject);
  if (role !== 'ORG_ADMIN')
    throw forbidden('Only admins of this organization (ORG_ADMIN) and portal admins may change its quota alert rules.');
}
