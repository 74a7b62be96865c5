import type { TaskList } from 'graphile-worker';
import type { JobRuntime } from '../../../common/server';
import { JOB_TASKS } from '../../../common/jobs';
import { CLIENT_REGISTERED_TASK, clientRegistered, credentialExpiring, credentialRevoked, keyIssued } from './credentials';
import { forgetReplaySecret } from './forget-replay-secret';
import { accessReviewReport, revokeUnusedCredential } from './access-review';
import { adaptiveLimitChanged, planRolloutNotice, quotaBoostExpired, upgradeCheck } from './governance';
import { evaluatePlanMigration, migratePlanSubscribers } from './plan-migration';
import { deliverWebhooks, dispatchWebhooks } from './webhooks';

/**
 * Job handlers of the developers subgraph (graphile-worker). Each runs in one transaction and is
 * idempotent: running it twice changes nothing the second time (and publishes no second event).
 * A malformed payload is logged and dropped (retrying would not fix it); a failure throws so
 * graphile-worker retries with back-off.
 */

/** The developers subgraph's task table: each task name and its handler. */
export function developersJobs(runtime: JobRuntime): TaskList {
  return {
    [JOB_TASKS.keyIssued]: (payload) => keyIssued(runtime, payload),
    [JOB_TASKS.credentialExpiring]: (payload) => credentialExpiring(runtime, payload),
    [JOB_TASKS.credentialRevoked]: (payload) => credentialRevoked(runtime, payload),
    [CLIENT_REGISTERED_TASK]: (payload) => clientRegistered(runtime, payload),
    [JOB_TASKS.forgetReplaySecret]: (payload) => forgetReplaySecret(runtime, payload),
    [JOB_TASKS.revokeUnusedCredential]: (payload) => revokeUnusedCredential(runtime, payload),
    [JOB_TASKS.accessReviewReport]: () => accessReviewReport(runtime),
    [JOB_TASKS.quotaBoostExpired]: (payload) => quotaBoostExpired(runtime, payload),
    [JOB_TASKS.offerUpgrade]: (payload) => upgradeCheck(runtime, payload),
    [JOB_TASKS.adaptiveLimitChanged]: (payload) => adaptiveLimitChanged(runtime, payload),
    [JOB_TASKS.planRolloutNotice]: (payload) => planRolloutNotice(runtime, payload),
    [JOB_TASKS.dispatchWebhooks]: () => dispatchWebhooks(runtime),
    [JOB_TASKS.deliverWebhooks]: (payload) => deliverWebhooks(runtime, payload),
    [JOB_TASKS.migratePlanSubscribers]: (payload) => migratePlanSubscribers(runtime, payload),
    [JOB_TASKS.evaluatePlanMigration]: (payload) => evaluatePlanMigration(runtime, payload),
  };
}
