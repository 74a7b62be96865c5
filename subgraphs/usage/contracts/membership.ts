/** Who belongs to which organization, as the developers subgraph publishes it (`developers.membership_contract`). */
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../../common/ids';
import { requestLoader } from '../../../common/loaders';

/** Organization roles as the developers subgraph publishes them. */
export type OrganizationRole = 'ORG_ADMIN' | 'MEMBER';

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
