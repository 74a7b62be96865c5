/** GraphQL types of `Product.scopeSync`: the JWT scope mapping of each Tyk API and how its sync went. */
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { SyncStatus } from '../entities/sync-state';

@ObjectType({ description: 'A JWT scope the portal maps to a policy in a Tyk API definition.' })
export class ScopeMappingEntry {
  @Field(() => String, { description: 'The scope (a value of the token’s scope claim).' })
  scope!: string;

  @Field(() => String, {
    description: 'The Tyk policy it selects: the JWT policy of the plan that has the scope (`pg-jwt-<plan id hex>`).',
  })
  policyId!: string;
}

@ObjectType({
  description:
    'How the JWT scopes of the plans with access to a product reach one of its Tyk APIs: the scope → policy entries the portal owns in that API definition and how the last sync went.',
})
export class ApiScopeSync {
  @Field(() => String, { description: 'The Tyk API id (one of the product’s `tykApiIds`).' })
  apiId!: string;

  @Field(() => ID, { nullable: true, description: 'The provider whose API definition holds the mapping; null before the first sync.' })
  providerId!: string | null;

  @Field(() => SyncStatus, {
    description: 'PENDING (a change waits), SYNCED, FAILED (see `lastError`, retried) or MISSING (the provider has no such API).',
  })
  status!: SyncStatus;

  @Field(() => [ScopeMappingEntry], {
    description: 'The entries the portal wrote and owns in the definition (entries written by others are never changed).',
  })
  mapping!: ScopeMappingEntry[];

  @Field(() => Int, { description: 'Attempts since the last successful sync, the successful one included.' })
  attempts!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed or what it could not map (conflicting scopes, API without JWT); null when all is well.',
  })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the portal last tried to write it.' })
  lastAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was last written successfully (or found already right).' })
  syncedAt!: Date | null;

  @Field(() => Boolean, {
    description: 'True when a change has waited longer than SYNC_STUCK_SECONDS (default 300) or its retries are exhausted.',
  })
  stuck!: boolean;
}
