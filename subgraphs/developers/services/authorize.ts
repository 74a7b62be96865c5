import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { forbidden, refusal, type UserErrorException } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import type { SubgraphContext } from '../../../common/server';
import { appRuleSql, EVENT_APP_SQL, viewerMembershipLoader } from '../data/loaders';
import { Organization, OrganizationStatus } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { Team } from '../entities/team';
import { App } from '../entities/app';
import { Credential } from '../entities/credential';
import { Invitation } from '../entities/invitation';

/**
 * Who may do what in the developers subgraph: the checks of reads (`requireOrganization…`,
 * `isOrganizationAdmin`) and of mutations. What a caller may see of lists and by id is applied by
 * the `visible…` loaders of `../data/loaders.ts`.
 *
 * Authorisation of mutations, inside their transaction (`em`). The rule everywhere:
 * - anonymous callers get UNAUTHENTICATED;
 * - a caller without the required organization role gets a GraphQL FORBIDDEN error, whether or
 *   not the id exists (an outsider learns nothing, not even existence);
 * - portal admins pass; for them a missing id is a NOT_FOUND UserError on the id's field;
 * - an allowed caller whose request cannot be carried out gets typed UserErrors.
 * Organization roles come from the database (`organization_member`), never from the token.
 * Mutation checks need only the caller of the context (services pass `{ caller }`).
 */

/** What an organization-scoped mutation needs: the organization (locked) and the caller's role. */
export interface OrganizationAccess {
  organization: Organization;
  /** The caller's role in the organization; null for portal admins who are not members. */
  role: OrganizationRole | null;
}

/** The role a mutation needs: any member, or an ORG_ADMIN. Portal admins always pass. */
export type RequiredRole = OrganizationRole;

function allows(role: OrganizationRole | null, required: RequiredRole): boolean {
  if (role === null) return false;
  return required === OrganizationRole.MEMBER || role === OrganizationRole.ORG_ADMIN;
}

function roleForbidden(required: RequiredRole) {
  return required === OrganizationRole.ORG_ADMIN
    ? forbidden('Only ORG_ADMINs of this organization and portal admins may do this.', OrganizationRole.ORG_ADMIN)
    : forbidden('Only members of this organization and portal admins may do this.', OrganizationRole.MEMBER);
}

// ---------------------------------------------------------------------------------------------
// Reads

/** The caller's role in an organization, from the database; null when not a member. */
export async function viewerRole(context: SubgraphContext, organizationId: string): Promise<OrganizationRole | null> {
  if (context.caller.isAnonymous) return null;
  const membership = await viewerMembershipLoader(context).load(organizationId);
  return membership?.role ?? null;
}

/** True when the caller is a portal admin or an ORG_ADMIN of the organization (reads). */
export async function isOrganizationAdmin(context: SubgraphContext, organizationId: string): Promise<boolean> {
  if (context.caller.isPortalAdmin) return true;
  return (await viewerRole(context, organizationId)) === OrganizationRole.ORG_ADMIN;
}

/** Throws FORBIDDEN unless the caller is a portal admin or an ORG_ADMIN of the organization. */
export async function requireOrganizationAdmin(context: SubgraphContext, organizationId: string): Promise<void> {
  if (context.caller.isPortalAdmin) return;
  context.caller.requireAuthenticated();
  if ((await viewerRole(context, organizationId)) === OrganizationRole.ORG_ADMIN) return;
  throw forbidden('Only ORG_ADMINs of this organization and portal admins may do this.', OrganizationRole.ORG_ADMIN);
}

/** Throws FORBIDDEN unless the caller is a portal admin or a member (any role) of the organization. */
export async function requireOrganizationMember(context: SubgraphContext, organizationId: string): Promise<void> {
  if (context.caller.isPortalAdmin) return;
  context.caller.requireAuthenticated();
  if ((await viewerRole(context, organizationId)) !== null) return;
  throw forbidden('Only members of this organization and portal admins may see this.', OrganizationRole.MEMBER);
}

// ---------------------------------------------------------------------------------------------
// Mutations

export function notFoundError(field: string, what: string): UserErrorException {
  return refusal('NOT_FOUND', field, `No ${what} has this id: check the id.`);
}

/**
 * Locks the organization row (`select … for update`) so membership, role and status changes of
 * one organization are serialised (no two admins demoting each other into an organization
 * without ORG_ADMIN), then checks the caller's role.
 */
export async function authorizeOrganization(
  context: Pick<SubgraphContext, 'caller'>,
  em: EntityManager,
  organizationId: string,
  required: RequiredRole,
  field = 'input.organizationId',
): Promise<OrganizationAccess> {
  const subject = context.caller.requireAuthenticated();
  const isAdmin = context.caller.isPortalAdmin;
  const organization = isUuid(organizationId)
    ? await em.findOne(Organization, { id: organizationId.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    : null;
  let role: OrganizationRole | null = null;
  if (organization) {
    const membership = await em.findOne(OrganizationMember, { organization, subject });
    role = membership?.role ?? null;
  }
  if (!isAdmin && !allows(role, required)) throw roleForbidden(required);
  if (!organization) throw notFoundError(field, 'organization');
  return { organization, role };
}

/** Refuses with ORGANIZATION_NOT_ACTIVE unless the organization is ACTIVE. */
export function requireActive(organization: Organization, field: string | null = null): void {
  if (organization.status === OrganizationStatus.ACTIVE) return;
  const why =
    organization.status === OrganizationStatus.PENDING
      ? 'it is waiting for a portal admin to approve it'
      : organization.status === OrganizationStatus.SUSPENDED
        ? 'a portal admin suspended it'
        : 'a portal admin rejected it';
  throw refusal(
    'ORGANIZATION_NOT_ACTIVE',
    field,
    `The organization is ${organization.status}: ${why}. This works in ACTIVE organizations only.`,
  );
}

/** Loads a team and authorises the caller on its organization. */
export async function authorizeTeam(
  context: Pick<SubgraphContext, 'caller'>,
  em: EntityManager,
  teamId: string,
  required: RequiredRole,
  field = 'input.teamId',
): Promise<OrganizationAccess & { team: Team }> {
  context.caller.requireAuthenticated();
  const team = isUuid(teamId) ? await em.findOne(Team, { id: teamId.toLowerCase() }) : null;
  if (!team) {
    if (!context.caller.isPortalAdmin) throw roleForbidden(required);
    throw notFoundError(field, 'team');
  }
  const access = await authorizeOrganization(context, em, team.organization.id, required, field);
  return { ...access, team };
}

/**
 * Loads an app and authorises the caller on its organization; a member must also be allowed to
 * see the app by its visibility (`memberMayUseApp`), else FORBIDDEN as for a missing id.
 */
export async function authorizeApp(
  context: Pick<SubgraphContext, 'caller'>,
  em: EntityManager,
  appId: string,
  required: RequiredRole,
  field = 'input.id',
): Promise<OrganizationAccess & { app: App }> {
  context.caller.requireAuthenticated();
  const app = isUuid(appId) ? await em.findOne(App, { id: appId.toLowerCase() }) : null;
  if (!app) {
    if (!context.caller.isPortalAdmin) throw roleForbidden(required);
    throw notFoundError(field, 'app');
  }
  const access = await authorizeOrganization(context, em, app.organization.id, required, field);
  if (!context.caller.isPortalAdmin && !(await memberMayUseApp(em, app.id, context.caller.subject!))) throw roleForbidden(required);
  return { ...access, app };
}

/** Loads an invitation and authorises the caller on its organization (after locking it). */
export async function authorizeInvitation(
  context: Pick<SubgraphContext, 'caller'>,
  em: EntityManager,
  invitationId: string,
  required: RequiredRole,
  field = 'input.invitationId',
): Promise<OrganizationAccess & { invitation: Invitation }> {
  context.caller.requireAuthenticated();
  const found = isUuid(invitationId) ? await em.findOne(Invitation, { id: invitationId.toLowerCase() }) : null;
  if (!found) {
    if (!context.caller.isPortalAdmin) throw roleForbidden(required);
    throw notFoundError(field, 'invitation');
  }
  const access = await authorizeOrganization(context, em, found.organization.id, required, field);
  // Re-read under the organization lock: accept and revoke of one invitation are serialised.
  const invitation = await em.findOneOrFail(Invitation, { id: found.id }, { refresh: true });
  return { ...access, invitation };
}

/**
 * Loads and locks a credential for a mutation. Members (any role) of its organization pass; with
 * `admins`, portal admins too (a missing id is then a NOT_FOUND UserError for them). Everyone else
 * gets FORBIDDEN, whether or not the id exists.
 */
export async function authorizeCredential(
  caller: Caller,
  em: EntityManager,
  id: string,
  admins: boolean,
): Promise<{ credential: Credential; member: boolean }> {
  const subject = caller.requireAuthenticated();
  const denied = admins
    ? forbidden("Only members of the credential's organization and portal admins may do this.", OrganizationRole.MEMBER)
    : forbidden("Only members of the credential's organization may do this.", OrganizationRole.MEMBER);
  const found = isUuid(id) ? await em.findOne(Credential, { id: id.toLowerCase() }) : null;
  const member = found ? (await isMember(em, found.organizationId, subject)) && (await memberMayUseApp(em, found.appId, subject)) : false;
  if (!member && !(admins && caller.isPortalAdmin)) throw denied;
  if (!found) throw notFoundError('input.id', 'credential');
  const credential = await em.findOneOrFail(Credential, { id: found.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  return { credential, member };
}

/**
 * True when `subject` belongs to the organization (any role), read inside the mutation's
 * transaction. Operations reserved to members use it instead of `authorizeOrganization`, which
 * lets portal admins through.
 */
export async function isMember(em: EntityManager, organizationId: string, subject: string): Promise<boolean> {
  return (await em.count(OrganizationMember, { organization: organizationId, subject })) > 0;
}

/**
 * True when `subject` is a member of the app's organization and the app's visibility lets them
 * see and use it (ORGANIZATION: every member; TEAM: members of its team; PERSONAL: its creator;
 * ORG_ADMINs always), read inside the mutation's transaction: the rule of `visibleApps` for
 * mutations. A member acting on an app hidden from them is refused as if it did not exist
 * (FORBIDDEN, like an app of another organization).
 */
export async function memberMayUseApp(em: EntityManager, appId: string, subject: string): Promise<boolean> {
  const [row] = await em
    .getConnection()
    .execute<{ ok: boolean }[]>(
      `select exists (select 1 from developers.app a where a.id = ?) and ${appRuleSql('?::uuid')} as ok`,
      [appId, appId, subject, appId, subject, subject],
      'all',
      em.getTransactionContext(),
    );
  return Boolean(row?.ok);
}

/**
 * True when `subject` may see an access-request event: a member of its organization who may see
 * the app it is about (`memberMayUseApp`; events about no app pass). Asked for every event.
 */
export async function memberMaySeeAccessEvent(
  em: EntityManager,
  payload: { organizationId: string; accessRequestId: string | null; credentialId: string | null },
  subject: string,
): Promise<boolean> {
  const [row] = await em.getConnection().execute<{ ok: boolean }[]>(
    `select exists (select 1 from developers.organization_member m where m.organization_id = ? and m.subject = ?)
            and ${appRuleSql(EVENT_APP_SQL)} as ok
       from (select ?::jsonb as payload) e`,
    [payload.organizationId, subject, subject, subject, subject, JSON.stringify(payload)],
  );
  return Boolean(row?.ok);
}
