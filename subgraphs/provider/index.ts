import type { SubgraphModule } from '../../common/server';
import { buildFederatedSchema } from '../../common/federation';
import { Provider } from './entities/provider';
import { PolicyLink } from './entities/policy-link';
import { CredentialKey } from './entities/credential-key';
import { ImportedPolicy } from './entities/imported-policy';
import { ApiScopeLink } from './entities/api-scope-link';
import { CredentialRef, PlanRef, ProductRef, resolveStubReference } from './entities/refs';
import { migrations } from './migrations';
import { ProviderResolver } from './resolvers/provider.resolver';
import {
  CredentialSyncResolver,
  PlanSyncResolver,
  ProductSyncResolver,
  ProviderImportResolver,
  SyncMutationResolver,
} from './resolvers/sync.resolver';
import { resolveProviderReference } from './provider.reference';
import { ProductScopeSyncResolver } from './resolvers/scope-sync.resolver';
import { providerJobs } from './jobs';
import { providerMetrics } from './metrics';
import { IdentityProviderResolver } from './resolvers/identity-provider.resolver';
import { CredentialEffectiveLimitsResolver } from './resolvers/effective-limits.resolver';

/**
 * The provider subgraph: the Tyk Gateways / Dashboards plans (as policies) and approved access
 * (as keys) are written to, and the sync state of every plan, product and credential.
 */
export const providerSubgraph: SubgraphModule = {
  name: 'provider',
  entities: [Provider, PolicyLink, CredentialKey, ImportedPolicy, ApiScopeLink],
  migrations,
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [
        ProviderResolver,
        ProviderImportResolver,
        PlanSyncResolver,
        ProductSyncResolver,
        ProductScopeSyncResolver,
        CredentialSyncResolver,
        CredentialEffectiveLimitsResolver,
        SyncMutationResolver,
        IdentityProviderResolver,
      ],
      orphanedTypes: [PlanRef, ProductRef, CredentialRef],
      references: {
        Provider: resolveProviderReference as never,
        Plan: resolveStubReference as never,
        Product: resolveStubReference as never,
        Credential: resolveStubReference as never,
      },
    }),
  jobs: providerJobs,
  metrics: providerMetrics,
};
