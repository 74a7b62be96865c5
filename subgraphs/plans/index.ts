import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Plan } from './entities/plan';
import { PlanVersion } from './entities/plan-version';
import { PlanChangeRequest } from './entities/plan-change-request';
import { PlanRollout, PlanRolloutMember, PlanRolloutStep } from './entities/plan-rollout';
import { PlanChangeRequestRolloutResolver, PlanRolloutResolver, PlanRolloutsResolver } from './resolvers/plan-rollout.resolver';
import { PlanChangeRequestResolver } from './resolvers/plan-change.resolver';
import { plansJobs } from './jobs';
import { migrations } from './migrations';
import { PlanResolver } from './resolvers/plan.resolver';
import { PlanMutationResolver } from './resolvers/plan-mutation.resolver';
import { PlanSettingsResolver, PlanVersionResolver } from './resolvers/plan-version.resolver';
import { ProductPlansResolver } from './resolvers/product.resolver';
import { CatalogPlansResolver } from './resolvers/catalog.resolver';
import { ProductRef } from './entities/product-ref';
import {
  resolvePlanChangeRequestReference,
  resolvePlanReference,
  resolvePlanVersionReference,
  resolveStubReference,
} from './plan.reference';

/**
 * The plans subgraph: what developers get (plans: quota, rate limit, credential settings, access
 * rules) in which catalogs, with an immutable version history of every change, proposed changes
 * for a second portal admin (separation of duties), and bare plans imported from providers.
 */
export const plansSubgraph: SubgraphModule = {
  name: 'plans',
  entities: [Plan, PlanVersion, PlanChangeRequest, PlanRollout, PlanRolloutMember, PlanRolloutStep],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [
        PlanResolver,
        PlanMutationResolver,
        PlanVersionResolver,
        PlanSettingsResolver,
        PlanChangeRequestResolver,
        PlanRolloutResolver,
        PlanChangeRequestRolloutResolver,
        PlanRolloutsResolver,
        ProductPlansResolver,
        CatalogPlansResolver,
      ],
      // Product is only extended here (no plans field returns it), so list it explicitly.
      orphanedTypes: [ProductRef],
      references: {
        Plan: resolvePlanReference as never,
        PlanVersion: resolvePlanVersionReference as never,
        PlanChangeRequest: resolvePlanChangeRequestReference as never,
        Product: resolveStubReference as never,
        Catalog: resolveStubReference as never,
      },
    }),
  jobs: plansJobs,
};
