import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { SyncStatus } from './sync-state';
import { entityNow } from '../../../common/clock';

/**
 * A Tyk API ↔ the JWT scope → policy entries the portal owns in its definition, with how the last
 * sync went. Shown as `Product.scopeSync` (one per Tyk API of the product).
 */
@Entity({ tableName: 'api_scope_link' })
export class ApiScopeLink {
  [OptionalProps]?: 'mapping' | 'status' | 'attempts' | 'lastError' | 'lastAttemptAt' | 'syncedAt' | 'writes' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  providerId!: string;

  @PrimaryKey({ type: 'text' })
  apiId!: string;

  /** The entries the portal wrote and owns (scope → policy id); others in the definition are not its own. */
  @Property({ type: 'json' })
  mapping: Record<string, string> = {};

  @Enum({ items: () => SyncStatus })
  status: SyncStatus = SyncStatus.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  syncedAt: Date | null = null;

  @Property({ type: 'integer' })
  writes: number = 0;

  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
