import { wrap, type FilterQuery } from '@mikro-orm/core';
import type { Caller } from '../../../common/auth';
import { isUuid } from '../../../common/ids';
import { byKeys, groupByKeys, loaderScope, renewLoaderScope, requestLoader } from '../../../common/loaders';
import type { SubgraphContext } from '../../../common/server';
import { AccessRequest } from '../entities/access-request';
import { App, AppVisibility } from '../entities/app';
import { Credential, StoredCredentialStatus } from '../entities/credential';
import { Developer } from '../entities/developer';
import { Invitation } from '../entities/invitation';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { Team } from '../entities/team';
import { TeamMember } from '../entities/team-member';
import type { SqlCondition } from './pagination';

/**
 * The per-request loaders every read resolver shares, and the read rules (who may see what) the
 * `visible…` ones apply. All lookups are batched: the number of SQL statements per request does
 * not grow with list sizes. The checks that refuse a caller are in `../services/authorize.ts`.
 *
 * Two kinds of loaders:
 * - `visible…Loader`: the read rule applied (null when missing or hidden). Used for root fields
 *   and `__resolveReference`, where the caller picks the id.
 * - `…ByIdLoader` / `…ByOrganizationLoader`: no rule. Used only by field resolvers whose parent
 *   the caller was already allowed to see (an app's team, a team's members, ...).
 *
 * Loaders used from several places of the schema take a `site` (one loader per place): siblings
 * at one place of a response reach it in the same tick and share one statement, while places at
 * different depths would otherwise batch together or not depending on timing. This keeps the
 * number of statements for a query shape fixed, whatever the list sizes.
 */

/** The current time by the subgraph's clock (`context.clock`; tests inject a manual one). */
export function now(context: SubgraphContext): Date {
  return context.clock.now();
}

/**
 * A fresh loader scope (`common/loaders.ts`) and EntityManager for one subscription event: a
 * subscription keeps one context for its whole life, so each event's fields are read fresh from
 * the database instead of from the previous event's loaders.
 */
export function beginEventScope(context: SubgraphContext): void {
  renewLoaderScope(context);
  context.em = context.em.fork();
}

const requestTimes = new WeakMap<object, Date>();

/** One "now" per request (or subscription event), so every field of a response judges time alike. */
export function requestTime(context: SubgraphContext): Date {
  const scope = loaderScope(context);
  let at = requestTimes.get(scope);
  if (!at) {
    at = now(context);
    requestTimes.set(scope, at);
  }
  return at;
}

/**
 * The caller's email as invitations are matched against it: lowercase, from the token, and
 * only when the token does not say it is unverified (`email_verified: false`).
 */
export function verifiedEmail(caller: Caller): string | null {
  if (caller.isAnonymous || !caller.email) return null;
  if (caller.claims?.email_verified === false) return null;
  const email = caller.email.trim().toLowerCase();
  return email.length ? email : null;
}

// ---------------------------------------------------------------------------------------------
// Organizations

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

/**
 * The organization of an app, team or invitation the caller may see: the already loaded entity
 * when this request loaded it (e.g. `organizations { apps { organization } }`), else one batched
 * SELECT per site.
 */
export async function parentOrganization(context: SubgraphContext, organization: Organization, site: string): Promise<Organization> {
  if (wrap(organization).isInitialized()) return organization;
  return (await organizationByIdLoader(context, site).load(organization.id))!;
}

/** Organizations by id, no rule: for parents the caller may already see (apps, teams, invitations). */
export function organizationByIdLoader(context: SubgraphContext, site: string) {
  return requestLoader<string, Organization | null>(context, `developers:organizationById:${site}`, async (ids) => {
    const rows = await context.em.find(Organization, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (o) => o.id);
  });
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

// ---------------------------------------------------------------------------------------------
// Developers

/** Profiles by token subject, no rule: for members the caller may already see, and the caller. */
export function developerBySubjectLoader(context: SubgraphContext, site: string) {
  return requestLoader<string, Developer | null>(context, `developers:developerBySubject:${site}`, async (subjects) => {
    const rows = await context.em.find(Developer, { subject: { $in: [...subjects] } });
    return byKeys(subjects, rows, (d) => d.subject);
  });
}

/**
 * Profiles by id with the read rule: portal admins see every profile; a signed-in developer
 * sees their own and those of people who share an organization with them; anonymous callers none.
 */
export function visibleDeveloperLoader(context: SubgraphContext) {
  return requestLoader<string, Developer | null>(context, 'developers:visibleDeveloper', async (ids) => {
    const { caller, em } = context;
    if (caller.isAnonymous) return ids.map(() => null);
    if (caller.isPortalAdmin) return byKeys(ids, await em.find(Developer, { id: { $in: [...ids] } }), (d) => d.id);
    const rows = await em.getConnection().execute<Record<string, unknown>[]>(
      `select d.* from developers.developer d
        where d.id in (?)
          and (d.subject = ?
               or exists (select 1
                            from developers.organization_member theirs
                            join developers.organization_member mine on mine.organization_id = theirs.organization_id
                           where theirs.subject = d.subject and mine.subject = ?))`,
      [[...ids], caller.subject, caller.subject],
    );
    return byKeys(
      ids,
      rows.map((row) => em.map(Developer, row)),
      (d) => d.id,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Teams

/** Teams by id, no rule: for an app's team (the app is visible, so is its organization). */
export function teamByIdLoader(context: SubgraphContext) {
  return requestLoader<string, Team | null>(context, 'developers:teamById', async (ids) => {
    const rows = await context.em.find(Team, { id: { $in: [...ids] } });
    return byKeys(ids, rows, (t) => t.id);
  });
}

/** Teams by id, visible to members of their organization and portal admins; null otherwise. */
export function visibleTeamLoader(context: SubgraphContext) {
  return requestLoader<string, Team | null>(context, 'developers:visibleTeam', async (ids) => {
    const { caller, em } = context;
    if (caller.isAnonymous) return ids.map(() => null);
    const where: FilterQuery<Team> = caller.isPortalAdmin
      ? { id: { $in: [...ids] } }
      : { id: { $in: [...ids] }, organization: { members: { subject: caller.subject! } } };
    return byKeys(ids, await em.find(Team, where), (t) => t.id);
  });
}

/** Teams of each organization, by name. Authorise before calling. */
export function teamsByOrganizationLoader(context: SubgraphContext) {
  return requestLoader<string, Team[]>(context, 'developers:teamsByOrganization', async (organizationIds) => {
    const rows = await context.em.find(Team, { organization: { $in: [...organizationIds] } }, { orderBy: { name: 'asc', id: 'asc' } });
    return groupByKeys(organizationIds, rows, (t) => t.organization.id);
  });
}

/** Members of each team, oldest first. Authorise before calling. */
export function teamMembersLoader(context: SubgraphContext) {
  return requestLoader<string, TeamMember[]>(context, 'developers:teamMembers', async (teamIds) => {
    const rows = await context.em.find(TeamMember, { team: { $in: [...teamIds] } }, { orderBy: { addedAt: 'asc', id: 'asc' } });
    return groupByKeys(teamIds, rows, (m) => m.team.id);
  });
}

// ---------------------------------------------------------------------------------------------
// Apps

/**
 * The filter for apps the caller may see: portal admins all; a member of the app's organization
 * when the app's visibility lets them (ORGANIZATION: every member; TEAM: members of its team;
 * PERSONAL: its creator) or when they are an ORG_ADMIN there. `appVisibleCondition` is the same
 * rule in SQL.
 */
export function visibleApps(context: SubgraphContext): FilterQuery<App> | null {
  const { caller } = context;
  if (caller.isPortalAdmin) return {};
  if (caller.subject === null) return null;
  const subject = caller.subject;
  return {
    $and: [
      { organization: { members: { subject } } },
      {
        $or: [
          { visibility: AppVisibility.ORGANIZATION },
          { organization: { members: { subject, role: OrganizationRole.ORG_ADMIN } } },
          { visibility: AppVisibility.PERSONAL, createdBy: subject },
          { visibility: AppVisibility.TEAM, team: { members: { subject } } },
        ],
      },
    ],
  };
}

/**
 * The app visibility rule of `visibleApps` as a SQL condition on the app id in `column` (a
 * `childConnection` where-clause): true for portal admins; for a signed-in caller, the app is
 * one they may see (a null column, a request whose app was deleted, passes: other rules hide it).
 */
export function appVisibleCondition(context: SubgraphContext, column: string): SqlCondition {
  const { caller } = context;
  if (caller.isPortalAdmin) return { key: 'apps:all', sql: 'true', params: [] };
  if (caller.subject === null) return { key: 'apps:none', sql: 'false', params: [] };
  return { key: 'apps:visible', sql: appRuleSql(column), params: [caller.subject, caller.subject, caller.subject] };
}

/**
 * The app visibility rule in SQL for the app id in `column` (null passes), with three `?`
 * parameters, each the caller's subject: the app is one of an organization they belong to and
 * ORGANIZATION-wide, or they are its ORG_ADMIN, its creator (PERSONAL) or in its team (TEAM).
 */
export function appRuleSql(column: string): string {
  return `(${column} is null or exists (
            select 1 from developers.app va
              join developers.organization_member vm on vm.organization_id = va.organization_id and vm.subject = ?
             where va.id = ${column}
               and (va.visibility = 'ORGANIZATION' or vm.role = 'ORG_ADMIN'
                    or (va.visibility = 'PERSONAL' and va.created_by = ?)
                    or (va.visibility = 'TEAM' and exists (select 1 from developers.team_member vt
                                                            where vt.team_id = va.team_id and vt.subject = ?)))))`;
}

/**
 * The app an access-request event (`platform.event` row aliased `e`) is about: its credential's
 * app, else its access request's app (null when neither has one).
 */
export const EVENT_APP_SQL = `coalesce(
  (select ec.app_id from developers.credential ec where ec.id = (e.payload->>'credentialId')::uuid),
  (select er.app_id from developers.access_request er where er.id = (e.payload->>'accessRequestId')::uuid))`;

/** Both conditions (`childConnection` where-clauses). */
export function bothConditions(a: SqlCondition | undefined, b: SqlCondition): SqlCondition {
  if (!a) return b;
  return { key: `${a.key}&${b.key}`, sql: `(${a.sql}) and (${b.sql})`, params: [...a.params, ...b.params] };
}

/** Apps by id, visible to members of their organization and portal admins; null otherwise. */
export function visibleAppLoader(context: SubgraphContext) {
  return requestLoader<string, App | null>(context, 'developers:visibleApp', async (ids) => {
    const visible = visibleApps(context);
    if (visible === null) return ids.map(() => null);
    return byKeys(ids, await context.em.find(App, { $and: [visible, { id: { $in: [...ids] } }] }), (a) => a.id);
  });
}

export async function loadVisibleApp(context: SubgraphContext, id: string): Promise<App | null> {
  if (!isUuid(id) || context.caller.isAnonymous) return null;
  return visibleAppLoader(context).load(id.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Invitations

/**
 * Invitations by id, visible to portal admins, ORG_ADMINs of their organization, and the
 * invitee (a caller whose verified token email is the invitation's email); null otherwise.
 */
export function visibleInvitationLoader(context: SubgraphContext) {
  return requestLoader<string, Invitation | null>(context, 'developers:visibleInvitation', async (ids) => {
    const { caller, em } = context;
    if (caller.isAnonymous) return ids.map(() => null);
    let where: FilterQuery<Invitation> = { id: { $in: [...ids] } };
    if (!caller.isPortalAdmin) {
      const email = verifiedEmail(caller);
      const asAdmin: FilterQuery<Invitation> = {
        organization: { members: { subject: caller.subject!, role: OrganizationRole.ORG_ADMIN } },
      };
      where = { $and: [where, email ? { $or: [asAdmin, { email }] } : asAdmin] };
    }
    return byKeys(ids, await em.find(Invitation, where), (i) => i.id);
  });
}

// ---------------------------------------------------------------------------------------------
// Access requests and credentials

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
  return requestLoader<string, AccessRequest | null>(context, 'developers:visibleAccessRequest', async (ids) => {
    if (context.caller.isAnonymous) return ids.map(() => null);
    const rule = readRule(context, 'r.organization_id');
    const app = appVisibleCondition(context, 'r.app_id');
    const found = await rows(
      context,
      `select r.* from developers.access_request r where r.id in (?) and r.app_id is not null and ${rule.sql} and ${app.sql}`,
      [[...ids], ...rule.params, ...app.params],
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
  return requestLoader<string, Credential | null>(context, 'developers:visibleCredential', async (ids) => {
    if (context.caller.isAnonymous) return ids.map(() => null);
    const rule = readRule(context, 'c.organization_id');
    const app = appVisibleCondition(context, 'c.app_id');
    const found = await rows(context, `select c.* from developers.credential c where c.id in (?) and ${rule.sql} and ${app.sql}`, [
      [...ids],
      ...rule.params,
      ...app.params,
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

/** Credentials by id, no rule (one loader per schema site, see the top of this file). */
export function credentialByIdLoader(context: SubgraphContext, site: string) {
  return requestLoader<string, Credential | null>(context, `developers:credentialById:${site}`, async (ids) => {
    const found = await context.em.find(Credential, { id: { $in: [...ids] } });
    return byKeys(ids, found, (c) => c.id);
  });
}

/** The credential that replaced each credential (rotation), if any. */
export function replacedByLoader(context: SubgraphContext) {
  return requestLoader<string, Credential | null>(context, 'developers:credentialReplacedBy', async (ids) => {
    const found = await context.em.find(Credential, { replacesCredentialId: { $in: [...ids] } });
    return byKeys(ids, found, (c) => c.replacesCredentialId!);
  });
}

/** Apps by id, no rule: for the app of an access request, credential or entitlement the caller may see. */
export function appByIdLoader(context: SubgraphContext, site: string) {
  return requestLoader<string, App | null>(context, `developers:appById:${site}`, async (ids) => {
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
  return requestLoader<string, Credential[]>(context, `developers:entitlements:${now.toISOString()}`, async (organizationIds) => {
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
