import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { FilterQuery } from '@mikro-orm/core';
import { badInput } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { PageArgs, paginate } from '../../../common/relay';
import { searchPattern } from '../../../common/search';
import type { SubgraphContext } from '../../../common/server';
import { App } from '../entities/app';
import { Organization } from '../entities/organization';
import { Team } from '../entities/team';
import { loadVisibleApp, parentOrganization, teamByIdLoader, visibleApps } from '../data/loaders';
import { readCursor } from '../data/pagination';
import { developerMutation } from '../services/profile';
import { createApp, deleteApp, NAME_TAKEN, updateApp, type AppResult } from '../services/apps';
import { serviceOps } from '../../../common/ops';
import {
  AppConnection,
  AppFilter,
  CreateAppInput,
  CreateAppPayload,
  DeleteAppInput,
  DeleteAppPayload,
  UpdateAppInput,
  UpdateAppPayload,
} from './app.types';

@Resolver(() => App)
export class AppResolver {
  @Query(() => App, {
    nullable: true,
    description:
      "One app by id. Members of the app's organization whom its `visibility` lets see it (ORG_ADMINs always) and portal admins get it; everyone else gets null, whether or not it exists.",
  })
  app(
    @Arg('id', () => ID, { description: 'App id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<App | null> {
    return loadVisibleApp(context, id);
  }

  @Query(() => AppConnection, {
    description:
      'Apps the caller may see, oldest first: portal admins see all; a signed-in developer sees the apps of their organizations that their `visibility` lets them see (ORG_ADMINs: all of the organization). Anonymous callers get UNAUTHENTICATED.',
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
      (em, developer) => createApp(serviceOps(context, em), context.caller, developer.subject, input),
      () => ({ app: null }),
      { uniqueFields: NAME_TAKEN },
    );
  }

  @Mutation(() => UpdateAppPayload, {
    description:
      "Changes an app's name, description, redirect URIs, team or visibility. Members of the app's ACTIVE organization (any role) who may see the app (FORBIDDEN otherwise, as for a missing id) and portal admins.",
  })
  async updateApp(
    @Arg('input', () => UpdateAppInput, { description: 'The app and its changes.' }) input: UpdateAppInput,
    @Ctx() context: SubgraphContext,
  ): Promise<AppResult> {
    return developerMutation<AppResult>(
      context,
      (em) => updateApp(serviceOps(context, em), context.caller, input),
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
      (em) => deleteApp(serviceOps(context, em), context.caller, input),
      () => ({ deletedAppId: null, organization: null }),
    );
  }
}
