/**
 * The webhooks' transactional outbox (docs/WEBHOOKS.md). A subgraph's use case calls
 * `recordWebhookEvent` inside the transaction of its change: the event is stored in
 * `platform.webhook_event` and the dispatch job (`developers.dispatchWebhooks`) is enqueued in the
 * same transaction, so the event exists exactly when the change commits and delivery starts at
 * once, in the developers subgraph's job runner (it owns the endpoints). Nothing here sends
 * anything: a mutation never waits for a receiver.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob, JOB_TASKS } from './jobs';

/** Whose events a type is: one organization's (`organizationId` set) or the platform's (portal admins' endpoints only). */
export type WebhookEventScope = 'ORGANIZATION' | 'PLATFORM';

/**
 * Every webhook event type: its scope and what happened. `data` of each is described in
 * docs/WEBHOOKS.md; payloads carry ids and states only, never secrets.
 */
export const WEBHOOK_EVENT_TYPES = {
  DEVELOPER_REGISTERED: {
    scope: 'PLATFORM',
    description:
      'A developer registered their profile, or registered it again with a new display name (`data.developerId`, `data.subject`).',
  },
  ORGANIZATION_CREATED: {
    scope: 'ORGANIZATION',
    description: 'A portal admin created an ACTIVE organization (`data.slug`, `data.status`).',
  },
  ORGANIZATION_REQUESTED: {
    scope: 'ORGANIZATION',
    description: 'A developer asked for an organization; it waits for approval (`data.slug`, `data.status`, `data.requestedBy`).',
  },
  ORGANIZATION_APPROVED: { scope: 'ORGANIZATION', description: 'A portal admin approved a PENDING organization (`data.status`).' },
  ORGANIZATION_REJECTED: { scope: 'ORGANIZATION', description: 'A portal admin rejected a PENDING organization (`data.status`).' },
  ORGANIZATION_SUSPENDED: { scope: 'ORGANIZATION', description: 'A portal admin suspended an organization (`data.status`).' },
  ORGANIZATION_REACTIVATED: {
    scope: 'ORGANIZATION',
    description: 'A portal admin reactivated a suspended organization (`data.status`).',
  },
  MEMBER_JOINED: {
    scope: 'ORGANIZATION',
    description: 'Someone accepted an invitation and joined an organization (`data.subject`, `data.role`, `data.invitationId`).',
  },
  APP_CREATED: { scope: 'ORGANIZATION', description: 'An app was created (`data.appId`, `data.name`).' },
  APP_UPDATED: { scope: 'ORGANIZATION', description: 'An app was changed (`data.appId`, `data.name`).' },
  APP_DELETED: { scope: 'ORGANIZATION', description: 'An app was deleted (`data.appId`).' },
  ACCESS_REQUESTED: {
    scope: 'ORGANIZATION',
    description: 'A member requested access to a plan (`data.accessRequestId`; `data.credentialId` null).',
  },
  ACCESS_APPROVED: {
    scope: 'ORGANIZATION',
    description: 'An access request was approved (`data.accessRequestId`, `data.credentialId`).',
  },
  ACCESS_REJECTED: {
    scope: 'ORGANIZATION',
    description: 'An access request was rejected (`data.accessRequestId`).',
  },
  ACCESS_CANCELLED: { scope: 'ORGANIZATION', description: 'A member withdrew an access request (`data.accessRequestId`).' },
  CREDENTIAL_ISSUED: { scope: 'ORGANIZATION', description: 'A credential was issued (`data.credentialId`, `data.accessRequestId`).' },
  CREDENTIAL_ROTATED: {
    scope: 'ORGANIZATION',
    description: 'A credential was rotated (`data.credentialId` is the new one; the old one is revoked after its grace period).',
  },
  CREDENTIAL_REVOKED: {
    scope: 'ORGANIZATION',
    description: 'A credential was revoked, or its rotation grace period ended (`data.credentialId`).',
  },
  CREDENTIAL_EXPIRING: { scope: 'ORGANIZATION', description: 'A credential expires soon (`data.credentialId`).' },
  CREDENTIAL_REVOCATION_SCHEDULED: {
    scope: 'ORGANIZATION',
    description:
      'A credential unused for a while will be revoked unless it is used or kept before then (`data.credentialId`, `data.revokeAt`, `data.reason`, `data.lastUsedAt`).',
  },
  CREDENTIAL_REVOCATION_CANCELLED: {
    scope: 'ORGANIZATION',
    description: 'A scheduled revocation for want of use was called off (`data.credentialId`, `data.cancelledBecause`: USED or KEPT).',
  },
  ACCESS_REVIEW_REPORT: {
    scope: 'PLATFORM',
    description:
      'The daily access review report is ready (`data.accessReviewReportId`, `data.unusedForDays`, `data.credentialCount`, `data.organizationCount`); read it with `accessReviewReports`.',
  },
  QUOTA_BOOST_GRANTED: {
    scope: 'ORGANIZATION',
    description:
      'A temporary quota boost was granted on a credential (`data.quotaBoostId`, `data.credentialId`, `data.quotaMax`, `data.rateRequests`, `data.expiresAt`).',
  },
  QUOTA_BOOST_REVOKED: {
    scope: 'ORGANIZATION',
    description: 'A quota boost was ended early (`data.quotaBoostId`, `data.credentialId`).',
  },
  QUOTA_BOOST_EXPIRED: {
    scope: 'ORGANIZATION',
    description: 'A quota boost ended at its expiry; the key is back to its plan’s limits (`data.quotaBoostId`, `data.credentialId`).',
  },
  UPGRADE_OFFERED: {
    scope: 'ORGANIZATION',
    description:
      'The next tier is offered for an app whose usage is projected to pass its plan’s quota (`data.upgradeOfferId`, `data.credentialId`, `data.fromPlanId`, `data.toPlanId`, `data.projectedUsed`, `data.quotaLimit`, `data.expiresAt`).',
  },
  PLAN_MIGRATED: {
    scope: 'ORGANIZATION',
    description:
      'A bulk plan migration moved a credential to another plan, keeping its secret and quota counters (`data.credentialId`, `data.planMigrationId`, `data.fromPlanId`, `data.toPlanId`).',
  },
  QUOTA_WARNING: {
    scope: 'ORGANIZATION',
    description:
      'Usage crossed a quota alert threshold (`data.quotaWarningId`, `data.planId`, `data.appId`, `data.credentialId`, `data.kind`, `data.thresholdPercent`, `data.used`, `data.limit`, `data.windowStart`, `data.resetsAt`).',
  },
  PLAN_CREATED: {
    scope: 'PLATFORM',
    description: 'A plan was created (`data.planId`, `data.name`, `data.status`, `data.version`, `data.action`).',
  },
  PLAN_UPDATED: {
    scope: 'PLATFORM',
    description:
      'A plan was changed, published, archived, rolled back or imported again (`data.planId`, `data.name`, `data.status`, `data.version`, `data.action`: UPDATED, PUBLISHED, ARCHIVED or ROLLED_BACK).',
  },
  PLAN_DELETED: { scope: 'PLATFORM', description: 'A draft plan was deleted (`data.planId`).' },
  PLAN_CHANGE_PROPOSED: {
    scope: 'PLATFORM',
    description: 'A plan change waits for a second portal admin (`data.planChangeRequestId`, `data.planId`, `data.proposedBy`).',
  },
  PLAN_CHANGE_APPROVED: {
    scope: 'PLATFORM',
    description:
      'A second portal admin approved a plan change and it was applied (`data.planChangeRequestId`, `data.planId`, `data.approvedBy`, `data.version`).',
  },
  PLAN_CHANGE_REJECTED: {
    scope: 'PLATFORM',
    description: 'A plan change was rejected (`data.planChangeRequestId`, `data.planId`, `data.rejectedBy`).',
  },
  PLAN_MIGRATION_COMPLETED: {
    scope: 'PLATFORM',
    description:
      'A bulk plan migration finished (`data.planMigrationId`, `data.fromPlanId`, `data.toPlanId`, `data.moved`, `data.failed`).',
  },
  PLAN_MIGRATION_STAGE_ADVANCED: {
    scope: 'PLATFORM',
    description:
      'A staged plan migration judged its stage healthy and widened (`data.planMigrationId`, `data.fromPlanId`, `data.toPlanId`, `data.fromPercent`, `data.toPercent`).',
  },
  PLAN_MIGRATION_ROLLED_BACK: {
    scope: 'PLATFORM',
    description:
      'A staged plan migration crossed a threshold and moved its credentials back (`data.planMigrationId`, `data.fromPlanId`, `data.toPlanId`, `data.stagePercent`, `data.reason`).',
  },
  PLAN_ROLLOUT_STARTED: {
    scope: 'PLATFORM',
    description:
      'A plan change was approved with a staged rollout: its first share of the plan’s credentials got the new limits (`data.planRolloutId`, `data.planChangeRequestId`, `data.planId`, `data.startedBy`, `data.stagePercent`).',
  },
  PLAN_ROLLOUT_STAGE_ADVANCED: {
    scope: 'PLATFORM',
    description:
      'A staged plan-change rollout judged its stage healthy and widened (`data.planRolloutId`, `data.planChangeRequestId`, `data.planId`, `data.fromPercent`, `data.toPercent`).',
  },
  PLAN_ROLLOUT_COMPLETED: {
    scope: 'PLATFORM',
    description:
      'A staged plan-change rollout passed every stage and the change was applied to the plan (`data.planRolloutId`, `data.planChangeRequestId`, `data.planId`, `data.fromPercent`, `data.version`).',
  },
  PLAN_ROLLOUT_ROLLED_BACK: {
    scope: 'PLATFORM',
    description:
      'A staged plan-change rollout crossed a threshold or was rolled back by a portal admin: every key is on the plan’s limits again (`data.planRolloutId`, `data.planChangeRequestId`, `data.planId`, `data.stagePercent`, `data.reason`).',
  },
  PRODUCT_CREATED: {
    scope: 'PLATFORM',
    description: 'A product was created (`data.productId`, `data.slug`, `data.status`, `data.version`).',
  },
  PRODUCT_UPDATED: {
    scope: 'PLATFORM',
    description: 'A product was changed or archived (`data.productId`, `data.slug`, `data.status`, `data.version`).',
  },
  SYNC_FAILED: {
    scope: 'PLATFORM',
    description:
      'A plan, product or credential key could not be written to the provider (Tyk) and will be retried: sent once per run of failures (`data.providerId`, `data.target` PLAN, PRODUCT or CREDENTIAL, `data.targetId`, `data.message`; `organizationId` is the credential’s organization for keys).',
  },
  ADAPTIVE_LIMIT_TIGHTENED: {
    scope: 'PLATFORM',
    description:
      'A plan’s adaptive rate limit tightened to its floor because its upstream is unhealthy (`data.planId`, `data.state`, `data.reason`: ERROR_RATE_ABOVE or LATENCY_ABOVE, `data.requests`, `data.errors5xx`, `data.errorRatePercent`, `data.latencyP95Ms`, `data.effectiveRateRequests`, `data.effectivePerSeconds`).',
  },
  ADAPTIVE_LIMIT_RESTORED: {
    scope: 'PLATFORM',
    description:
      'A plan’s tightened rate limit was restored (`data.planId`, `data.state`, `data.reason`: RECOVERED, SETTING_REMOVED or PLAN_WITHOUT_RATE_LIMIT, the window’s figures, and the plan’s own rate as `data.effectiveRateRequests` / `data.effectivePerSeconds`).',
  },
  WEBHOOK_ENDPOINT_DISABLED: {
    scope: 'ORGANIZATION',
    description:
      'A webhook endpoint was disabled because its deliveries kept failing (`data.webhookEndpointId`, `data.reason`); sent to the other endpoints that want it. For a portal admin’s endpoint `organizationId` is null.',
  },
} as const satisfies Record<string, { scope: WebhookEventScope; description: string }>;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES;

/** The coalescing job key of the dispatch job: one queued dispatch, whatever the number of events. */
export const WEBHOOK_DISPATCH_JOB_KEY = 'webhooks:dispatch';

export interface WebhookEventInput {
  type: WebhookEventType;
  /** The organization the event is about; null for platform events (plans, products, providers, developers). */
  organizationId: string | null;
  /** When it happened (the subgraph's clock). */
  occurredAt: Date;
  /** Small, JSON, ids and states only: never a secret or a credential key. */
  data: Record<string, string | number | boolean | null>;
}

/**
 * Stores webhook events in the transaction of `em` and enqueues the dispatch job there too
 * (coalesced by its job key). Call it from the use case that makes the change, after its checks.
 */
export async function recordWebhookEvents(em: EntityManager, events: WebhookEventInput[]): Promise<void> {
  if (events.length === 0) return;
  for (const event of events) {
    await em
      .getConnection()
      .execute(
        'insert into platform.webhook_event (type, organization_id, occurred_at, data) values (?, ?, ?, ?::jsonb)',
        [event.type, event.organizationId, event.occurredAt.toISOString(), JSON.stringify(event.data)],
        'run',
        em.getTransactionContext(),
      );
  }
  await enqueueJob(em, JOB_TASKS.dispatchWebhooks, {}, { jobKey: WEBHOOK_DISPATCH_JOB_KEY });
}

/** `recordWebhookEvents` for one event. */
export function recordWebhookEvent(em: EntityManager, event: WebhookEventInput): Promise<void> {
  return recordWebhookEvents(em, [event]);
}
