/**
 * Staged rollouts of plan changes reach the organizations concerned. The plans subgraph, which runs
 * the rollout, sends `developers.planRolloutNotice` in the transaction of each step; this subgraph,
 * which owns credentials and `accessRequestEvents`, publishes one event per credential concerned:
 * PLAN_ROLLOUT_LIMITS_CHANGED when it joins the cohort (candidate limits), PLAN_ROLLOUT_ROLLED_BACK
 * to the cohort when the rollout is rolled back (the plan's limits again), PLAN_ROLLOUT_COMPLETED to
 * every ACTIVE credential on the plan when the change is applied. Credential events: members who
 * may not see the credential's app do not get them (`App.visibility`). The platform webhooks are
 * the plans subgraph's (recorded once, with the step).
 */
import { isUuid } from '../../../common/ids';
import { PLAN_ROLLOUT_STEPS, type PlanRolloutNoticePayload } from '../../../common/job-payloads';
import type { Ops } from '../../../common/ops';
import { query } from '../../../common/sql';
import { AccessRequestEventType } from '../entities/access-request-event';
import { ACCESS_REQUEST_EVENTS_TOPIC, emitAccessEvent } from './events';

/** Reasons are bounded by the plans subgraph; a longer one is cut, not dropped. */
const MAX_REASON = 2000;

function parsePayload(payload: unknown): PlanRolloutNoticePayload | null {
  const p = (payload ?? {}) as Partial<PlanRolloutNoticePayload>;
  const count = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) > 0);
  if (!isUuid(p.planRolloutId) || !isUuid(p.planId)) return null;
  if (!(PLAN_ROLLOUT_STEPS as readonly unknown[]).includes(p.step)) return null;
  if (!Number.isInteger(p.stagePercent) || p.stagePercent! < 1 || p.stagePercent! > 100) return null;
  const limits = [p.quotaRequests ?? null, p.quotaPeriodSeconds ?? null, p.rateRequests ?? null, p.ratePerSeconds ?? null];
  if (!limits.every(count)) return null;
  if (p.reason != null && typeof p.reason !== 'string') return null;
  const reason = p.reason ? p.reason.slice(0, MAX_REASON) : null;
  if (Number.isNaN(new Date(String(p.occurredAt)).getTime())) return null;
  return {
    planRolloutId: p.planRolloutId.toLowerCase(),
    planId: p.planId.toLowerCase(),
    step: p.step!,
    stagePercent: p.stagePercent!,
    quotaRequests: p.quotaRequests ?? null,
    quotaPeriodSeconds: p.quotaPeriodSeconds ?? null,
    rateRequests: p.rateRequests ?? null,
    ratePerSeconds: p.ratePerSeconds ?? null,
    reason,
    occurredAt: new Date(String(p.occurredAt)).toISOString(),
  };
}

const TYPES = {
  JOINED: AccessRequestEventType.PLAN_ROLLOUT_LIMITS_CHANGED,
  ROLLED_BACK: AccessRequestEventType.PLAN_ROLLOUT_ROLLED_BACK,
  COMPLETED: AccessRequestEventType.PLAN_ROLLOUT_COMPLETED,
} as const;

/** The credentials a step concerns (ACTIVE, not expired, not past a rotation's end), with their organizations. */
function concernedSql(step: PlanRolloutNoticePayload['step']): string {
  const working = `c.status = 'ACTIVE' and (c.expires_at is null or c.expires_at > ?) and (c.revokes_at is null or c.revokes_at > ?)`;
  if (step === 'COMPLETED') return `select c.id, c.organization_id from developers.credential c where c.plan_id = ? and ${working}`;
  const stage = step === 'JOINED' ? 'and m.stage_percent = ?' : '';
  return `select c.id, c.organization_id from plans.plan_rollout_member_contract m
            join developers.credential c on c.id = m.credential_id
           where m.rollout_id = ? ${stage} and ${working}`;
}

/**
 * The handler of `developers.planRolloutNotice`: one event per credential the step concerns,
 * skipping credentials that had this step's event already (idempotent). Returns the credentials
 * told; null for a malformed payload (dropped).
 */
export async function announcePlanRolloutStep(ops: Ops, payload: unknown): Promise<string[] | null> {
  const notice = parsePayload(payload);
  if (!notice) return null;
  const { em, now } = ops;
  const at = now.toISOString();
  const params: unknown[] = [ACCESS_REQUEST_EVENTS_TOPIC, notice.planRolloutId, notice.step];
  if (notice.step === 'COMPLETED') params.push(notice.planId);
  else params.push(notice.planRolloutId, ...(notice.step === 'JOINED' ? [notice.stagePercent] : []));
  params.push(at, at);
  const rows = await query<{ credential_id: string; organization_id: string }>(
    em,
    `with told as materialized (
       select e.payload->>'credentialId' as credential_id from platform.event e
        where e.topic = ? and e.payload @> jsonb_build_object('planRollout', jsonb_build_object('rolloutId', ?::text, 'step', ?::text)))
     select c.id::text as credential_id, c.organization_id::text as organization_id
       from (${concernedSql(notice.step)}) c
      where not exists (select 1 from told t where t.credential_id = c.id::text)
      order by 2, 1`,
    params,
  );
  for (const row of rows) {
    await emitAccessEvent(ops.pubsub, em, {
      type: TYPES[notice.step],
      organizationId: row.organization_id,
      credentialId: row.credential_id,
      at: new Date(notice.occurredAt),
      planRollout: {
        rolloutId: notice.planRolloutId,
        planId: notice.planId,
        step: notice.step,
        quotaRequests: notice.quotaRequests,
        quotaPeriodSeconds: notice.quotaPeriodSeconds,
        rateRequests: notice.rateRequests,
        ratePerSeconds: notice.ratePerSeconds,
        reason: notice.reason,
      },
    });
  }
  return rows.map((r) => r.credential_id);
}
