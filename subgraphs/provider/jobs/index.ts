/**
 * The provider subgraph's task table (graphile-worker): each job runs its handler, a use case in
 * ../services/. Each is idempotent. A provider failure is recorded (FAILED, with the provider's
 * message) and rethrown, so graphile-worker retries with exponential back-off; nothing is lost. A
 * malformed payload is logged and dropped.
 */
import type { JobHelpers, TaskList } from 'graphile-worker';
import { isUuid } from '../../../common/ids';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import type { JobRuntime } from '../../../common/server';
import { LinkKind } from '../entities/policy-link';
import { providerSettings, type SyncDeps } from '../services/deps';
import { syncKey, revokeKey } from '../services/key-sync';
import { registerClient, REGISTER_CLIENT_TASK, revokeClient } from '../services/client-registration';
import { syncPolicy } from '../services/policy-sync';
import { syncPlanRollout } from '../services/rollout-sync';
import { runProviderSync } from '../services/provider-sync';
import { SYNC_API_SCOPES_TASK, syncApiScopes } from '../services/scope-sync';
import { withJobAttempt } from '../tyk/audited-client';

function idOf(deps: SyncDeps, task: string, payload: unknown, field: string): string | null {
  const value = (payload as Record<string, unknown> | null)?.[field];
  if (isUuid(value)) return value.toLowerCase();
  deps.log.warn({ task, payload }, `dropped a job without a valid ${field}`);
  return null;
}

/** Schedules the next periodic run of a provider's sync. */
export async function scheduleProviderSync(
  deps: SyncDeps,
  providerId: string,
  delaySeconds = providerSettings(deps.env).syncIntervalSeconds,
): Promise<void> {
  const em = deps.fork();
  await enqueueJob(em, JOB_TASKS.syncProvider, { providerId }, { jobKey: `provider-sync:${providerId}`, delaySeconds });
}

export function providerJobs(runtime: JobRuntime): TaskList {
  const deps: SyncDeps = { fork: () => runtime.orm.em.fork(), log: runtime.log, clock: runtime.clock, env: runtime.env };
  const withId = (task: string, field: string, run: (id: string) => Promise<unknown>) => async (payload: unknown, helpers: JobHelpers) => {
    const id = idOf(deps, task, payload, field);
    // The attempt number tells the audit trail whether a failure is final (tyk/audited-client.ts).
    if (id) await withJobAttempt(helpers.job, () => run(id));
  };
  return {
    [JOB_TASKS.syncPlan]: withId(JOB_TASKS.syncPlan, 'planId', (id) => syncPolicy(deps, LinkKind.PLAN, id)),
    [JOB_TASKS.syncPlanRollout]: withId(JOB_TASKS.syncPlanRollout, 'planId', (id) => syncPlanRollout(deps, id)),
    [JOB_TASKS.syncProduct]: withId(JOB_TASKS.syncProduct, 'productId', (id) => syncPolicy(deps, LinkKind.PRODUCT, id)),
    [JOB_TASKS.issueKey]: withId(JOB_TASKS.issueKey, 'credentialId', (id) => syncKey(deps, id)),
    [JOB_TASKS.updateKeyPolicies]: withId(JOB_TASKS.updateKeyPolicies, 'credentialId', (id) => syncKey(deps, id)),
    // Deletes the Tyk key and, for an OAUTH_CLIENT credential, its client at the identity provider.
    [JOB_TASKS.revokeKey]: withId(JOB_TASKS.revokeKey, 'credentialId', async (id) => {
      await revokeKey(deps, id);
      await revokeClient(deps, id);
    }),
    [REGISTER_CLIENT_TASK]: withId(REGISTER_CLIENT_TASK, 'credentialId', (id) => registerClient(deps, id)),
    // Payload { providerId, apiId }; job key `api-scopes:<providerId>:<apiId>` (see services/scope-sync.ts).
    [SYNC_API_SCOPES_TASK]: async (payload: unknown, _helpers: JobHelpers) => {
      const providerId = idOf(deps, SYNC_API_SCOPES_TASK, payload, 'providerId');
      const apiId = (payload as Record<string, unknown> | null)?.apiId;
      if (!providerId) return;
      if (typeof apiId !== 'string' || !apiId || apiId.length > 255) {
        deps.log.warn({ task: SYNC_API_SCOPES_TASK, payload }, 'dropped a job without a valid apiId');
        return;
      }
      await withJobAttempt(_helpers.job, () => syncApiScopes(deps, providerId, apiId));
    },
    // Periodic: never throws (a failing provider is recorded in its health); always schedules the next run.
    [JOB_TASKS.syncProvider]: withId(JOB_TASKS.syncProvider, 'providerId', async (id) => {
      let exists = true;
      try {
        exists = (await runProviderSync(deps, id)) !== null;
      } catch (error) {
        deps.log.warn({ err: error, providerId: id }, 'periodic provider sync failed; next run as scheduled');
      }
      if (exists) await scheduleProviderSync(deps, id);
    }),
  };
}
