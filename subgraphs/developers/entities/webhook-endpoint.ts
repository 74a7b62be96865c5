import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { randomUUID } from 'node:crypto';
import { Organization } from './organization';
import { TextArrayType } from '../../../common/db-types';
import { entityNow } from '../../../common/clock';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType as WebhookEventTypeName } from '../../../common/webhooks';

/** The webhook event types as a GraphQL enum (the list is `WEBHOOK_EVENT_TYPES` in common/webhooks.ts). */
export const WebhookEventType = Object.fromEntries(Object.keys(WEBHOOK_EVENT_TYPES).map((name) => [name, name])) as {
  [K in WebhookEventTypeName]: K;
};

registerEnumType(WebhookEventType, {
  name: 'WebhookEventType',
  description:
    'What a webhook event says happened. Organization events go to the endpoints of that organization and to the portal admins’ endpoints; platform events (plans, products, providers, developer registrations) only to the portal admins’ endpoints. The event’s `data` is described in docs/WEBHOOKS.md.',
  valuesConfig: Object.fromEntries(
    Object.entries(WEBHOOK_EVENT_TYPES).map(([name, type]) => [
      name,
      { description: `${type.scope === 'PLATFORM' ? 'Platform event' : 'Organization event'}: ${type.description}` },
    ]),
  ),
});

/**
 * A URL that receives signed webhook events (table `webhook_endpoint`): an organization's (its
 * ORG_ADMINs manage it) or the platform's (`organization` null; portal admins). The signing secret
 * is sealed at rest and shown once, when created and when rotated.
 */
@ObjectType({
  description:
    'A URL that receives webhook events, signed by the Standard Webhooks rules (docs/WEBHOOKS.md). Seen and managed by the ORG_ADMINs of its organization and by portal admins; a platform endpoint (no organization) by portal admins only.',
})
@Entity({ tableName: 'webhook_endpoint' })
export class WebhookEndpoint {
  [OptionalProps]?:
    | 'id'
    | 'description'
    | 'enabledAt'
    | 'disabledAt'
    | 'disabledReason'
    | 'previousSecretEncrypted'
    | 'previousSecretExpiresAt'
    | 'secretRotatedAt'
    | 'createdAt'
    | 'updatedAt';

  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Exposed as `WebhookEndpoint.organization` by a field resolver; null for a platform endpoint. */
  @ManyToOne({ entity: () => Organization, fieldName: 'organization_id', nullable: true, deleteRule: 'cascade' })
  organization: Organization | null = null;

  /** The organization this row belongs to (not a column): the audit log files its changes under it. */
  get organizationId(): string | null {
    return this.organization?.id ?? null;
  }

  @Field(() => String, {
    description: 'Where events are POSTed: an `https` URL (`http` only for localhost outside production), at most 2000 characters.',
  })
  @Property({ type: 'text' })
  url!: string;

  @Field(() => String, { description: 'What the endpoint is for, at most 500 characters (may be empty).' })
  @Property({ type: 'text' })
  description: string = '';

  @Field(() => [WebhookEventType], { description: 'The event types it receives (at least one).' })
  @Property({ type: TextArrayType, columnType: 'text[]' })
  eventTypes!: WebhookEventTypeName[];

  @Field(() => Boolean, {
    description:
      'Whether it receives events. A disabled endpoint gets no new deliveries; deliveries already waiting resume when it is enabled again.',
  })
  @Property({ type: 'boolean' })
  enabled!: boolean;

  /** When it was last enabled (or created): the retry window of waiting deliveries starts no earlier. */
  @Property({ type: 'timestamptz', onCreate: entityNow })
  enabledAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the platform disabled it because its deliveries kept failing; null otherwise.' })
  @Property({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null = null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the platform disabled it (its deliveries kept failing, and the last failure); null while enabled or when an admin disabled it.',
  })
  @Property({ type: 'text', nullable: true })
  disabledReason: string | null = null;

  /** The signing secret (`whsec_…`), AES-256-GCM sealed. Never exposed after creation or rotation. */
  @Property({ type: 'text' })
  secretEncrypted!: string;

  /** The secret before the last rotation, sealed; still signs (beside the new one) until `previousSecretExpiresAt`. */
  @Property({ type: 'text', nullable: true })
  previousSecretEncrypted: string | null = null;

  @Field(() => Date, {
    nullable: true,
    description:
      'Until when deliveries are also signed with the secret before the last rotation (two signatures in `webhook-signature`); null when no old secret is in use.',
  })
  @Property({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the secret was last rotated; null if never.' })
  @Property({ type: 'timestamptz', nullable: true })
  secretRotatedAt: Date | null = null;

  /** Events up to this id (`platform.webhook_event`) existed before the endpoint: it does not receive them. */
  @Property({ type: 'bigint' })
  fromEventId!: string;

  @Field(() => String, { description: 'Token subject of whoever created the endpoint.' })
  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => Date, { description: 'When the endpoint was created.' })
  @Property({ type: 'timestamptz', onCreate: entityNow })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the endpoint last changed.' })
  @Property({ type: 'timestamptz', onCreate: entityNow, onUpdate: entityNow })
  updatedAt!: Date;
}
