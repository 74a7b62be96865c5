import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, userError, UserError, UserErrorException } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import {
  checkIdempotencyKey,
  firstResultGone,
  idempotencyKeyDescription,
  idempotentCall,
  runIdempotent,
} from '../../../common/idempotency';
import { SEARCH_RULE, searchPattern } from '../../../common/search';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { Organization } from '../entities/organization';
import { OrganizationRole } from '../entities/organization-member';
import { Team } from '../entities/team';
import { App } from '../entities/app';
import { isUuid } from '../../../common/ids';
import { loadVisibleApp, parentOrganization, teamByIdLoader, visibleApps } from '../data/loaders';
import { authorizeApp, authorizeOrganization, requireActive } from '../services/authorize';
import { developerMutation } from '../profile';
import { payloadType } from '../../../common/payloads';
import { readCursor } from '../pagination';
import { checkName, checkRedirectUris, MAX_DESCRIPTION_LENGTH } from '../validation';

export const AppConnection = connectionType(App, 'App', 'app');

@InputType({ description: 'Filters for `apps`.' })
export class AppFilter {
  @Field(() => ID, { nullable: true, description: 'Only apps of this organization.' })
  organizationId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only apps of this team.' })
  teamId?: string | null;

  @Field(() => String, { nullable: true, description: `Only apps whose name contains this text (${SEARCH_RULE}).` })
  search?: string | null;
}

@InputType({ description: 'A new app of an organization.' })
export class CreateAppInput {
  @Field(() => ID, { description: 'Organization that owns the app (must be ACTIVE).' })
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'Team of that organization the app belongs to; omit for none.' })
  teamId?: string | null;

  @Field(() => String, { description: 'Name, 1–120 characters, unique (case-insensitively) within the organization.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'What the app does, at most 2000 characters.' })
  description?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'OAuth redirect URIs: absolute `https` URLs (or `http` for localhost / 127.0.0.1), without fragments; at most 10.',
  })
  redirectUris?: string[] | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same app, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Changes to an app; omitted fields keep their value.' })
export class UpdateAppInput {
  @Field(() => ID, { description: 'App id.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New name, 1–120 characters, unique (case-insensitively) within the organization.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New description, at most 2000 characters.' })
  description?: string | null;

  @Field(() => [String], { nullable: true, description: 'New redirect URIs (replace the old list); same rules as in `createApp`.' })
  redirectUris?: string[] | null;

  @Field(() => ID, {
    nullable: true,
    description: "New team (of the app's organization); pass null to take the app out of its team, omit to keep it.",
  })
  teamId?: string | null;
}

@InputType({ description: 'Which app to delete.' })
export class DeleteAppInput {
  @Field(() => ID, { description: 'App id.' })
  id!: string;
}

export const CreateAppPayload = payloadType('CreateAppPayload', 'createApp', 'app', App, 'The new app');
export const UpdateAppPayload = payloadType('UpdateAppPayload', 'updateApp', 'app', App, 'The changed app');

@ObjectType({ description: 'Result of `deleteApp`.' })
export class DeleteAppPayload {
  @Field(() => ID, { nullable: true, description: 'Id of the deleted app; null when `errors` is not empty.' })
  deletedAppId!: string | null;

  @Field(() => Organization, { nullable: true, description: 'The organization the app belonged to; null when `errors` is not empty.' })
  organization!: Organization | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

type AppResult = { app: App | null };

const NAME_TAKEN = {
  app_organization_name_key: { field: 'input.name', message: 'The organization has an app with this name already: choose another name.' },
};

/** The team an app may belong to: a team of the app's organization, or a NOT_FOUND UserError. */
async function teamOfOrganization(em: EntityManager, teamId: string, organization: Organization): Promise<Team> {
  const team = isUuid(teamId) ? await em.findOne(Team, { id: teamId.toLowerCase(), organization }) : null;
  if (!team)
    throw new UserErrorException([
      userError('NOT_FOUND', 'input.teamId', 'The organization has no team with this id: check the id or leave it out.'),
    ]);
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

@Resolver(() => App)
export class AppResolver {
  @Query(() => App, {
    nullable: true,
    description:
      "One app by id. Members of the app's organization and portal admins get it; everyone else gets null, whether or not it exists.",
  })
  app(
    @Arg('id', () => ID, { description: 'App id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<App | null> {
    return loadVisibleApp(context, id);
  }

  @Query(() => AppConnection, {
    description:
      'Apps the caller may see, oldest first: portal admins see all; a signed-in developer sees the apps of their organizations. Anonymous callers get UNAUTHENTICATED.',
  })
  async apps(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AppFilter, { nullable: true, description: 'Narrow the list.' }) filter: AppFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    context.caller.requireAuthenticated();
    if (page.after) readCursor(page.after);
    const where: FilterQuery<App>[] = [visibleApps(context)!];
    if (filter?.organizationId !== null && filter?.organizationId !== undefined) {
      if (!isUuid(filter.organizationId)) throw badInput('filter.organizationId', 'Pass an organization id (a UUID).');
      where.push({ organization: filter.organizationId.toLowerCase() });
    }
    if (filter?.teamId !== null && filter?.teamId !== undefined) {
      if (!isUuid(filter.teamId)) throw badInput('filter.teamId', 'Pass a team id (a UUID).');
      where.push({ team: filter.teamId.toLowerCase() });
    }
    const like = searchPattern(filter?.search);
    if (like) {
      where.push({ name: { $ilike: like } });
    }
    return paginate(context.em, App, { $and: where }, page);
  }

  @FieldResolver(() => Organization, { description: 'The organization that owns the app.' })
  async organization(@Root() app: App, @Ctx() context: SubgraphContext): Promise<Organization> {
    return parentOrganization(context, app.organization, 'app');
  }

  @FieldResolver(() => Team, { nullable: true, description: 'The team the app belongs to; null when it belongs to none.' })
  team(@Root() app: App, @Ctx() context: SubgraphContext): Promise<Team | null> | null {
    return app.team ? teamByIdLoader(context).load(app.team.id) : null;
  }

  @Mutation(() => CreateAppPayload, {
    description:
      'Creates an app in an ACTIVE organization, optionally in one of its teams. Members of the organization (any role) and portal admins.',
  })
  async createApp(
    @Arg('input', () => CreateAppInput, { description: 'The app to create.' }) input: CreateAppInput,
    @Ctx() context: SubgraphContext,
  ): Promise<AppResult> {
    return developerMutation<AppResult>(
      context,
      async (em, developer) => {
        const { organization } = await authorizeOrganization(context, em, input.organizationId, OrganizationRole.MEMBER);
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
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', developer.subject, 'createApp', input.idempotencyKey, {
          organizationId: organization.id,
          teamId: input.teamId?.toLowerCase() ?? null,
          name,
          description,
          redirectUris,
        });
        return runIdempotent<AppResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => {
            const app = await em.findOne(App, { id: first.resultId }, { refresh: true });
            if (!app) throw firstResultGone('app');
            return { app };
          },
          resultOf: (result) => ({ id: result.app!.id }),
          run: async () => {
            requireActive(organization);
            const team =
              input.teamId === null || input.teamId === undefined ? null : await teamOfOrganization(em, input.teamId, organization);
            const at = context.clock.now();
            const app = em.create(App, {
              organization,
              team,
              name,
              description,
              redirectUris,
              createdBy: developer.subject,
              createdAt: at,
              updatedAt: at,
            });
            await em.flush();
            return { app };
          },
        });
      },
      () => ({ app: null }),
      { uniqueFields: NAME_TAKEN },
    );
  }

  @Mutation(() => UpdateAppPayload, {
    description:
      "Changes an app's name, description, redirect URIs or team. Members of the app's ACTIVE organization (any role) and portal admins.",
  })
  async updateApp(
    @Arg('input', () => UpdateAppInput, { description: 'The app and its changes.' }) input: UpdateAppInput,
    @Ctx() context: SubgraphContext,
  ): Promise<AppResult> {
    return developerMutation<AppResult>(
      context,
      async (em) => {
        const { app, organization } = await authorizeApp(context, em, input.id, OrganizationRole.MEMBER);
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
          input.redirectUris === null || input.redirectUris === undefined
            ? null
            : checkRedirectUris(v, input.redirectUris, 'input.redirectUris');
        v.done();
        requireActive(organization);
        if (input.teamId !== undefined) app.team = input.teamId === null ? null : await teamOfOrganization(em, input.teamId, organization);
        if (name !== null) app.name = name;
        if (description !== null) app.description = description;
        if (redirectUris !== null) app.redirectUris = redirectUris;
        await em.flush();
        return { app };
      },
      () => ({ app: null }),
      { uniqueFields: NAME_TAKEN },
    );
  }

  @Mutation(() => DeleteAppPayload, {
    description: "Deletes an app. ORG_ADMINs of the app's organization and portal admins.",
  })
  async deleteApp(
    @Arg('input', () => DeleteAppInput, { description: 'The app to delete.' }) input: DeleteAppInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DeleteAppPayload> {
    return developerMutation<{ deletedAppId: string | null; organization: Organization | null }>(
      context,
      async (em) => {
        const { app, organization } = await authorizeApp(context, em, input.id, OrganizationRole.ORG_ADMIN);
        await assertAppDeletable(em, app, context.clock.now());
        await em.nativeDelete(App, { id: app.id });
        return { deletedAppId: app.id, organization };
      },
      () => ({ deletedAppId: null, organization: null }),
    );
  }
}
