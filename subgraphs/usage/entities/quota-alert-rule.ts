import { Entity, OptionalProps, PrimaryKey, Property, ArrayType } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

/**
 * Alert thresholds (percent of quota) of an organization (`appId` null: the organization's
 * default) or of one app. Exposed in GraphQL as `QuotaAlertRules`.
 */
@Entity({ tableName: 'quota_alert_rule' })
export class QuotaAlertRule {
  [OptionalProps]?: 'id' | 'appId' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'uuid', nullable: true })
  appId: string | null = null;

  /** Sorted ascending, unique, each 1–100, at most 10. */
  @Property({ type: new ArrayType<number>((value) => Number(value)), columnType: 'integer[]' })
  thresholds!: number[];

  /** Subject of whoever last set the rules. */
  @Property({ type: 'text' })
  updatedBy!: string;

  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
