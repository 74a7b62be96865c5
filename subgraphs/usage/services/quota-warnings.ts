import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgPubSub } from '../../../common/pubsub';
import { QuotaWarning, QuotaWarningKind } from '../entities/quota-warning';
import { isUuid, NIL_UUID } from '../../../common/ids';
import { ALL_QUOTA_ALERT_CHANNELS, QuotaAlertChannel } from './quota-alert-thresholds';
import { recordWebhookEvents } from '../../../common/webhooks';

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
  /** Where it goes (the threshold's channels under the alert rules); absent: every channel. */
  channels?: readonly QuotaAlertChannel[];
  /** Held back by the rules' pacing (stored, not delivered); absent/null: delivered. */
  suppressedReason?: 'COOL_DOWN' | 'NOT_REARMED' | null;
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

const fromEvent = new WeakMap<QuotaWarningEvent, QuotaWarning>();

/**
 * Turns an event payload back into a (detached) QuotaWarning with real Dates. Every subscriber
 * of a process gets the same payload object, so the conversion is done once per event.
 */
export function quotaWarningFromEvent(event: QuotaWarningEvent): QuotaWarning {
  let warning = fromEvent.get(event);
  if (!warning) {
    warning = toQuotaWarning(event);
    fromEvent.set(event, warning);
  }
  return warning;
}

function toQuotaWarning(event: QuotaWarningEvent): QuotaWarning {
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
  if (!Object.values(QuotaWarningKind).includes(input.kind))
    problems.push(`kind must be one of ${Object.values(QuotaWarningKind).join(', ')}`);
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
  if (problems.length) throw new RangeError(`insertQuotaWarnings: ${problems.join('; ')}`);
}

/**
 * Stores quota warnings and publishes each stored one on `quotaWarnings`, inside the caller's
 * transaction `tx` (events reach subscribers when it commits). Warnings that were raised before
 * (same scope, kind, threshold and window) are skipped. A warning held back by the alert rules'
 * pacing (`suppressedReason`) is stored but not published; one whose channels leave out
 * SUBSCRIPTION is not published either. One INSERT for the whole list; returns the stored warnings
 * in the order given.
 */
export async function insertQuotaWarnings(
  tx: EntityManager,
  pubsub: Pick<PgPubSub, 'emit'>,
  inputs: readonly RaiseQuotaWarningInput[],
  createdAt: Date,
): Promise<QuotaWarning[]> {
  if (!inputs.length) return [];
  for (const input of inputs) checkInput(input);
  const ids: string[] = inputs.map(() => randomUUID());
  const column = (values: (string | number | null)[]) => `{${values.map((v) => (v === null ? 'NULL' : `"${v}"`)).join(',')}}`;
  const rows = await tx.getConnection().execute<Record<string, unknown>[]>(
    `insert into usage.quota_warning
       (id, organization_id, app_id, credential_id, plan_id, kind, threshold_percent, used, quota_limit,
        window_start, resets_at, suppressed_reason, channels, created_at)
     select id, organization_id, app_id, credential_id, plan_id, kind, threshold_percent, used, quota_limit,
            window_start, resets_at, suppressed_reason, string_to_array(channels, ','), ?::timestamptz
       from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::integer[], ?::integer[], ?::integer[],
                   ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[])
            as t(id, organization_id, app_id, credential_id, plan_id, kind, threshold_percent, used, quota_limit, window_start, resets_at,
                 suppressed_reason, channels)
     on conflict (organization_id, (coalesce(app_id, '${NIL_UUID}'::uuid)), (coalesce(credential_id, '${NIL_UUID}'::uuid)),
                  kind, threshold_percent, window_start)
     do nothing
     returning *`,
    [
      createdAt.toISOString(),
      column(ids),
      column(inputs.map((i) => i.organizationId)),
      column(inputs.map((i) => i.appId ?? null)),
      column(inputs.map((i) => i.credentialId ?? null)),
      column(inputs.map((i) => i.planId ?? null)),
      column(inputs.map((i) => i.kind)),
      column(inputs.map((i) => i.thresholdPercent)),
      column(inputs.map((i) => i.used)),
      column(inputs.map((i) => i.limit)),
      column(inputs.map((i) => i.windowStart.toISOString())),
      column(inputs.map((i) => i.resetsAt.toISOString())),
      column(inputs.map((i) => i.suppressedReason ?? null)),
      column(inputs.map((i) => (i.channels ?? ALL_QUOTA_ALERT_CHANNELS).join(','))),
    ],
    'all',
    tx.getTransactionContext(),
  );
  const order = new Map(ids.map((id, index) => [id, index]));
  const stored = rows.map((row) => tx.map(QuotaWarning, row)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const delivered = (warning: QuotaWarning, channel: QuotaAlertChannel) =>
    warning.suppressedReason === null && warning.channels.includes(channel);
  for (const warning of stored) {
    if (delivered(warning, QuotaAlertChannel.SUBSCRIPTION)) await pubsub.emit(tx, QUOTA_WARNINGS_TOPIC, toQuotaWarningEvent(warning));
  }
  // The warnings routed to webhooks, in the same transaction (the webhooks' outbox).
  await recordWebhookEvents(
    tx,
    stored
      .filter((warning) => delivered(warning, QuotaAlertChannel.WEBHOOK))
      .map((warning) => ({
        type: 'QUOTA_WARNING' as const,
        organizationId: warning.organizationId,
        occurredAt: warning.createdAt,
        data: {
          quotaWarningId: warning.id,
          appId: warning.appId,
          credentialId: warning.credentialId,
          planId: warning.planId,
          kind: warning.kind,
          thresholdPercent: warning.thresholdPercent,
          used: warning.used,
          limit: warning.limit,
          windowStart: warning.windowStart.toISOString(),
          resetsAt: warning.resetsAt.toISOString(),
        },
      })),
  );
  return stored;
}
