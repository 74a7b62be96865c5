import { Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

export enum ImportedPolicyKind {
  PLAN = 'PLAN',
  PRODUCT = 'PRODUCT',
}

registerEnumType(ImportedPolicyKind, {
  name: 'ImportedPolicyKind',
  description: 'What a policy found in a provider becomes in the portal.',
  valuesConfig: {
    PLAN: { description: 'A consumption-limit policy (quota and/or rate-limit partitions, no access rights): becomes a plan.' },
    PRODUCT: { description: 'An access policy (access-rights partition only): becomes a product.' },
  },
});

export enum ImportedPolicyState {
  NEW = 'NEW',
  LINKED = 'LINKED',
  RENAMED = 'RENAMED',
  MISSING = 'MISSING',
}

registerEnumType(ImportedPolicyState, {
  name: 'ImportedPolicyState',
  description: 'Where an imported policy stands.',
  valuesConfig: {
    NEW: { description: 'Found in the provider; its plan or product is being created.' },
    LINKED: { description: 'Its plan or product exists and carries its name.' },
    RENAMED: { description: 'Renamed in the provider since the last sync; the plan or product is being renamed.' },
    MISSING: {
      description: 'No longer in the provider (deleted, or its policy tags removed); its plan or product is marked MISSING in `sync`.',
    },
  },
});

/**
 * A partitioned policy carrying the provider's policy tags, found in the provider by a sync
 * (dashboard-first). The plan or product it becomes is created by the plans / products subgraph
 * (job `plans.importPolicy` / `products.importPolicy`) with id `subjectId`.
 */
@ObjectType({
  description: 'A policy found in a provider (created in Tyk, dashboard-first) and the plan or product it becomes. Portal admins only.',
})
@Entity({ tableName: 'imported_policy' })
@Unique({ name: 'imported_policy_provider_policy_key', properties: ['providerId', 'policyId'] })
export class ImportedPolicy {
  [OptionalProps]?: 'id' | 'previousName' | 'missingSince' | 'createdAt' | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID) of this import record.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  providerId!: string;

  @Field(() => String, { description: 'The policy id in the provider.' })
  @Property({ type: 'text' })
  policyId!: string;

  @Field(() => ImportedPolicyKind, { description: 'PLAN (consumption-limit policy) or PRODUCT (access policy).' })
  @Enum({ items: () => ImportedPolicyKind })
  kind!: ImportedPolicyKind;

  @Field(() => ID, { description: 'Id of the plan or product the policy becomes (the portal chooses it at import).' })
  @Property({ type: 'uuid' })
  subjectId!: string;

  @Field(() => String, { description: 'The policy name in the provider, as last seen.' })
  @Property({ type: 'text' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'The name before the latest rename in the provider; null if never renamed.' })
  @Property({ type: 'text', nullable: true })
  previousName: string | null = null;

  @Field(() => ImportedPolicyState, { description: 'NEW, LINKED, RENAMED or MISSING.' })
  @Enum({ items: () => ImportedPolicyState })
  state!: ImportedPolicyState;

  /** Hash of what the import sends to the owner (name, limits, APIs): a change re-sends it. */
  @Property({ type: 'text' })
  contentHash!: string;

  @Field(() => Date, { description: 'When a sync first found the policy.' })
  @Property({ type: 'timestamptz' })
  firstSeenAt!: Date;

  @Field(() => Date, { description: 'When a sync last found the policy.' })
  @Property({ type: 'timestamptz' })
  lastSeenAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Since when the policy is missing from the provider; null unless MISSING.' })
  @Property({ type: 'timestamptz', nullable: true })
  missingSince: Date | null = null;

  @Field(() => Date, { description: 'When the import record was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
