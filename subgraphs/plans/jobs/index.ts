import type { TaskList } from 'graphile-worker';
import { planChangeApproval } from '../../../common/config';
import { JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { importPlanHandler } from './import-policy';
import { evaluatePlanRollout } from './rollout';

/** Job handlers of the plans subgraph (graphile-worker). Each is idempotent. */
export function plansJobs(runtime: JobRuntime): TaskList {
  // Read once at start so a bad PLAN_CHANGE_APPROVAL stops the process instead of failing every mutation.
  planChangeApproval(runtime.env);
  return {
    [JOB_TASKS.importPlan]: importPlanHandler(runtime),
    [JOB_TASKS.evaluatePlanRollout]: (payload) => evaluatePlanRollout(runtime, payload),
  };
}
