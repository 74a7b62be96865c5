import { TextArrayType } from '../../../common/db-types';
import { Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { SyncStatus } from './sync-state';
import { entityNow } from '../../../common/clock';

export enum LinkKind {
  PLAN = 'PLAN',
  PRODUCT = 'PRODUCT',
}

/** Who created the policy: the portal (portal-first, restored on drift) or Tyk (imported). */
export enum LinkOrigin {
  PORTAL = 'PORTAL',
  PROVIDER = 'PROVIDER',
}

/**
 * A plan or product ↔ the provider that enforces it ↔ its policy id there, with how the last
 * sync went. Not a GraphQL type: `Plan.sync` / `Product.sync` show it as a `SyncState`.
 */
@Entity({ tableName: 'policy_link' })
@Unique({ name: 'policy_link_subject_key', properties: ['kind', 'subjectId'] })
export class PolicyLink {
  [OptionalProps]?:
    | 'id'
    | 'providerId'
    | 'origin'
    | 'status'
    | 'attempts'
    | 'lastError'
    | 'lastAttemptAt'
    | 'syncedAt'
    | 'syncedVersion'
    | 'syncedProviderId'
    | 'policyPresent'
    | 'writes'
    | 'rulePolicyIds'
    | 'repairs'
    | 'lastRepairAt'
    | 'lastRepairReason'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Enum({ items: () => LinkKind })
  kind!: LinkKind;

  /** The plan or product id (owned by the plans / products subgraph). */
  @Property({ type: 'uuid' })
  subjectId!: string;

  /** The provider that enforces it; null while no provider is registered. */
  @Property({ type: 'uuid', nullable: true })
  providerId: string | null = null;

  @Property({ type: 'text' })
  policyId!: string;

  @Enum({ items: () => LinkOrigin })
  origin: LinkOrigin = LinkOrigin.PORTAL;

  @Enum({ items: () => SyncStatus })
  status: SyncStatus = SyncStatus.PENDING;

  /** Attempts since the last successful sync, the successful one included. */
  @Property({ type: 'integer' })
  attempts: number = 0;

  /** The provider's message for the last failure (null after a success). */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  syncedAt: Date | null = null;

  /** The plan version the provider holds (plans only). */
  @Property({ type: 'integer', nullable: true })
  syncedVersion: number | null = null;

  /** The provider the policy was last written to (differs from providerId after a reassignment). */
  @Property({ type: 'uuid', nullable: true })
  syncedProviderId: string | null = null;

  /** Whether the policy exists in `syncedProviderId` as far as the last sync knows. */
  @Property({ type: 'boolean' })
  policyPresent: boolean = false;

  /** Writes (create, update, delete) made to the provider for this subject: idempotency checks. */
  @Property({ type: 'integer' })
  writes: number = 0;

  /** Plans only: the endpoint-rule restriction policies (`pg-rules-…`) written to `syncedProviderId`. */
  @Property({ type: TextArrayType, columnType: 'text[]' })
  rulePolicyIds: string[] = [];

  /** Times the periodic provider sync found the policy edited or deleted in the provider and restored it. */
  @Property({ type: 'integer' })
  repairs: number = 0;

  /** When the last such drift was found (the restore is the sync job it enqueued). */
  @Property({ type: 'timestamptz', nullable: true })
  lastRepairAt: Date | null = null;

  /** What differed then: the managed fields, or that the policy was deleted (capped at 1000 characters). */
  @Property({ type: 'text', nullable: true })
  lastRepairReason: string | null = null;

  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
