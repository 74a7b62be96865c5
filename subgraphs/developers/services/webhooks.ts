/**
 * The webhook endpoint use cases (docs/WEBHOOKS.md): create, update, rotate the secret, delete,
 * send a delivery again; and who may see and manage an endpoint. An organization's endpoint is
 * managed by its ORG_ADMINs and portal admins, a platform endpoint (no organization) by portal
 * admins only. Each runs inside the mutation's transaction (`developerMutation`).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import type { Caller } from '../../../common/auth';
import { webhookConfig } from '../../../common/config';
import { forbidden, refusal } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import type { Ops } from '../../../common/ops';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../common/webhooks';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { WebhookDelivery, WebhookDeliveryStatus } from '../entities/webhook-delivery';
import { WebhookEndpoint } from '../entities/webhook-endpoint';
import { enqueueEndpointDelivery } from '../jobs/webhooks';
import { openSecret, sealSecret } from '../secrets';
import { checkUrlForm, resolveTarget, WebhookUrlError } from '../webhooks/address-guard';
import { generateWebhookSecret } from '../webhooks/signing';
import { authorizeOrganization, notFoundError } from './authorize';

export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 500;
/** Entries `eventTypes` may have (each type once is far fewer). */
const MAX_EVENT_TYPES_LISTED = 100;
/** Endpoints per organization (and on the platform). */
export const MAX_WEBHOOK_ENDPOINTS = 20;
/** How long the old secret still signs after a rotation, by default and at most. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400;
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;
/** How long the DNS check of a URL may take when an endpoint is saved. */
const DNS_CHECK_TIMEOUT_MS = 3_000;

export interface CreateWebhookEndpointCommand {
  organizationId?: string | null;
  url: string;
  description?: string | null;
  eventTypes: WebhookEventType[];
  enabled?: boolean | null;
}

export interface UpdateWebhookEndpointCommand {
  id: string;
  url?: string | null;
  description?: string | null;
  eventTypes?: WebhookEventType[] | null;
  enabled?: boolean | null;
}

export type WebhookEndpointResult = { webhookEndpoint: WebhookEndpoint | null };
export type WebhookEndpointSecretResult = { webhookEndpoint: WebhookEndpoint | null; secret: string | null };

const ONLY_ADMINS =
  'Only ORG_ADMINs of the endpoint’s organization and portal admins may do this (platform endpoints: portal admins only).';

/** Whether the caller may see and manage an endpoint of `organizationId` (null: a platform endpoint). Reads and mutations. */
export async function mayManageEndpoints(em: EntityManager, caller: Caller, organizationId: string | null): Promise<boolean> {
  if (caller.isPortalAdmin) return true;
  if (caller.isAnonymous || organizationId === null) return false;
  const membership = await em.findOne(OrganizationMember, { organization: organizationId, subject: caller.subject! });
  return membership?.role === OrganizationRole.ORG_ADMIN;
}

/**
 * The endpoint `id`, locked, when the caller may manage it. Anyone else gets FORBIDDEN whether or
 * not it exists; a portal admin gets NOT_FOUND for an unknown id.
 */
export async function authorizeEndpoint(em: EntityManager, caller: Caller, id: string, field = 'input.id'): Promise<WebhookEndpoint> {
  caller.requireAuthenticated();
  const endpoint = isUuid(id)
    ? await em.findOne(WebhookEndpoint, { id: id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
    : null;
  if (!(await mayManageEndpoints(em, caller, endpoint?.organizationId ?? null)) || (!endpoint && !caller.isPortalAdmin)) {
    throw forbidden(ONLY_ADMINS, OrganizationRole.ORG_ADMIN);
  }
  if (!endpoint) throw notFoundError(field, 'webhook endpoint');
  return endpoint;
}

/** Checks a URL for an endpoint: its form, then (DNS) that it resolves to an allowed address. */
async function checkEndpointUrl(ops: Ops, v: Validation, url: string): Promise<string> {
  const policy = webhookConfig(ops.env);
  const text = url.trim();
  try {
    const parsed = checkUrlForm(text, policy);
    await resolveTarget(parsed, policy, DNS_CHECK_TIMEOUT_MS);
  } catch (error) {
    if (!(error instanceof WebhookUrlError)) throw error;
    v.fail('input.url', error.message, error.code);
  }
  return text;
}

function checkEventTypes(v: Validation, types: WebhookEventType[], organizationId: string | null): WebhookEventType[] {
  const unique = [...new Set(types)];
  v.check(unique.length >= 1, 'input.eventTypes', 'Choose at least one event type.');
  v.check(types.length <= MAX_EVENT_TYPES_LISTED, 'input.eventTypes', `List at most ${MAX_EVENT_TYPES_LISTED} event types.`);
  if (organizationId !== null) {
    const platformOnly = unique.filter((type) => WEBHOOK_EVENT_TYPES[type]?.scope === 'PLATFORM');
    v.check(
      platformOnly.length === 0,
      'input.eventTypes',
      `${platformOnly.join(', ')} ${platformOnly.length === 1 ? 'is a platform event' : 'are platform events'}: only portal admins’ endpoints (without an organization) receive them. Leave them out.`,
    );
  }
  return unique;
}

function checkDescription(v: Validation, description: string | null | undefined): string {
  const text = (description ?? '').trim();
  v.check(
    text.length <= MAX_WEBHOOK_DESCRIPTION_LENGTH,
    'input.description',
    `Give a description of at most ${MAX_WEBHOOK_DESCRIPTION_LENGTH} characters.`,
  );
  return text;
}

/** The newest event id: an endpoint receives only the events stored after it was created. */
async function lastEventId(em: EntityManager): Promise<string> {
  const [row] = await em
    .getConnection()
    .execute<{ id: string }[]>('select coalesce(max(id), 0) as id from platform.webhook_event', [], 'all', em.getTransactionContext());
  return String(row?.id ?? '0');
}

export async function createWebhookEndpoint(
  ops: Ops,
  caller: Caller,
  input: CreateWebhookEndpointCommand,
): Promise<WebhookEndpointSecretResult> {
  const subject = caller.requireAuthenticated();
  const organizationId = input.organizationId ?? null;
  const { em } = ops;
  let organization = null;
  if (organizationId === null) {
    if (!caller.isPortalAdmin) throw forbidden('Only portal admins may register platform endpoints (without an organization).');
  } else {
    organization = (await authorizeOrganization({ caller }, em, organizationId, OrganizationRole.ORG_ADMIN)).organization;
  }
  const v = new Validation();
  const url = await checkEndpointUrl(ops, v, input.url);
  const description = checkDescription(v, input.description);
  const eventTypes = checkEventTypes(v, input.eventTypes, organizationId);
  v.done();
  const count = await em.count(WebhookEndpoint, { organization: organization ? organization.id : null });
  if (count >= MAX_WEBHOOK_ENDPOINTS) {
    throw refusal(
      'LIMIT_REACHED',
      'input.organizationId',
      `At most ${MAX_WEBHOOK_ENDPOINTS} endpoints per organization (and on the platform): delete one first.`,
    );
  }
  const secret = generateWebhookSecret();
  const endpoint = em.create(WebhookEndpoint, {
    organization,
    url,
    description,
    eventTypes,
    enabled: input.enabled ?? true,
    secretEncrypted: sealSecret(secret, ops.env),
    fromEventId: await lastEventId(em),
    createdBy: subject,
  });
  await em.flush();
  return { webhookEndpoint: endpoint, secret };
}

export async function updateWebhookEndpoint(ops: Ops, caller: Caller, input: UpdateWebhookEndpointCommand): Promise<WebhookEndpointResult> {
  const { em } = ops;
  const endpoint = await authorizeEndpoint(em, caller, input.id);
  const v = new Validation();
  if (input.url !== undefined && input.url !== null) endpoint.url = await checkEndpointUrl(ops, v, input.url);
  if (input.description !== undefined && input.description !== null) endpoint.description = checkDescription(v, input.description);
  if (input.eventTypes !== undefined && input.eventTypes !== null) {
    endpoint.eventTypes = checkEventTypes(v, input.eventTypes, endpoint.organizationId);
  }
  v.done();
  if (input.enabled === true && !endpoint.enabled) {
    // Enabled again: waiting deliveries are tried at once, with a new retry window.
    endpoint.enabled = true;
    endpoint.enabledAt = ops.now;
    endpoint.disabledAt = null;
    endpoint.disabledReason = null;
    await em.flush();
    await em
      .getConnection()
      .execute(
        `update developers.webhook_delivery set next_attempt_at = null where endpoint_id = ? and status = 'PENDING'`,
        [endpoint.id],
        'run',
        em.getTransactionContext(),
      );
    await enqueueEndpointDelivery(em, endpoint.id, 0);
  } else if (input.enabled === false && endpoint.enabled) {
    endpoint.enabled = false;
    endpoint.disabledAt = null;
    endpoint.disabledReason = null;
  }
  await em.flush();
  return { webhookEndpoint: endpoint };
}

export async function rotateWebhookEndpointSecret(
  ops: Ops,
  caller: Caller,
  input: { id: string; overlapSeconds?: number | null },
): Promise<WebhookEndpointSecretResult> {
  const { em } = ops;
  const endpoint = await authorizeEndpoint(em, caller, input.id);
  const overlap = input.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
  new Validation()
    .check(
      Number.isInteger(overlap) && overlap >= 0 && overlap <= MAX_SECRET_OVERLAP_SECONDS,
      'input.overlapSeconds',
      `Give an overlap of 0 to ${MAX_SECRET_OVERLAP_SECONDS} seconds (7 days).`,
    )
    .done();
  const secret = generateWebhookSecret();
  // The secret in use until now keeps signing (beside the new one) during the overlap.
  const current = openSecret(endpoint.secretEncrypted, ops.env);
  endpoint.previousSecretEncrypted = overlap > 0 ? sealSecret(current, ops.env) : null;
  endpoint.previousSecretExpiresAt = overlap > 0 ? new Date(ops.now.getTime() + overlap * 1000) : null;
  endpoint.secretEncrypted = sealSecret(secret, ops.env);
  endpoint.secretRotatedAt = ops.now;
  await em.flush();
  return { webhookEndpoint: endpoint, secret };
}

export async function deleteWebhookEndpoint(
  ops: Ops,
  caller: Caller,
  input: { id: string },
): Promise<{ deletedWebhookEndpointId: string | null }> {
  const { em } = ops;
  const endpoint = await authorizeEndpoint(em, caller, input.id);
  const id = endpoint.id;
  await em
    .getConnection()
    .execute('delete from developers.webhook_delivery where endpoint_id = ?', [id], 'run', em.getTransactionContext());
  em.remove(endpoint);
  await em.flush();
  return { deletedWebhookEndpointId: id };
}

/**
 * Sends a delivery's event to its endpoint again: a new PENDING delivery (same `webhook-id`), sent
 * after the endpoint's other waiting deliveries. Refused while the delivery is PENDING itself or the
 * endpoint is disabled.
 */
export async function redeliverWebhook(
  ops: Ops,
  caller: Caller,
  input: { deliveryId: string },
): Promise<{ webhookDelivery: WebhookDelivery | null }> {
  const { em } = ops;
  caller.requireAuthenticated();
  const original = isUuid(input.deliveryId) ? await em.findOne(WebhookDelivery, { id: input.deliveryId.toLowerCase() }) : null;
  if (!original) {
    if (!caller.isPortalAdmin) throw forbidden(ONLY_ADMINS, OrganizationRole.ORG_ADMIN);
    throw notFoundError('input.deliveryId', 'webhook delivery');
  }
  const endpoint = await authorizeEndpoint(em, caller, original.endpointId, 'input.deliveryId');
  if (original.status === WebhookDeliveryStatus.PENDING) {
    throw refusal('INVALID_TRANSITION', 'input.deliveryId', 'This delivery is still PENDING: it will be sent (or retried) by itself.');
  }
  if (!endpoint.enabled) {
    throw refusal('WEBHOOK_ENDPOINT_DISABLED', 'input.deliveryId', 'The endpoint is disabled: enable it first (updateWebhookEndpoint).');
  }
  const id = randomUUID();
  await em.getConnection().execute(
    `insert into developers.webhook_delivery (id, endpoint_id, event_id, event_type, organization_id, status, attempts, redelivery_of, created_at)
       values (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)`,
    [id, endpoint.id, original.eventId, original.eventType, original.organizationId, original.id, ops.now],
    'run',
    em.getTransactionContext(),
  );
  await enqueueEndpointDelivery(em, endpoint.id);
  return { webhookDelivery: await em.findOneOrFail(WebhookDelivery, { id }) };
}
