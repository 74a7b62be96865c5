import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WebhookEventType } from './webhook-endpoint';
import type { WebhookEventType as WebhookEventTypeName } from '../../../common/webhooks';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a webhook delivery stands.',
  valuesConfig: {
    PENDING: {
      description:
        'Not delivered yet: waiting for its turn (an endpoint gets its events one at a time, oldest first) or for its next retry (`nextAttemptAt`).',
    },
    SUCCEEDED: { description: 'The endpoint answered an attempt with a 2xx status.' },
    FAILED: {
      description:
        'Every attempt failed during the retry window (WEBHOOK_RETRY_WINDOW_SECONDS, a day by default); the endpoint was disabled. `redeliverWebhook` sends it again.',
    },
  },
});

/**
 * One event sent (or to be sent) to one endpoint (table `webhook_delivery`). Its bookkeeping
 * (attempts, answers) is written by the delivery job with SQL, outside the audit log: it is
 * operational state, like the job queue's.
 */
@ObjectType({ description: 'One webhook event sent, or to be sent, to one endpoint: its status, attempts and the last answer.' })
@Entity({ tableName: 'webhook_delivery' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Position in the endpoint's order of sending. */
  @Property({ type: 'bigint' })
  seq!: string;

  @Field(() => ID, { description: 'The endpoint it is sent to.' })
  @Property({ type: 'uuid' })
  endpointId!: string;

  /** `platform.webhook_event.id`. */
  @Property({ type: 'bigint' })
  eventId!: string;

  @Field(() => String, {
    description:
      'The event’s message id, sent as the `webhook-id` header: the same for every attempt and redelivery of the event (receivers deduplicate on it).',
  })
  get messageId(): string {
    return `msg_${this.eventId}`;
  }

  @Field(() => WebhookEventType, { description: 'The event type.' })
  @Property({ type: 'text' })
  eventType!: WebhookEventTypeName;

  /** The event's organization (null for platform events). */
  @Property({ type: 'uuid', nullable: true })
  organizationId!: string | null;

  @Field(() => WebhookDeliveryStatus, { description: 'Where the delivery stands.' })
  @Property({ type: 'text' })
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: 'Attempts made so far.' })
  @Property({ type: 'integer' })
  attempts!: number;

  @Field(() => Date, { nullable: true, description: 'When the last attempt was made; null before the first.' })
  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'HTTP status of the last answer; null before the first attempt or when none came (timeout, refused connection or address).',
  })
  @Property({ type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Field(() => Int, { nullable: true, description: 'How long the last attempt took, in milliseconds; null before the first.' })
  @Property({ type: 'integer', nullable: true })
  responseTimeMs!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed (e.g. `HTTP 500`, `timeout`); null after a success.' })
  @Property({ type: 'text', nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the next retry is due; null when none is scheduled.' })
  @Property({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => ID, { nullable: true, description: 'The delivery this one sends again (`redeliverWebhook`); null for the first delivery.' })
  @Property({ type: 'uuid', nullable: true })
  redeliveryOf!: string | null;

  @Field(() => Date, { description: 'When the delivery was created (fanned out from its event, or asked for again).' })
  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it SUCCEEDED or FAILED; null while PENDING.' })
  @Property({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
