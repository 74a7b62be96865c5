/**
 * The plans subgraph's published views of staged plan-change rollouts: `plans.plan_rollout_contract`
 * (each rollout: its plan, status, current percentage and the candidate limits the change gives)
 * and `plans.plan_rollout_member_contract` (the credentials of its cohort so far). Row types and
 * readers, declared once; the owner checks the views' columns (`subgraphs/plans/contract.test.ts`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { query, relationExists } from '../sql';

/** A row of `plans.plan_rollout_contract`. */
export interface PlanRolloutContractRow {
  rollout_id: string;
  plan_id: string;
  change_request_id: string;
  status: 'RUNNING' | 'COMPLETED' | 'ROLLED_BACK';
  current_percent: number;
  /** The candidate limits (the plan's, with the change applied); both of a pair null when unlimited. */
  quota_requests: number | null;
  quota_period_seconds: number | null;
  rate_requests: number | null;
  rate_per_seconds: number | null;
  quota_scope: 'CREDENTIAL' | 'APP' | 'ORGANIZATION';
  created_at: Date;
  completed_at: Date | null;
}

/** Every column of `plans.plan_rollout_contract`, in the view's order. */
export const PLAN_ROLLOUT_CONTRACT_COLUMNS: (keyof PlanRolloutContractRow)[] = [
  'rollout_id',
  'plan_id',
  'change_request_id',
  'status',
  'current_percent',
  'quota_requests',
  'quota_period_seconds',
  'rate_requests',
  'rate_per_seconds',
  'quota_scope',
  'created_at',
  'completed_at',
];

/** Every column of `plans.plan_rollout_member_contract`, in the view's order. */
export const PLAN_ROLLOUT_MEMBER_CONTRACT_COLUMNS = ['rollout_id', 'credential_id', 'stage_percent', 'added_at'] as const;

const COLUMNS = `rollout_id::text as rollout_id, plan_id::text as plan_id, change_request_id::text as change_request_id, status,
  current_percent, quota_requests, quota_period_seconds, rate_requests, rate_per_seconds, quota_scope, created_at, completed_at`;

const present = (em: EntityManager): Promise<boolean> => relationExists(em, 'plans.plan_rollout_contract');

/** The plan's rollouts, newest first (at most `limit`); none while the view does not exist. */
export async function readPlanRollouts(em: EntityManager, planId: string, limit = 20): Promise<PlanRolloutContractRow[]> {
  if (!(await present(em))) return [];
  return query<PlanRolloutContractRow>(
    em,
    `select ${COLUMNS} from plans.plan_rollout_contract where plan_id = ? order by created_at desc, rollout_id limit ?`,
    [planId, limit],
  );
}

/** The RUNNING rollout of the plan whose cohort holds the credential, or null. */
export async function readCredentialRollout(
  em: EntityManager,
  planId: string,
  credentialId: string,
): Promise<PlanRolloutContractRow | null> {
  if (!(await present(em))) return null;
  const [row] = await query<PlanRolloutContractRow>(
    em,
    `select ${COLUMNS} from plans.plan_rollout_contract r
      where r.plan_id = ? and r.status = 'RUNNING'
        and exists (select 1 from plans.plan_rollout_member_contract m where m.rollout_id = r.rollout_id and m.credential_id = ?)`,
    [planId, credentialId],
  );
  return row ?? null;
}

/** The credentials of a rollout's cohort so far. */
export async function readRolloutMembers(em: EntityManager, rolloutId: string): Promise<Set<string>> {
  const rows = await query<{ credential_id: string }>(
    em,
    `select credential_id::text as credential_id from plans.plan_rollout_member_contract where rollout_id = ?`,
    [rolloutId],
  );
  return new Set(rows.map((r) => r.credential_id));
}
