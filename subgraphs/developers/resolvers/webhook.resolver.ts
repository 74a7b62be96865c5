import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput, forbidden, notFound } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { serviceOps } from '../../../common/ops';
import type { FilterQuery } from '@mikro-orm/core';
import { PageArgs, pageSize, paginate, toConnection } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { organizationByIdLoader } from '../data/loaders';
import { readCursor } from '../data/pagination';
import { Organization } from '../entities/organization';
import { OrganizationRole } from '../entities/organization-member';
import { WebhookDelivery, WebhookDeliveryStatus } from '../entities/webhook-delivery';
import { WebhookEndpoint } from '../entities/webhook-endpoint';
import { developerMutation } from '../services/profile';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  mayManageEndpoints,
  redeliverWebhook,
  rotateWebhookEndpointSecret,
  updateWebhookEndpoint,
  type WebhookEndpointResult,
  type WebhookEndpointSecretResult,
} from '../services/webhooks';
import {
  CreateWebhookEndpointInput,
  CreateWebhookEndpointPayload,
  DeleteWebhookEndpointInput,
  DeleteWebhookEndpointPayload,
  RedeliverWebhookInput,
  RedeliverWebhookPayload,
  RotateWebhookEndpointSecretInput,
  RotateWebhookEndpointSecretPayload,
  UpdateWebhookEndpointInput,
  UpdateWebhookEndpointPayload,
  WebhookDeliveryConnection,
  WebhookEndpointConnection,
} from './webhook.types';

const WHO = 'ORG_ADMINs of the endpoint’s organization and portal admins (platform endpoints: portal admins only).';

function uuidArg(value: string, field: string): string {
  if (!isUuid(value)) throw badInput(field, 'Pass an id (a UUID).');
  return value.toLowerCase();
}

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @Query(() => WebhookEndpointConnection, {
    description: `Webhook endpoints, oldest first: those of one organization (\`organizationId\`; its ORG_ADMINs and portal admins), or without it the platform endpoints (portal admins). Anyone else gets FORBIDDEN; anonymous callers UNAUTHENTICATED.`,
  })
  async webhookEndpoints(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('organizationId', () => ID, {
      nullable: true,
      description: 'The organization whose endpoints to list; leave it out for the platform endpoints.',
    })
    organizationId: string | null,
    @Ctx() context: SubgraphContext,
  ) {
    context.caller.requireAuthenticated();
    if (page.after) readCursor(page.after);
    const organization = organizationId === null || organizationId === undefined ? null : uuidArg(organizationId, 'organizationId');
    if (!(await mayManageEndpoints(context.em, context.caller, organization))) {
      throw forbidden(`Only ${WHO}`, OrganizationRole.ORG_ADMIN);
    }
    return paginate(context.em, WebhookEndpoint, { organization }, page);
  }

  @Query(() => WebhookEndpoint, {
    nullable: true,
    description: `One webhook endpoint by id, for ${WHO} Everyone else gets null, whether or not it exists.`,
  })
  async webhookEndpoint(
    @Arg('id', () => ID, { description: 'Webhook endpoint id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<WebhookEndpoint | null> {
    if (context.caller.isAnonymous) return null;
    const endpoint = await context.em.findOne(WebhookEndpoint, { id: uuidArg(id, 'id') });
    if (!endpoint || !(await mayManageEndpoints(context.em, context.caller, endpoint.organizationId))) return null;
    return endpoint;
  }

  @Query(() => WebhookDeliveryConnection, {
    description: `The deliveries of one webhook endpoint in the order they are sent, oldest first (status, attempts, last answer and time, next retry), for ${WHO} Anyone else gets FORBIDDEN, whether or not the endpoint exists; a portal admin gets NOT_FOUND for an unknown id.`,
  })
  async webhookDeliveries(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('webhookEndpointId', () => ID, { description: 'The endpoint whose deliveries to list.' }) webhookEndpointId: string,
    @Arg('status', () => WebhookDeliveryStatus, { nullable: true, description: 'Only deliveries in this status.' })
    status: WebhookDeliveryStatus | null,
    @Ctx() context: SubgraphContext,
  ) {
    context.caller.requireAuthenticated();
    if (page.after) readCursor(page.after);
    const id = uuidArg(webhookEndpointId, 'webhookEndpointId');
    const endpoint = await context.em.findOne(WebhookEndpoint, { id });
    if (
      !(await mayManageEndpoints(context.em, context.caller, endpoint?.organizationId ?? null)) ||
      (!endpoint && !context.caller.isPortalAdmin)
    ) {
      throw forbidden(`Only ${WHO}`, OrganizationRole.ORG_ADMIN);
    }
    if (!endpoint) throw notFound('webhook endpoint', 'webhookEndpointId');
    // In the endpoint's order of sending (`seq`): deliveries fanned out together share a creation time.
    const limit = pageSize(page.first);
    const where: FilterQuery<WebhookDelivery> = status ? { endpointId: id, status } : { endpointId: id };
    let filter = where;
    if (page.after) {
      const anchor = await context.em.findOne(WebhookDelivery, { id: readCursor(page.after).id, endpointId: id });
      if (!anchor) throw badInput('after', 'The cursor is not valid: pass a `pageInfo.endCursor` from an earlier page.');
      filter = { ...where, seq: { $gt: anchor.seq } };
    }
    const rows = await context.em.find(WebhookDelivery, filter, { orderBy: { seq: 'asc' }, limit: limit + 1 });
    return toConnection(rows, limit, page.after, () => context.em.count(WebhookDelivery, where));
  }

  @FieldResolver(() => Organization, {
    nullable: true,
    description: 'The organization whose events it receives; null for a platform endpoint.',
  })
  organization(@Root() endpoint: WebhookEndpoint, @Ctx() context: SubgraphContext): Promise<Organization | null> | null {
    return endpoint.organization ? organizationByIdLoader(context, 'webhookEndpoint').load(endpoint.organization.id) : null;
  }

  @Mutation(() => CreateWebhookEndpointPayload, {
    description:
      'Registers a webhook endpoint and returns its signing secret, this once. With `organizationId`: that organization’s events, for its ORG_ADMINs and portal admins; without: a platform endpoint, portal admins only. The URL is checked (https, DNS, public address): INVALID_WEBHOOK_URL, WEBHOOK_HOST_NOT_FOUND, WEBHOOK_ADDRESS_NOT_ALLOWED.',
  })
  createWebhookEndpoint(
    @Arg('input', () => CreateWebhookEndpointInput, { description: 'The endpoint to register.' }) input: CreateWebhookEndpointInput,
    @Ctx() context: SubgraphContext,
  ): Promise<WebhookEndpointSecretResult> {
    return developerMutation<WebhookEndpointSecretResult>(
      context,
      (em) => createWebhookEndpoint(serviceOps(context, em), context.caller, input),
      () => ({ webhookEndpoint: null, secret: null }),
    );
  }

  @Mutation(() => UpdateWebhookEndpointPayload, {
    description: `Changes a webhook endpoint's URL, description, event types, or whether it is enabled. ${WHO}`,
  })
  updateWebhookEndpoint(
    @Arg('input', () => UpdateWebhookEndpointInput, { description: 'The endpoint and what to change.' }) input: UpdateWebhookEndpointInput,
    @Ctx() context: SubgraphContext,
  ): Promise<WebhookEndpointResult> {
    return developerMutation<WebhookEndpointResult>(
      context,
      (em) => updateWebhookEndpoint(serviceOps(context, em), context.caller, input),
      () => ({ webhookEndpoint: null }),
    );
  }

  @Mutation(() => RotateWebhookEndpointSecretPayload, {
    description: `Gives a webhook endpoint a new signing secret, returned this once; the old one keeps signing beside it for \`overlapSeconds\`. ${WHO}`,
  })
  rotateWebhookEndpointSecret(
    @Arg('input', () => RotateWebhookEndpointSecretInput, { description: 'The endpoint and the overlap.' })
    input: RotateWebhookEndpointSecretInput,
    @Ctx() context: SubgraphContext,
  ): Promise<WebhookEndpointSecretResult> {
    return developerMutation<WebhookEndpointSecretResult>(
      context,
      (em) => rotateWebhookEndpointSecret(serviceOps(context, em), context.caller, input),
      () => ({ webhookEndpoint: null, secret: null }),
    );
  }

  @Mutation(() => DeleteWebhookEndpointPayload, { description: `Deletes a webhook endpoint and its deliveries. ${WHO}` })
  deleteWebhookEndpoint(
    @Arg('input', () => DeleteWebhookEndpointInput, { description: 'The endpoint to delete.' }) input: DeleteWebhookEndpointInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DeleteWebhookEndpointPayload> {
    return developerMutation<{ deletedWebhookEndpointId: string | null }>(
      context,
      (em) => deleteWebhookEndpoint(serviceOps(context, em), context.caller, input),
      () => ({ deletedWebhookEndpointId: null }),
    );
  }

  @Mutation(() => RedeliverWebhookPayload, {
    description: `Sends a SUCCEEDED or FAILED delivery's event to its endpoint again (same \`webhook-id\`), after the endpoint's other waiting deliveries; WEBHOOK_ENDPOINT_DISABLED while the endpoint is disabled. ${WHO}`,
  })
  redeliverWebhook(
    @Arg('input', () => RedeliverWebhookInput, { description: 'The delivery to send again.' }) input: RedeliverWebhookInput,
    @Ctx() context: SubgraphContext,
  ): Promise<{ webhookDelivery: WebhookDelivery | null }> {
    return developerMutation<{ webhookDelivery: WebhookDelivery | null }>(
      context,
      (em) => redeliverWebhook(serviceOps(context, em), context.caller, input),
      () => ({ webhookDelivery: null }),
    );
  }
}
