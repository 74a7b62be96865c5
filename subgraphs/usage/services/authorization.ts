/** Who may read and change an organization's quota data: its members (as the developers subgraph publishes them) and portal admins. */
import { badInput, forbidden } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import type { SubgraphContext } from '../../../common/server';
import { membershipRole, type OrganizationRole } from '../contracts/membership';

/** Members (any role) of the ACTIVE organization and portal admins; false for everyone else. */
export async function canReadOrganization(context: SubgraphContext, organizationId: string | null): Promise<boolean> {
  const subject = context.caller.subject;
  if (subject === null || organizationId === null) return false;
  if (context.caller.isPortalAdmin) return true;
  return (await membershipRole(context.em, organizationId, subject)) !== null;
}

/**
 * Members (any role) of the ACTIVE organization and portal admins pass; anonymous callers get
 * UNAUTHENTICATED, everyone else FORBIDDEN. A malformed id is BAD_USER_INPUT on `field`.
 */
export async function requireOrganizationReader(
  context: SubgraphContext,
  organizationId: string,
  field = 'organizationId',
): Promise<'PORTAL_ADMIN' | OrganizationRole> {
  const subject = context.caller.requireAuthenticated();
  if (!isUuid(organizationId)) throw badInput(field, 'Pass the organization id (a UUID).');
  if (context.caller.isPortalAdmin) return 'PORTAL_ADMIN';
  const role = await membershipRole(context.em, organizationId, subject);
  if (!role) throw forbidden('Only members of this organization and portal admins may see its quota data.');
  return role;
}

/** Whether the reader sees every app of the organization (no per-app rule to apply). */
export function seesEveryApp(role: 'PORTAL_ADMIN' | OrganizationRole): boolean {
  return role !== 'MEMBER';
}

/** ORG_ADMINs of the ACTIVE organization and portal admins pass; see `requireOrganizationReader`. */
export async function requireOrganizationAdmin(context: SubgraphContext, organizationId: string): Promise<void> {
  const subject = context.caller.requireAuthenticated();
  if (context.caller.isPortalAdmin) return;
  const role = await membershipRole(context.em, organizationId, subject);
  if (role !== 'ORG_ADMIN')
    throw forbidden('Only admins of this organization (ORG_ADMIN) and portal admins may change its quota alert rules.');
}
