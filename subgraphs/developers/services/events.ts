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
  /** CREDENTIAL_REVOCATION_SCHEDULED and CREDENTIAL_REVOCATION_CANCELLED only. */
  revocation?: RevocationNotice;
  /** QUOTA_BOOST_* only. */
  quotaBoostId?: string;
  /** UPGRADE_OFFERED only. */
  upgradeOfferId?: string;
  /** ADAPTIVE_LIMIT_TIGHTENED and ADAPTIVE_LIMIT_RESTORED only. */
  adaptiveLimit?: AdaptiveLimitNotice;
  /** PLAN_ROLLOUT_* only. */
  planRollout?: PlanRolloutNotice;
}

/** A step of a staged plan-change rollout, as the plans subgraph announced it, for one credential. */
export interface PlanRolloutNotice {
  rolloutId: string;
  planId: string;
  /** JOINED, ROLLED_BACK or COMPLETED: with the credential id, one event per credential and step. */
  step: string;
  quotaRequests: number | null;
  quotaPeriodSeconds: number | null;
  rateRequests: number | null;
  ratePerSeconds: number | null;
  reason: string | null;
}

/** A change of a plan's adaptive rate limit, as the usage subgraph announced it. */
export interface AdaptiveLimitNotice {
  /** The change's id in the usage subgraph: one event per organization and change. */
  changeId: string;
  planId: string;
  reason: string;
  rateRequests: number | null;
  ratePerSeconds: number | null;
}

/** A scheduled revocation for want of use: when (scheduled only) and why (cancelled: USED or KEPT). */
export interface RevocationNotice {
  /** ISO time the credential will be revoked (CREDENTIAL_REVOCATION_SCHEDULED). */
  revokeAt?: string;
  reason: string;
  /** When the credential was last used (ISO, minute precision), null for never; webhook data only. */
  lastUsedAt?: string | null;
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
    revokeAt: payload.revocation?.revokeAt ? new Date(payload.revocation.revokeAt) : null,
    quotaBoostId: payload.quotaBoostId ?? null,
    upgradeOfferId: payload.upgradeOfferId ?? null,
    planId: payload.adaptiveLimit?.planId ?? payload.planRollout?.planId ?? null,
    reason: payload.revocation?.reason ?? payload.adaptiveLimit?.reason ?? payload.planRollout?.reason ?? null,
    effectiveRateRequests: payload.adaptiveLimit?.rateRequests ?? payload.planRollout?.rateRequests ?? null,
    effectiveRatePerSeconds: payload.adaptiveLimit?.ratePerSeconds ?? payload.planRollout?.ratePerSeconds ?? null,
    effectiveQuotaRequests: payload.planRollout?.quotaRequests ?? null,
    effectiveQuotaPeriodSeconds: payload.planRollout?.quotaPeriodSeconds ?? null,
    planRolloutId: payload.planRollout?.rolloutId ?? null,
  });
}

/**
 * The webhook event type of each access-request event; null: the webhook event is recorded by the
 * change's owner (the usage subgraph records ADAPTIVE_LIMIT_* once, the plans subgraph PLAN_ROLLOUT_* once, for platform endpoints).
 */
const WEBHOOK_TYPES: Record<AccessRequestEventType, WebhookEventType | null> = {
  REQUESTED: 'ACCESS_REQUESTED',
  APPROVED: 'ACCESS_APPROVED',
  REJECTED: 'ACCESS_REJECTED',
  CANCELLED: 'ACCESS_CANCELLED',
  CREDENTIAL_ISSUED: 'CREDENTIAL_ISSUED',
  CREDENTIAL_ROTATED: 'CREDENTIAL_ROTATED',
  CREDENTIAL_REVOKED: 'CREDENTIAL_REVOKED',
  CREDENTIAL_EXPIRING: 'CREDENTIAL_EXPIRING',
  CREDENTIAL_REVOCATION_SCHEDULED: 'CREDENTIAL_REVOCATION_SCHEDULED',
  CREDENTIAL_REVOCATION_CANCELLED: 'CREDENTIAL_REVOCATION_CANCELLED',
  QUOTA_BOOST_GRANTED: 'QUOTA_BOOST_GRANTED',
  QUOTA_BOOST_REVOKED: 'QUOTA_BOOST_REVOKED',
  QUOTA_BOOST_EXPIRED: 'QUOTA_BOOST_EXPIRED',
  UPGRADE_OFFERED: 'UPGRADE_OFFERED',
  PLAN_MIGRATED: 'PLAN_MIGRATED',
  ADAPTIVE_LIMIT_TIGHTENED: null,
  ADAPTIVE_LIMIT_RESTORED: null,
  PLAN_ROLLOUT_LIMITS_CHANGED: null,
  PLAN_ROLLOUT_ROLLED_BACK: null,
  PLAN_ROLLOUT_COMPLETED: null,
};

/**
 * Publishes an event inside the transaction of `em` (delivered when it commits), and stores its
 * webhook event (`ACCESS_*`, `CREDENTIAL_*`, …; not ADAPTIVE_LIMIT_* nor PLAN_ROLLOUT_*, see `WEBHOOK_TYPES`) in the
 * webhooks' outbox in the same transaction.
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
    revocation?: RevocationNotice;
    quotaBoostId?: string;
    upgradeOfferId?: string;
    adaptiveLimit?: AdaptiveLimitNotice;
    planRollout?: PlanRolloutNotice;
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
    ...(event.revocation ? { revocation: { revokeAt: event.revocation.revokeAt, reason: event.revocation.reason } } : {}),
    ...(event.quotaBoostId ? { quotaBoostId: event.quotaBoostId } : {}),
    ...(event.upgradeOfferId ? { upgradeOfferId: event.upgradeOfferId } : {}),
    ...(event.adaptiveLimit ? { adaptiveLimit: event.adaptiveLimit } : {}),
    ...(event.planRollout ? { planRollout: event.planRollout } : {}),
  };
  await pubsub.emit(em, ACCESS_REQUEST_EVENTS_TOPIC, payload);
  const webhookType = WEBHOOK_TYPES[event.type];
  if (webhookType === null) return;
  await recordWebhookEvent(em, {
    type: webhookType,
    organizationId: event.organizationId,
    occurredAt: event.at,
    data: {
      accessRequestId: payload.accessRequestId,
      credentialId: payload.credentialId,
      ...(event.countdown ?? {}),
      ...(event.revocation ? webhookRevocation(event.type, event.revocation) : {}),
      ...(event.quotaBoostId ? { quotaBoostId: event.quotaBoostId } : {}),
      ...(event.upgradeOfferId ? { upgradeOfferId: event.upgradeOfferId } : {}),
      ...(event.data ?? {}),
    },
  });
}

/** The webhook data of a revocation notice: `revokeAt`, `reason`, `lastUsedAt` when scheduled; `cancelledBecause` when cancelled. */
function webhookRevocation(type: AccessRequestEventType, notice: RevocationNotice): Record<string, string | null> {
  if (type === 'CREDENTIAL_REVOCATION_CANCELLED') return { cancelledBecause: notice.reason };
  return { revokeAt: notice.revokeAt ?? null, reason: notice.reason, lastUsedAt: notice.lastUsedAt ?? null };
}
