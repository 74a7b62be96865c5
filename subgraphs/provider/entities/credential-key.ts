import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { TextArrayType } from '../../../common/db-types';
import { SyncStatus } from './sync-state';
import { entityNow } from '../../../common/clock';

export enum KeyStatus {
  /** No key exists yet. */
  PENDING = 'PENDING',
  /** The key exists in the provider. */
  ACTIVE = 'ACTIVE',
  /** The key was deleted from the provider. */
  REVOKED = 'REVOKED',
}

/**
 * A credential (owned by developers) ↔ its Tyk key: provider, key hash (usage matches analytics
 * by it), the policies applied, and how the last sync went. Never holds the key itself.
 */
@Entity({ tableName: 'credential_key' })
export class CredentialKey {
  [OptionalProps]?:
    | 'providerId'
    | 'keyHash'
    | 'status'
    | 'syncStatus'
    | 'planId'
    | 'productIds'
    | 'policyIds'
    | 'attempts'
    | 'lastError'
    | 'lastAttemptAt'
    | 'syncedAt'
    | 'syncedVersion'
    | 'issuedAt'
    | 'revokedAt'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  credentialId!: string;

  /** The provider holding (or meant to hold) the key; null while no provider could be chosen. */
  @Property({ type: 'uuid', nullable: true })
  providerId: string | null = null;

  @Property({ type: 'text', nullable: true })
  keyHash: string | null = null;

  @Enum({ items: () => KeyStatus })
  status: KeyStatus = KeyStatus.PENDING;

  @Enum({ items: () => SyncStatus })
  syncStatus: SyncStatus = SyncStatus.PENDING;

  @Property({ type: 'uuid', nullable: true })
  planId: string | null = null;

  @Property({ type: TextArrayType, columnType: 'uuid[]' })
  productIds: string[] = [];

  @Property({ type: TextArrayType, columnType: 'text[]' })
  policyIds: string[] = [];

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  syncedAt: Date | null = null;

  /** The credential version the provider's key reflects. */
  @Property({ type: 'integer', nullable: true })
  syncedVersion: number | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  issuedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
