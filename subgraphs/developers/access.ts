import type { FilterQuery } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { byKeys, groupByKeys, requestLoader } from '../../common/loaders';
import type { SubgraphContext } from '../../common/server';
import { Organization } from './entities/organization';
import { OrganizationMember, OrganizationRole } from './entities/organization-member';

/**
 * Who may see which organizations, and the per-request loaders every resolver shares. All
 * lookups are batched: the number of SQL statements per request does not grow with list sizes.
 */

import { isUuid } from '../../common/ids';

export { isUuid };

/**
 * Organizations the caller may see: portal admins all of them, a signed-in caller those they
 * belong to (any status), anonymous callers none (null).
 */
export function visibleOrganizations(context: SubgraphContext): FilterQuery<Organization> | null {
  const { caller } = context;
  if (caller.isPortalAdmin) return {};
  if (caller.subject === null) return null;
  return { members: { subject: caller.subject } };
}

/** Organizations by id with the visibility rule applied; null when missing or not visible. */
export function visibleOrganizationLoader(context: SubgraphContext) {
  return requestLoader<string, Organization | null>(context, 'developers:visibleOrganization', async (ids) => {
    const visible = visibleOrganizations(context);
    if (visible === null) return ids.map(() => null);
    const rows = await context.em.find(Organization, { $and: [visible, { id: { $in: [...ids] } }] });
    return byKeys(ids, rows, (o) => o.id);
  });
}

/** Loads a visible organization by id; null for ids that are not UUIDs, missing or hidden. */
export async function loadVisibleOrganization(context: SubgraphContext, id: string): Promise<Organization | null> {
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleOrganizationLoader(context).load(id.toLowerCase());
}

/** The caller's own membership of each organization (null when not a member). */
export function viewerMembershipLoader(context: SubgraphContext) {
  return requestLoader<string, OrganizationMember | null>(context, 'developers:viewerMembership', async (organizationIds) => {
    const subject = context.caller.subject;
    if (subject === null) return organizationIds.map(() => null);
    const rows = await context.em.find(OrganizationMember, { subject, organization: { $in: [...organizationIds] } });
    return byKeys(organizationIds, rows, (m) => m.organization.id);
  });
}

/** The caller's role in an organization, from the database; null when not a member. */
export async function viewerRole(context: SubgraphContext, organizationId: string): Promise<OrganizationRole | null> {
  if (context.caller.isAnonymous) return null;
  const membership = await viewerMembershipLoader(context).load(organizationId);
  return membership?.role ?? null;
}

/** Throws FORBIDDEN unless the caller is a portal admin or an ORG_ADMIN of the organization. */
export async function requireOrganizationAdmin(context: SubgraphContext, organizationId: string): Promise<void> {
  if (context.caller.isPortalAdmin) return;
  context.caller.requireAuthenticated();
  if ((await viewerRole(context, organizationId)) === OrganizationRole.ORG_ADMIN) return;
  throw new GraphQLError('Only ORG_ADMINs of this organization and portal admins may do this.', {
    extensions: { code: 'FORBIDDEN', requiredRole: OrganizationRole.ORG_ADMIN },
  });
}

/** Members of each organization, oldest first. Authorise before calling. */
export function organizationMembersLoader(context: SubgraphContext) {
  return requestLoader<string, OrganizationMember[]>(context, 'developers:organizationMembers', async (organizationIds) => {
    const rows = await context.em.find(
      OrganizationMember,
      { organization: { $in: [...organizationIds] } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    return groupByKeys(organizationIds, rows, (m) => m.organization.id);
  });
}
