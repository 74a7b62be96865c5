/**
 * The access-request events: stored in `platform.event` and sent with `pg_notify` in the
 * transaction of the change that causes them (`emitAccessEvent`), so subscribers see them exactly
 * when it commits.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgPubSub } from '../../../common/pubsub';
import { recordWebhookEvent, type WebhookEventType } from '../../../common/webhooks';
import { AccessRequestEvent, type AccessRequestEventType } from '../entities/access-request-event';

/** The PgPubSub topic of access-request and credential events. */
export const ACCESS_REQUEST_EVENTS_TOPIC = 'accessRequestEvents';

/** What travels through PostgreSQL NOTIFY: ids only; the fields are read from the database. */
export interface AccessRequestEventPayload {
  id: string;
  type: AccessRequestEventType;
  occurredAt: string;
  organizationId: string;
  accessRequestId: string | null;
  credentialId: string | null;
  /** CREDENTIAL_EXPIRING only (absent from other events). */
  countdown?: ExpiryCountdown;
}

/** Where a CREDENTIAL_EXPIRING event stands in the countdown. */
export interface ExpiryCountdown {
  /** ISO time the credential expires. */
  expiresAt: string;
  secondsLeft: number;
  leadSeconds: number;
}

export function eventFromPayload(payload: AccessRequestEventPayload, cursor: string): AccessRequestEvent {
  return Object.assign(new AccessRequestEvent(), {
    id: payload.id,
    cursor,
    type: payload.type,
    occurredAt: new Date(payload.occurredAt),
    organizationId: payload.organizationId,
    accessRequestId: payload.accessRequestId,
    credentialId: payload.credentialId,
    expiresAt: payload.countdown ? new Date(payload.countdown.expiresAt) : null,
    secondsLeft: payload.countdown?.secondsLeft ?? null,
    leadSeconds: payload.countdown?.leadSeconds ?? null,
  });
}

/** The webhook event type of each access-request event. */
const WEBHOOK_TYPES: Record<AccessRequestEventType, WebhookEventType> = {
  REQUESTED: 'ACCESS_REQUESTED',
  APPROVED: 'ACCESS_APPROVED',
  REJECTED: 'ACCESS_REJECTED',
  CANCELLED: 'ACCESS_CANCELLED',
  CREDENTIAL_ISSUED: 'CREDENTIAL_ISSUED',
  CREDENTIAL_ROTATED: 'CREDENTIAL_ROTATED',
  CREDENTIAL_REVOKED: 'CREDENTIAL_REVOKED',
  CREDENTIAL_EXPIRING: 'CREDENTIAL_EXPIRING',
  PLAN_MIGRATED: 'PLAN_MIGRATED',
};

/**
 * Publishes an event inside the transaction of `em` (delivered when it commits), and stores its
 * webhook event (`ACCESS_*`, `CREDENTIAL_*`) in the webhooks' outbox in the same transaction.
 */
export async function emitAccessEvent(
  pubsub: PgPubSub,
  em: EntityManager,
  event: {
    type: AccessRequestEventType;
    organizationId: string;
    accessRequestId?: string | null;
    credentialId?: string | null;
    at: Date;
    countdown?: ExpiryCountdown;
    /** Extra webhook `data` (ids and states only). */
    data?: Record<string, string | number | boolean | null>;
  },
): Promise<void> {
  const payload: AccessRequestEventPayload = {
    id: randomUUID(),
    type: event.type,
    occurredAt: event.at.toISOString(),
    organizationId: event.organizationId,
    accessRequestId: event.accessRequestId ?? null,
    credentialId: event.credentialId ?? null,
    ...(event.countdown ? { countdown: event.countdown } : {}),
  };
  await pubsub.emit(em, ACCESS_REQUEST_EVENTS_TOPIC, payload);
  await recordWebhookEvent(em, {
    type: WEBHOOK_TYPES[event.type],
    organizationId: event.organizationId,
    occurredAt: event.at,
    data: {
      accessRequestId: payload.accessRequestId,
      credentialId: payload.credentialId,
      ...(event.countdown ?? {}),
      ...(event.data ?? {}),
    },
  });
}
