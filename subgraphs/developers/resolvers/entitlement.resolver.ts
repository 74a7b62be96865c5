import { Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { App } from '../entities/app';
import { Credential, CredentialStatus, effectiveCredentialStatus } from '../entities/credential';
import { Organization } from '../entities/organization';
import { PlanRef, planRef, ProductRef, productRefs } from '../entities/refs';
import { requestTime, appByIdLoader, entitlementCredentialsLoader, visibleAppLoader } from '../data/loaders';
import { requireOrganizationMember } from '../services/authorize';
import { Viewer } from './viewer.resolver';

@ObjectType({
  description:
    'What an app may use through one credential: products, plan (select `plan { quota rateLimit }` for the limits), expiry and state. One per credential that is not revoked.',
})
export class Entitlement {
  /** The credential's row; the fields below are read from it. */
  source!: Credential;

  @Field(() => CredentialStatus, { description: 'ACTIVE, or EXPIRED once `expiresAt` has passed.' })
  status!: CredentialStatus;

  @Field(() => Date, { nullable: true, description: 'When the credential stops working; null = never.' })
  expiresAt!: Date | null;
}

function entitlement(credential: Credential, now: Date): Entitlement {
  return Object.assign(new Entitlement(), {
    source: credential,
    status: effectiveCredentialStatus(credential, now),
    expiresAt: credential.expiresAt,
  });
}

@Resolver(() => Entitlement)
export class EntitlementResolver {
  @FieldResolver(() => App, { description: 'The app that holds the credential.' })
  async app(@Root() item: Entitlement, @Ctx() context: SubgraphContext): Promise<App> {
    return (await appByIdLoader(context, 'entitlement').load(item.source.appId))!;
  }

  @FieldResolver(() => Credential, { description: 'The credential.' })
  credential(@Root() item: Entitlement): Credential {
    return item.source;
  }

  @FieldResolver(() => PlanRef, { description: 'The plan whose limits apply (`quota`, `rateLimit` through the gateway).' })
  plan(@Root() item: Entitlement): PlanRef {
    return planRef(item.source.planId);
  }

  @FieldResolver(() => [ProductRef], { description: 'The products the credential grants.' })
  products(@Root() item: Entitlement): ProductRef[] {
    return productRefs(item.source.productIds);
  }
}

/** The credentials of apps the caller may see (`App.visibility`), in their order (one batched read). */
async function visibleAppsOnly(context: SubgraphContext, credentials: Credential[]): Promise<Credential[]> {
  const apps = await Promise.all(credentials.map((c) => visibleAppLoader(context).load(c.appId)));
  return credentials.filter((_, i) => apps[i] !== null);
}

@Resolver(() => Organization)
export class OrganizationEntitlementsResolver {
  @FieldResolver(() => [Entitlement], {
    description:
      "What the organization's apps may use: one entry per credential that is not revoked (ACTIVE, or EXPIRED with that status) of an app the caller may see (`App.visibility`), oldest first. Readable by its members (any role) and portal admins; others get a FORBIDDEN error.",
  })
  async entitlements(@Root() organization: Organization, @Ctx() context: SubgraphContext): Promise<Entitlement[]> {
    await requireOrganizationMember(context, organization.id);
    const now = requestTime(context);
    const credentials = await visibleAppsOnly(context, await entitlementCredentialsLoader(context, now).load(organization.id));
    return credentials.map((c) => entitlement(c, now));
  }
}

@Resolver(() => Viewer)
export class ViewerEntitlementsResolver {
  @FieldResolver(() => [Entitlement], {
    description:
      "The entitlements of every organization the caller belongs to (see `Organization.entitlements`), oldest first. The caller's own only.",
  })
  async entitlements(@Root() viewer: Viewer, @Ctx() context: SubgraphContext): Promise<Entitlement[]> {
    if (viewer.subject !== context.caller.subject) return [];
    const now = requestTime(context);
    const rows = await context.em.getConnection().execute<Record<string, unknown>[]>(
      `select c.* from developers.credential c
        where c.organization_id in (select m.organization_id from developers.organization_member m where m.subject = ?)
          and c.status = 'ACTIVE' and (c.revokes_at is null or c.revokes_at > ?)
        order by c.created_at, c.id`,
      [viewer.subject, now],
    );
    const credentials = await visibleAppsOnly(
      context,
      rows.map((row) => context.em.map(Credential, row)),
    );
    return credentials.map((c) => entitlement(c, now));
  }
}
