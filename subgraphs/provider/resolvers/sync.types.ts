/** GraphQL arguments, inputs, payloads and the connection of the sync operations. */
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { connectionType } from '../../../common/relay';
import { ImportedPolicy, ImportedPolicyState } from '../entities/imported-policy';
import { Provider } from '../entities/provider';
import { PlanRef, ProductRef } from '../entities/refs';
import { SyncState } from '../entities/sync-state';

export const ImportedPolicyConnection = connectionType(ImportedPolicy, 'ImportedPolicy', 'imported policy');

@ArgsType()
export class ImportedPoliciesArgs {
  @Field(() => Int, { nullable: true, description: 'How many items to return (1–100, default 20).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'Return items after this cursor (a `pageInfo.endCursor`).' })
  after?: string | null;

  @Field(() => ImportedPolicyState, { nullable: true, description: 'Only policies in this state.' })
  state?: ImportedPolicyState | null;
}

// ------------------------------------------------------------------ mutations

@InputType({ description: 'Which plan or product to assign (give exactly one of `planId` and `productId`) and to which provider.' })
export class AssignProviderInput {
  @Field(() => ID, { nullable: true, description: 'The plan whose policy the provider should hold.' })
  planId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The product whose policy the provider should hold.' })
  productId?: string | null;

  @Field(() => ID, { description: 'The provider that should enforce it.' })
  providerId!: string;
}

@ObjectType({ description: 'Result of `assignProvider`.' })
export class AssignProviderPayload {
  @Field(() => PlanRef, {
    nullable: true,
    description: 'The plan, when a plan was assigned; null otherwise or when `errors` is not empty.',
  })
  plan!: PlanRef | null;

  @Field(() => ProductRef, {
    nullable: true,
    description: 'The product, when a product was assigned; null otherwise or when `errors` is not empty.',
  })
  product!: ProductRef | null;

  @Field(() => SyncState, {
    nullable: true,
    description: 'Its sync state right after the assignment (PENDING until the sync job ran); null when `errors` is not empty.',
  })
  sync!: SyncState | null;

  @Field(() => [UserError], { description: 'Why nothing was assigned; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'The provider to sync.' })
export class SyncProviderInput {
  @Field(() => ID, { description: 'Provider id.' })
  id!: string;
}

@ObjectType({ description: 'What one provider sync run found and did.' })
export class ProviderSyncResult {
  @Field(() => Int, { description: 'Policies found for the first time (or again after missing): their plans/products are being created.' })
  newPolicies!: number;

  @Field(() => Int, { description: 'Imported policies renamed in the provider: their plans/products are being renamed.' })
  renamedPolicies!: number;

  @Field(() => Int, { description: 'Imported policies whose limits or APIs changed in the provider: sent to their plans/products again.' })
  updatedPolicies!: number;

  @Field(() => Int, { description: 'Imported policies that disappeared from the provider since the last run (now MISSING).' })
  missingPolicies!: number;

  @Field(() => Int, { description: 'Imported policies whose plan/product now exists (now LINKED).' })
  linkedPolicies!: number;

  @Field(() => Int, { description: 'Imported policies with nothing new.' })
  unchangedPolicies!: number;

  @Field(() => Int, { description: 'Portal-owned policies edited or deleted in the provider, being restored.' })
  repairedPolicies!: number;
}

@ObjectType({ description: 'Result of `syncProvider`.' })
export class SyncProviderPayload {
  @Field(() => Provider, { nullable: true, description: 'The provider (with its health after the run); null when it does not exist.' })
  provider!: Provider | null;

  @Field(() => ProviderSyncResult, { nullable: true, description: 'What the run found and did; null when `errors` is not empty.' })
  result!: ProviderSyncResult | null;

  @Field(() => [UserError], {
    description: 'Why the run failed (e.g. PROVIDER_UNAVAILABLE with the provider’s message); empty on success.',
  })
  errors!: UserError[];
}
