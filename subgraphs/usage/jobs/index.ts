import type { JobHelpers, TaskList } from 'graphile-worker';
import { usageConfig } from '../../../common/config';
import type { JobRuntime } from '../../../common/server';
import { scheduleTail, TAIL_TASK, tailAnalytics, type TailDeps } from './tail-analytics';
import { countTail } from '../metrics';
import { JOB_TASKS } from '../../../common/jobs';
import { evaluateAdaptiveLimitsJob } from './adaptive-limits';

/** Job handlers of the usage subgraph; schedules the first tail run unless the interval is 0. */
export function usageJobs(runtime: JobRuntime): TaskList {
  const settings = usageConfig(runtime.env);
  const deps: TailDeps = {
    orm: runtime.orm,
    pubsub: runtime.pubsub,
    clock: runtime.clock,
    log: runtime.log,
    env: runtime.env,
    databaseUrl: runtime.databaseUrl,
  };
  if (settings.tailIntervalSeconds > 0) {
    scheduleTail(runtime, 1, 'preserve_run_at').catch((error) =>
      runtime.log.warn({ err: error }, 'could not schedule the analytics tailer'),
    );
  }
  return {
    [JOB_TASKS.evaluateAdaptiveLimits]: () => evaluateAdaptiveLimitsJob(runtime),
    [TAIL_TASK]: async (_payload: unknown, _helpers: JobHelpers) => {
      try {
        const result = await tailAnalytics(deps);
        countTail(runtime.metrics, result);
        if (result.rowsRead) runtime.log.info(result, 'analytics tailed');
      } catch (error) {
        runtime.log.warn({ err: error }, 'analytics tail run failed; next run as scheduled');
      }
      if (settings.tailIntervalSeconds > 0) await scheduleTail(runtime, settings.tailIntervalSeconds);
    },
  };
}
