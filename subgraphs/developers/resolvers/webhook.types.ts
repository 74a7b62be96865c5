/** GraphQL inputs, payloads and connections of the webhook operations. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { payloadType } from '../../../common/payloads';
import { connectionType } from '../../../common/relay';
import type { WebhookEventType as WebhookEventTypeName } from '../../../common/webhooks';
import { WebhookDelivery, WebhookDeliveryStatus } from '../entities/webhook-delivery';
import { WebhookEndpoint, WebhookEventType } from '../entities/webhook-endpoint';

export const WebhookEndpointConnection = connectionType(WebhookEndpoint, 'WebhookEndpoint', 'webhook endpoint');
export const WebhookDeliveryConnection = connectionType(WebhookDelivery, 'WebhookDelivery', 'webhook delivery');

@InputType({ description: 'A new webhook endpoint.' })
export class CreateWebhookEndpointInput {
  @Field(() => ID, {
    nullable: true,
    description:
      'The organization whose events it receives (its ORG_ADMINs may register it). Leave it out for a platform endpoint, which receives every organization’s events and the platform events (portal admins only).',
  })
  organizationId?: string | null;

  @Field(() => String, {
    description:
      'Where to POST events: an `https` URL (`http` only for localhost outside production), at most 2000 characters, whose host resolves to a public address (private, loopback, link-local and metadata addresses are refused unless allowed by WEBHOOK_ALLOWED_CIDRS).',
  })
  url!: string;

  @Field(() => String, { nullable: true, description: 'What the endpoint is for, at most 500 characters.' })
  description?: string | null;

  @Field(() => [WebhookEventType], {
    description: 'The event types to receive (at least one; an organization’s endpoint may not ask for platform events).',
  })
  eventTypes!: WebhookEventTypeName[];

  @Field(() => Boolean, { nullable: true, description: 'Whether it receives events from now on (default true).' })
  enabled?: boolean | null;
}

@InputType({ description: 'Changes to a webhook endpoint; fields left out stay as they are.' })
export class UpdateWebhookEndpointInput {
  @Field(() => ID, { description: 'Webhook endpoint id.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'A new URL (same rules as when created).' })
  url?: string | null;

  @Field(() => String, { nullable: true, description: 'A new description, at most 500 characters.' })
  description?: string | null;

  @Field(() => [WebhookEventType], { nullable: true, description: 'The event types to receive from now on (at least one).' })
  eventTypes?: WebhookEventTypeName[] | null;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'false stops new deliveries; true enables it again (also after the platform disabled it): waiting deliveries are sent at once, with a new retry window.',
  })
  enabled?: boolean | null;
}

@InputType({ description: 'Which endpoint gets a new signing secret, and for how long the old one still signs.' })
export class RotateWebhookEndpointSecretInput {
  @Field(() => ID, { description: 'Webhook endpoint id.' })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'For how many seconds deliveries are signed with the old secret too (0–604800; default 86400, one day), so the receiver can switch over; 0 drops it at once.',
  })
  overlapSeconds?: number | null;
}

@InputType({ description: 'Which webhook endpoint to delete.' })
export class DeleteWebhookEndpointInput {
  @Field(() => ID, { description: 'Webhook endpoint id.' })
  id!: string;
}

@InputType({ description: 'Which delivery to send again.' })
export class RedeliverWebhookInput {
  @Field(() => ID, { description: 'Id of a SUCCEEDED or FAILED delivery.' })
  deliveryId!: string;
}

@ObjectType({ description: 'Result of `createWebhookEndpoint`.' })
export class CreateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The new endpoint; null when `errors` is not empty.' })
  webhookEndpoint!: WebhookEndpoint | null;

  @Field(() => String, {
    nullable: true,
    description:
      'The signing secret (`whsec_…`), shown this once: keep it to verify deliveries (docs/WEBHOOKS.md). Null when `errors` is not empty.',
  })
  secret!: string | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Result of `rotateWebhookEndpointSecret`.' })
export class RotateWebhookEndpointSecretPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The endpoint; null when `errors` is not empty.' })
  webhookEndpoint!: WebhookEndpoint | null;

  @Field(() => String, {
    nullable: true,
    description: 'The new signing secret, shown this once. Null when `errors` is not empty.',
  })
  secret!: string | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

export const UpdateWebhookEndpointPayload = payloadType(
  'UpdateWebhookEndpointPayload',
  'updateWebhookEndpoint',
  'webhookEndpoint',
  WebhookEndpoint,
  'The endpoint as it is now',
);

@ObjectType({ description: 'Result of `deleteWebhookEndpoint`.' })
export class DeleteWebhookEndpointPayload {
  @Field(() => ID, { nullable: true, description: 'Id of the deleted endpoint; null when `errors` is not empty.' })
  deletedWebhookEndpointId!: string | null;

  @Field(() => [UserError], { description: 'Why nothing changed; empty on success.' })
  errors!: UserError[];
}

export const RedeliverWebhookPayload = payloadType(
  'RedeliverWebhookPayload',
  'redeliverWebhook',
  'webhookDelivery',
  WebhookDelivery,
  'The new PENDING delivery',
);

export { WebhookDeliveryStatus };
