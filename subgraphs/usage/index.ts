import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { QuotaWarning } from './entities/quota-warning';
import { QuotaAlertRule } from './entities/quota-alert-rule';
import { migrations } from './migrations';
import { QuotaWarningResolver } from './resolvers/quota-warning.resolver';
import { QuotaAlertRulesResolver } from './resolvers/quota-alert-rules.resolver';
import { resolveQuotaWarningReference } from './quota-warning.reference';

/**
 * The usage subgraph: quota warnings (stored, and pushed over graphql-ws subscriptions) and the
 * alert thresholds that trigger them. Ingest of Tyk analytics, rollups, quota status and burn
 * rate come later (they will call `raiseQuotaWarning` from `./warnings`).
 */
export const usageSubgraph: SubgraphModule = {
  name: 'usage',
  entities: [QuotaWarning, QuotaAlertRule],
  migrations,
  buildSchema: (pubsub) =>
    buildFederatedSchema({
      resolvers: [QuotaWarningResolver, QuotaAlertRulesResolver],
      references: { QuotaWarning: resolveQuotaWarningReference as never },
      pubSub: pubsub.forTypeGraphQL(),
    }),
};
