import { Entity, OptionalProps, PrimaryKey, Property, ArrayType } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { entityNow } from '../../../common/clock';

/**
 * Alert thresholds (percent of quota) of an organization (`appId` null: the organization's
 * default) or of one app. Exposed in GraphQL as `QuotaAlertRules`.
 */
@Entity({ tableName: 'quota_alert_rule' })
export class QuotaAlertRule {
  [OptionalProps]?: 'id' | 'appId' | 'coolDownSeconds' | 'rearmMarginPercent' | 'channels' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'uuid', nullable: true })
  appId: string | null = null;

  /** Sorted ascending, unique, each 1–100, at most 10. */
  @Property({ type: new ArrayType<number>((value) => Number(value)), columnType: 'integer[]' })
  thresholds!: number[];

  /** Seconds a delivered warning holds back the same one (0 = off). */
  @Property({ type: 'integer' })
  coolDownSeconds: number = 0;

  /** Percentage points below a threshold a window must end at to re-arm it (0 = off). */
  @Property({ type: 'integer' })
  rearmMarginPercent: number = 0;

  /** Channels per threshold (`{"90": ["WEBHOOK"]}`); thresholds left out go to every channel. */
  @Property({ type: 'json', columnType: 'jsonb' })
  channels: Record<string, string[]> = {};

  /** Subject of whoever last set the rules. */
  @Property({ type: 'text' })
  updatedBy!: string;

  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
