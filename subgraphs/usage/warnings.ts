import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgPubSub } from '../../common/pubsub';
import { QuotaWarning, QuotaWarningKind } from './entities/quota-warning';
import { isUuid } from './membership';

/** PubSub topic of quota warnings (`PgPubSub.emit`), consumed by `Subscription.quotaWarnings`. */
export const QUOTA_WARNINGS_TOPIC = 'quotaWarnings';

/** What the ingest knows when a quota threshold is crossed (or projected to be). */
export interface RaiseQuotaWarningInput {
  organizationId: string;
  /** App scope; null/absent = the whole organization. */
  appId?: string | null;
  /** Credential scope; null/absent = app or organization. */
  credentialId?: string | null;
  planId?: string | null;
  kind: QuotaWarningKind;
  /** Threshold crossed, percent of the limit (1–100). */
  thresholdPercent: number;
  used: number;
  limit: number;
  windowStart: Date;
  resetsAt: Date;
}

/** The JSON payload of a `quotaWarnings` event (dates as ISO-8601 strings). */
export interface QuotaWarningEvent {
  id: string;
  organizationId: string;
  appId: string | null;
  credentialId: string | null;
  planId: string | null;
  kind: QuotaWarningKind;
  thresholdPercent: number;
  used: number;
  limit: number;
  windowStart: string;
  resetsAt: string;
  createdAt: string;
}

export function toQuotaWarningEvent(warning: QuotaWarning): QuotaWarningEvent {
  return {
    id: warning.id,
    organizationId: warning.organizationId,
    appId: warning.appId,
    credentialId: warning.credentialId,
    planId: warning.planId,
    kind: warning.kind,
    thresholdPercent: warning.thresholdPercent,
    used: warning.used,
    limit: warning.limit,
    windowStart: warning.windowStart.toISOString(),
    resetsAt: warning.resetsAt.toISOString(),
    createdAt: warning.createdAt.toISOString(),
  };
}

/** Turns an event payload back into a (detached) QuotaWarning with real Dates. */
export function quotaWarningFromEvent(event: QuotaWarningEvent): QuotaWarning {
  return Object.assign(new QuotaWarning(), {
    id: event.id,
    organizationId: event.organizationId,
    appId: event.appId ?? null,
    credentialId: event.credentialId ?? null,
    planId: event.planId ?? null,
    kind: event.kind,
    thresholdPercent: event.thresholdPercent,
    used: event.used,
    limit: event.limit,
    windowStart: new Date(event.windowStart),
    resetsAt: new Date(event.resetsAt),
    createdAt: new Date(event.createdAt),
  });
}

const MAX_INT = 2_147_483_647;

function checkInput(input: RaiseQuotaWarningInput): void {
  const problems: string[] = [];
  if (!isUuid(input.organizationId)) problems.push('organizationId must be a UUID');
  for (const key of ['appId', 'credentialId', 'planId'] as const) {
    const value = input[key];
    if (value !== null && value !== undefined && !isUuid(value)) problems.push(`${key} must be a UUID or null`);
  }
  if (!Object.values(QuotaWarningKind).includes(input.kind)) problems.push(`kind must be one of ${Object.values(QuotaWarningKind).join(', ')}`);
  if (!Number.isInteger(input.thresholdPercent) || input.thresholdPercent < 1 || input.thresholdPercent > 100) {
    problems.push('thresholdPercent must be an integer 1–100');
  }
  for (const key of ['used', 'limit'] as const) {
    const value = input[key];
    if (!Number.isInteger(value) || value < 0 || value > MAX_INT) problems.push(`${key} must be an integer 0–${MAX_INT}`);
  }
  const start = input.windowStart instanceof Date ? input.windowStart.getTime() : NaN;
  const reset = input.resetsAt instanceof Date ? input.resetsAt.getTime() : NaN;
  if (Number.isNaN(start)) problems.push('windowStart must be a valid Date');
  if (Number.isNaN(reset)) problems.push('resetsAt must be a valid Date');
  else if (!Number.isNaN(start) && reset <= start) problems.push('resetsAt must be after windowStart');
  if (problems.length) throw new RangeError(`raiseQuotaWarning: ${problems.join('; ')}`);
}

const NO_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Stores a quota warning and publishes it on `quotaWarnings`, in ONE transaction (the event is
 * delivered to subscribers when it commits). A warning fires once per scope (organization, app,
 * credential), kind, threshold and quota window: raising the same one again stores nothing,
 * publishes nothing and returns null. Called by the usage ingest, not through GraphQL.
 */
export async function raiseQuotaWarning(
  em: EntityManager,
  pubsub: Pick<PgPubSub, 'emit'>,
  input: RaiseQuotaWarningInput,
): Promise<QuotaWarning | null> {
  checkInput(input);
  return em.transactional(async (tx) => {
    const rows = await tx.getConnection().execute<Record<string, unknown>[]>(
      `insert into usage.quota_warning
         (id, organization_id, app_id, credential_id, plan_id, kind, threshold_percent, used, quota_limit,
          window_start, resets_at, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?::timestamptz)
       on conflict (organization_id, (coalesce(app_id, '${NO_ID}'::uuid)), (coalesce(credential_id, '${NO_ID}'::uuid)),
                    kind, threshold_percent, window_start)
       do nothing
       returning *`,
      [
        randomUUID(),
        input.organizationId,
        input.appId ?? null,
        input.credentialId ?? null,
        input.planId ?? null,
        input.kind,
        input.thresholdPercent,
        input.used,
        input.limit,
        input.windowStart.toISOString(),
        input.resetsAt.toISOString(),
        new Date().toISOString(),
      ],
      'all',
      tx.getTransactionContext(),
    );
    if (!rows.length) return null;
    const warning = tx.map(QuotaWarning, rows[0]);
    await pubsub.emit(tx as EntityManager, QUOTA_WARNINGS_TOPIC, toQuotaWarningEvent(warning));
    return warning;
  });
}
