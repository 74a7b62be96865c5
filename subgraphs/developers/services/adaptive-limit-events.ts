/**
 * Adaptive rate limits reach the organizations using the plan. The usage subgraph, which decides
 * when a plan's rate limit tightens or is restored, sends `developers.adaptiveLimitChanged` in the
 * transaction of the change; this subgraph, which owns credentials and `accessRequestEvents`,
 * publishes ADAPTIVE_LIMIT_TIGHTENED / ADAPTIVE_LIMIT_RESTORED to every organization holding an
 * ACTIVE, current credential on the plan. Organization-wide events: every member of such an
 * organization gets them (no credential, so no app rule applies), and portal admins.
 * The platform webhook is the usage subgraph's (recorded once, with the change).
 */
import { isUuid } from '../../../common/ids';
import type { AdaptiveLimitChangePayload } from '../../../common/job-payloads';
import type { Ops } from '../../../common/ops';
import { query } from '../../../common/sql';
import { AccessRequestEventType } from '../entities/access-request-event';
import { ACCESS_REQUEST_EVENTS_TOPIC, emitAccessEvent } from './events';

const REASONS = ['ERROR_RATE_ABOVE', 'LATENCY_ABOVE', 'RECOVERED', 'SETTING_REMOVED', 'PLAN_WITHOUT_RATE_LIMIT'];

function parsePayload(payload: unknown): AdaptiveLimitChangePayload | null {
  const p = (payload ?? {}) as Partial<AdaptiveLimitChangePayload>;
  const rate = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) > 0);
  if (typeof p.changeId !== 'string' || !/^[0-9]{1,18}$/.test(p.changeId) || !isUuid(p.planId)) return null;
  if ((p.state !== 'TIGHTENED' && p.state !== 'NORMAL') || !REASONS.includes(String(p.reason))) return null;
  if (!rate(p.rateRequests ?? null) || !rate(p.ratePerSeconds ?? null)) return null;
  if (Number.isNaN(new Date(String(p.occurredAt)).getTime())) return null;
  return {
    changeId: p.changeId,
    planId: p.planId.toLowerCase(),
    state: p.state,
    reason: String(p.reason),
    rateRequests: p.rateRequests ?? null,
    ratePerSeconds: p.ratePerSeconds ?? null,
    occurredAt: new Date(String(p.occurredAt)).toISOString(),
  };
}

/**
 * The handler of `developers.adaptiveLimitChanged`: one event per organization holding an ACTIVE,
 * current credential on the plan, skipping organizations that had this change's event already
 * (idempotent). Returns the organizations told; null for a malformed payload (dropped).
 */
export async function announceAdaptiveLimitChange(ops: Ops, payload: unknown): Promise<string[] | null> {
  const change = parsePayload(payload);
  if (!change) return null;
  const { em, now } = ops;
  // Organizations told of this change already (a retried job): one look at the topic's events.
  const organizations = await query<{ organization_id: string }>(
    em,
    `with told as materialized (
       select e.payload->>'organizationId' as organization_id from platform.event e
        where e.topic = ? and e.payload @> jsonb_build_object('adaptiveLimit', jsonb_build_object('changeId', ?::text)))
     select distinct c.organization_id::text as organization_id
       from developers.credential c
      where c.plan_id = ? and c.status = 'ACTIVE' and c.revokes_at is null and (c.expires_at is null or c.expires_at > ?)
        and not exists (select 1 from told t where t.organization_id = c.organization_id::text)
      order by 1`,
    [ACCESS_REQUEST_EVENTS_TOPIC, change.changeId, change.planId, now.toISOString()],
  );
  for (const { organization_id: organizationId } of organizations) {
    await emitAccessEvent(ops.pubsub, em, {
      type: change.state === 'TIGHTENED' ? AccessRequestEventType.ADAPTIVE_LIMIT_TIGHTENED : AccessRequestEventType.ADAPTIVE_LIMIT_RESTORED,
      organizationId,
      at: new Date(change.occurredAt),
      adaptiveLimit: {
        changeId: change.changeId,
        planId: change.planId,
        reason: change.reason,
        rateRequests: change.rateRequests,
        ratePerSeconds: change.ratePerSeconds,
      },
    });
  }
  return organizations.map((o) => o.organization_id);
}
