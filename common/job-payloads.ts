/**
 * Payloads of the jobs one subgraph enqueues for another (the job names are `JOB_TASKS` in
 * `jobs.ts`): declared once here, sent by the producer, parsed and checked by the consumer.
 */

/** Why the provider sends an import: a policy it had not seen, renamed, changed, or back after a deletion. */
export const IMPORT_REASONS = ['NEW', 'RENAMED', 'CHANGED', 'REAPPEARED'] as const;
export type ImportReason = (typeof IMPORT_REASONS)[number];

/** `plans.importPolicy`: sent by the provider subgraph, handled by the plans subgraph. */
export interface PlanImportPayload {
  providerId: string;
  policyId: string;
  /** Create the plan with this id (or rename / update the plan that has it). */
  planId: string;
  name: string;
  quota: { requests: number; periodSeconds: number | null } | null;
  rateLimit: { requests: number; perSeconds: number } | null;
  keyExpiresAfterSeconds: number | null;
  credentialMetadata: { key: string; value: string }[];
  reason: ImportReason;
}

/** `products.importPolicy`: sent by the provider subgraph, handled by the products subgraph. */
export interface ProductImportPayload {
  providerId: string;
  policyId: string;
  /** Create the product with this id (or rename / update the product that has it). */
  productId: string;
  name: string;
  tykApiIds: string[];
  reason: ImportReason;
}

/**
 * `developers.offerUpgrade`: sent by the usage subgraph when a quota window is projected to be
 * used up before it resets (a PROJECTED quota warning), handled by the developers subgraph, which
 * offers the next tier for the apps drawing from that counter.
 */
export interface UpgradeCheckPayload {
  organizationId: string;
  /** The app whose counter it is (CREDENTIAL and APP quota scopes); null for an organization's counter. */
  appId: string | null;
  /** The credential whose counter it is (CREDENTIAL scope); null otherwise. */
  credentialId: string | null;
  planId: string;
  /** Requests the window was projected to reach at its pace. */
  projectedUsed: number;
  limit: number;
  /** ISO time the window resets. */
  resetsAt: string;
}

/**
 * `developers.adaptiveLimitChanged`: sent by the usage subgraph when a plan's adaptive rate limit
 * tightens or is restored, handled by the developers subgraph, which tells every organization
 * holding an ACTIVE credential on the plan (an `accessRequestEvents` event each).
 */
export interface AdaptiveLimitChangePayload {
  /** The change's id in the usage subgraph (`adaptive_limit_change`): one event per organization and change. */
  changeId: string;
  planId: string;
  state: 'TIGHTENED' | 'NORMAL';
  /** ERROR_RATE_ABOVE, LATENCY_ABOVE, RECOVERED, SETTING_REMOVED or PLAN_WITHOUT_RATE_LIMIT. */
  reason: string;
  /** The rate the plan's keys get now (the floor while tightened, the plan's own once restored); null when it has none. */
  rateRequests: number | null;
  ratePerSeconds: number | null;
  /** ISO time of the change. */
  occurredAt: string;
}

/** What a step of a staged plan-change rollout did to the credentials it concerns. */
export const PLAN_ROLLOUT_STEPS = ['JOINED', 'ROLLED_BACK', 'COMPLETED'] as const;
export type PlanRolloutNoticeStep = (typeof PLAN_ROLLOUT_STEPS)[number];

/**
 * `developers.planRolloutNotice`: sent by the plans subgraph in the transaction of each step of a
 * staged rollout, handled by the developers subgraph, which tells the organizations of the
 * credentials concerned (an `accessRequestEvents` event per credential): JOINED, the credentials
 * that joined the cohort at `stagePercent` (`plans.plan_rollout_member_contract`), now on the
 * candidate limits; ROLLED_BACK, every member, back on the plan's limits; COMPLETED, every working
 * credential on the plan, now on the plan's new limits.
 */
export interface PlanRolloutNoticePayload {
  planRolloutId: string;
  planId: string;
  step: PlanRolloutNoticeStep;
  /** The stage's percentage (JOINED: the members added at it; otherwise the stage the rollout ended at). */
  stagePercent: number;
  /** The limits the credentials' keys get from now on; null fields: unlimited. */
  quotaRequests: number | null;
  quotaPeriodSeconds: number | null;
  rateRequests: number | null;
  ratePerSeconds: number | null;
  /** ROLLED_BACK: why; null otherwise. */
  reason: string | null;
  /** ISO time of the step. */
  occurredAt: string;
}
