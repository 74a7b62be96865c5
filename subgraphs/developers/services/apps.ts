/**
 * The app use cases: create, update, delete. Each runs inside the mutation's transaction
 * (`developerMutation`) and authorises on the app's organization first.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { refusal, userError, UserErrorException, type UserError } from '../../../common/errors';
import { checkIdempotencyKey, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { App, AppVisibility } from '../entities/app';
import type { Organization } from '../entities/organization';
import { OrganizationRole } from '../entities/organization-member';
import { Team } from '../entities/team';
import { checkName, checkRedirectUris, MAX_DESCRIPTION_LENGTH } from './validation';
import { authorizeApp, authorizeOrganization, requireActive } from './authorize';
import type { Ops } from '../../../common/ops';
import { recordWebhookEvent } from '../../../common/webhooks';

export type AppResult = { app: App | null };

export interface CreateAppCommand {
  organizationId: string;
  teamId?: string | null;
  name: string;
  description?: string | null;
  redirectUris?: string[] | null;
  /** Default ORGANIZATION; TEAM needs `teamId`. */
  visibility?: AppVisibility | null;
  idempotencyKey?: string | null;
}

export interface UpdateAppCommand {
  id: string;
  name?: string | null;
  description?: string | null;
  redirectUris?: string[] | null;
  /** null takes the app out of its team; undefined keeps it. */
  teamId?: string | null;
  /** null or undefined keeps it; TEAM needs the app to be (or be put) in a team. */
  visibility?: AppVisibility | null;
}

/** A TEAM app must belong to a team: VISIBILITY_NEEDS_TEAM on `field` otherwise. */
function checkTeamVisibility(v: Validation, visibility: AppVisibility, hasTeam: boolean, field: string): void {
  v.check(
    visibility !== AppVisibility.TEAM || hasTeam,
    field,
    'A TEAM app must belong to a team: pass `teamId` (a team of the organization) or choose PERSONAL or ORGANIZATION.',
    'VISIBILITY_NEEDS_TEAM',
  );
}

export const NAME_TAKEN = {
  app_organization_name_key: { field: 'input.name', message: 'The organization has an app with this name already: choose another name.' },
};

/** The team an app may belong to: a team of the app's organization, or a NOT_FOUND UserError. */
async function teamOfOrganization(em: EntityManager, teamId: string, organization: Organization): Promise<Team> {
  const team = isUuid(teamId) ? await em.findOne(Team, { id: teamId.toLowerCase(), organization }) : null;
  if (!team) throw refusal('NOT_FOUND', 'input.teamId', 'The organization has no team with this id: check the id or leave it out.');
  return team;
}

/**
 * Whether an app may be deleted at `now`: not while it holds a credential that works (ACTIVE,
 * including one rotated out but still in its grace period) — revoke those first
 * (APP_HAS_LIVE_CREDENTIALS) — nor while it has PENDING access requests — cancel those first
 * (APP_HAS_PENDING_ACCESS_REQUESTS). Deleting the app deletes its revoked and expired credentials;
 * its access requests stay (without an app, hidden) because they still count towards the plans'
 * access-request limits.
 */
export async function assertAppDeletable(em: EntityManager, app: App, now: Date): Promise<void> {
  const [row] = await em.getConnection().execute<{ live: number; pending: number }[]>(
    `select (select count(*)::int from developers.credential c
              where c.app_id = ? and c.status = 'ACTIVE'
                and (c.revokes_at is null or c.revokes_at > ?) and (c.expires_at is null or c.expires_at > ?)) as live,
            (select count(*)::int from developers.access_request r where r.app_id = ? and r.status = 'PENDING') as pending`,
    [app.id, now, now, app.id],
    'all',
    em.getTransactionContext(),
  );
  const errors: UserError[] = [];
  if (Number(row.live) > 0) {
    errors.push(
      userError(
        'APP_HAS_LIVE_CREDENTIALS',
        'input.id',
        `The app has ${row.live} working credential(s): revoke them first, then delete the app.`,
      ),
    );
  }
  if (Number(row.pending) > 0) {
    errors.push(
      userError(
        'APP_HAS_PENDING_ACCESS_REQUESTS',
        'input.id',
        `The app has ${row.pending} pending access request(s): cancel them first, then delete the app.`,
      ),
    );
  }
  if (errors.length) throw new UserErrorException(errors);
}

/** `createApp`: members of the ACTIVE organization (any role) and portal admins; `createdBy` is the caller's profile subject. */
export async function createApp(ops: Ops, caller: Caller, createdBy: string, input: CreateAppCommand): Promise<AppResult> {
  const { em } = ops;
  const { organization } = await authorizeOrganization({ caller }, em, input.organizationId, OrganizationRole.MEMBER);
  const v = new Validation();
  const name = input.name.trim();
  checkName(v, name, 'input.name');
  const description = (input.description ?? '').trim();
  v.check(
    description.length <= MAX_DESCRIPTION_LENGTH,
    'input.description',
    `Keep the description to ${MAX_DESCRIPTION_LENGTH} characters.`,
  );
  const redirectUris = checkRedirectUris(v, input.redirectUris ?? [], 'input.redirectUris');
  const visibility = input.visibility ?? AppVisibility.ORGANIZATION;
  checkTeamVisibility(v, visibility, input.teamId !== null && input.teamId !== undefined, 'input.teamId');
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('developers', createdBy, 'createApp', input.idempotencyKey, {
    organizationId: organization.id,
    teamId: input.teamId?.toLowerCase() ?? null,
    name,
    description,
    redirectUris,
    visibility,
  });
  return runIdempotent<AppResult>(em, idempotency, ops.now, {
    replay: async (first) => {
      const app = await em.findOne(App, { id: first.resultId }, { refresh: true });
      if (!app) throw firstResultGone('app');
      return { app };
    },
    resultOf: (result) => ({ id: result.app!.id }),
    run: async () => {
      requireActive(organization);
      const team = input.teamId === null || input.teamId === undefined ? null : await teamOfOrganization(em, input.teamId, organization);
      const at = ops.now;
      const app = em.create(App, {
        organization,
        team,
        name,
        description,
        redirectUris,
        visibility,
        createdBy,
        createdAt: at,
        updatedAt: at,
      });
      await em.flush();
      await recordWebhookEvent(em, { type: 'APP_CREATED', organizationId: organization.id, occurredAt: at, data: { appId: app.id, name } });
      return { app };
    },
  });
}

/** `updateApp`: members of the app's ACTIVE organization (any role) and portal admins. */
export async function updateApp(ops: Ops, caller: Caller, input: UpdateAppCommand): Promise<AppResult> {
  const { em } = ops;
  const { app, organization } = await authorizeApp({ caller }, em, input.id, OrganizationRole.MEMBER);
  const v = new Validation();
  const name = input.name === null || input.name === undefined ? null : input.name.trim();
  if (name !== null) checkName(v, name, 'input.name');
  const description = input.description === null || input.description === undefined ? null : input.description.trim();
  if (description !== null) {
    v.check(
      description.length <= MAX_DESCRIPTION_LENGTH,
      'input.description',
      `Keep the description to ${MAX_DESCRIPTION_LENGTH} characters.`,
    );
  }
  const redirectUris =
    input.redirectUris === null || input.redirectUris === undefined ? null : checkRedirectUris(v, input.redirectUris, 'input.redirectUris');
  const visibility = input.visibility ?? app.visibility;
  const hasTeam = input.teamId === undefined ? app.team !== null : input.teamId !== null;
  checkTeamVisibility(v, visibility, hasTeam, input.visibility ? 'input.visibility' : 'input.teamId');
  v.done();
  requireActive(organization);
  if (input.teamId !== undefined) app.team = input.teamId === null ? null : await teamOfOrganization(em, input.teamId, organization);
  if (name !== null) app.name = name;
  if (description !== null) app.description = description;
  if (redirectUris !== null) app.redirectUris = redirectUris;
  app.visibility = visibility;
  await em.flush();
  await recordWebhookEvent(em, {
    type: 'APP_UPDATED',
    organizationId: organization.id,
    occurredAt: ops.now,
    data: { appId: app.id, name: app.name, visibility: app.visibility },
  });
  return { app };
}

/** `deleteApp`: ORG_ADMINs of the app's organization and portal admins. */
export async function deleteApp(
  ops: Ops,
  caller: Caller,
  input: { id: string },
): Promise<{ deletedAppId: string | null; organization: Organization | null }> {
  const { em } = ops;
  const { app, organization } = await authorizeApp({ caller }, em, input.id, OrganizationRole.ORG_ADMIN);
  await assertAppDeletable(em, app, ops.now);
  await em.nativeDelete(App, { id: app.id });
  await recordWebhookEvent(em, { type: 'APP_DELETED', organizationId: organization.id, occurredAt: ops.now, data: { appId: app.id } });
  return { deletedAppId: app.id, organization };
}
