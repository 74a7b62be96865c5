import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { QuotaWarning } from './entities/quota-warning';
import { QuotaAlertRule } from './entities/quota-alert-rule';
import { AppRef, CredentialRef, PlanRef, resolveStubReference } from './entities/refs';
import { OrganizationRef } from './entities/organization-ref';
import { migrations } from './migrations';
import { QuotaWarningResolver } from './resolvers/quota-warning.resolver';
import { QuotaAlertRulesResolver } from './resolvers/quota-alert-rules.resolver';
import { QuotaStatusResolver } from './resolvers/quota-status.resolver';
import {
  AppUsageResolver,
  CredentialUsageResolver,
  OrganizationUsageResolver,
  PlanUsageResolver,
  UsageReportResolver,
} from './resolvers/usage.resolver';
import { resolveQuotaWarningReference } from './quota-warning.reference';
import { PlanChangeRequestImpactResolver, PlanImpactResolver, PlanMigrationImpactResolver } from './resolvers/plan-impact.resolver';
import { PlanChangeRequestRef, PlanMigrationRef } from './resolvers/plan-impact.types';
import { usageRoutes } from './routes/ingest';
import { usageJobs } from './jobs';
import { ADAPTIVE_LIMITS_SCHEDULE } from './jobs/adaptive-limits';
import { PlanAdaptiveLimitResolver } from './resolvers/adaptive-limits.resolver';
import { usageMetrics } from './metrics';

/**
 * The usage subgraph: ingest of Tyk analytics (HTTP `POST /ingest/tyk` and a tailer of the SQL
 * pump's table), raw usage and rollups, quota status per counter with burn rate and projection,
 * usage series with a spike flag, and quota warnings (stored, and pushed over graphql-ws).
 */
export const usageSubgraph: SubgraphModule = {
  name: 'usage',
  entities: [QuotaWarning, QuotaAlertRule],
  migrations,
  buildSchema: (pubsub) =>
    buildFederatedSchema({
      resolvers: [
        QuotaWarningResolver,
        QuotaAlertRulesResolver,
        QuotaStatusResolver,
        CredentialUsageResolver,
        AppUsageResolver,
        OrganizationUsageResolver,
        PlanUsageResolver,
        PlanAdaptiveLimitResolver,
        UsageReportResolver,
        PlanImpactResolver,
        PlanChangeRequestImpactResolver,
        PlanMigrationImpactResolver,
      ],
      orphanedTypes: [AppRef, CredentialRef, PlanRef, OrganizationRef, PlanChangeRequestRef, PlanMigrationRef],
      references: {
        QuotaWarning: resolveQuotaWarningReference as never,
        App: resolveStubReference as never,
        Credential: resolveStubReference as never,
        Plan: resolveStubReference as never,
        Organization: resolveStubReference as never,
        PlanChangeRequest: resolveStubReference as never,
        PlanMigration: resolveStubReference as never,
      },
      pubSub: pubsub.forTypeGraphQL(),
    }),
  jobs: usageJobs,
  recurring: [ADAPTIVE_LIMITS_SCHEDULE],
  routes: usageRoutes,
  metrics: (runtime) => usageMetrics(runtime.metrics),
};
