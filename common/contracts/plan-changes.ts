/**
 * The plans subgraph's published view `plans.plan_change_request_contract`: for each plan change
 * request, the limits the plan would have once it is applied (proposed where the request changes
 * them, the plan's current ones otherwise). Its row type and one reader, declared once; the owner
 * checks the view's columns (`subgraphs/plans/contract.test.ts`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../sql';

/** A row of `plans.plan_change_request_contract`. */
export interface PlanChangeContractRow {
  id: string;
  plan_id: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'SUPERSEDED' | 'ROLLING_OUT' | 'ROLLED_BACK';
  /** Quota after the change: requests per `quota_period_seconds`; both null when unlimited. */
  quota_requests: number | null;
  quota_period_seconds: number | null;
  /** Rate limit after the change: requests per `rate_per_seconds`; both null when unlimited. */
  rate_requests: number | null;
  rate_per_seconds: number | null;
  /** Who shares the counters after the change. */
  quota_scope: 'CREDENTIAL' | 'APP' | 'ORGANIZATION';
}

/** Every column of the view, in the view's order. */
export const PLAN_CHANGE_CONTRACT_COLUMNS: (keyof PlanChangeContractRow)[] = [
  'id',
  'plan_id',
  'status',
  'quota_requests',
  'quota_period_seconds',
  'rate_requests',
  'rate_per_seconds',
  'quota_scope',
];

/** One change request's row, or null when there is none with this id. */
export async function readPlanChangeContract(em: EntityManager, id: string): Promise<PlanChangeContractRow | null> {
  const [row] = await query<PlanChangeContractRow>(
    em,
    `select id::text as id, plan_id::text as plan_id, status, quota_requests, quota_period_seconds, rate_requests, rate_per_seconds, quota_scope
       from plans.plan_change_request_contract where id = ?::uuid`,
    [id],
  );
  return row ?? null;
}
