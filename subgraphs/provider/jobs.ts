/**
 * Job handlers of the provider subgraph (graphile-worker). Each is idempotent. A provider failure
 * is recorded (FAILED, with the provider's message) and rethrown, so graphile-worker retries with
 * exponential back-off; nothing is lost. A malformed payload is logged and dropped.
 */
import type { JobHelpers, TaskList } from 'graphile-worker';
import { isUuid } from '../../common/ids';
import { enqueueJob } from '../../common/jobs';
import type { JobRuntime } from '../../common/server';
import { LinkKind } from './entities/policy-link';
import { providerSettings, type SyncDeps } from './sync/deps';
import { ensureKey, revokeKey } from './sync/keys';
import { syncPolicy } from './sync/policies';
import { runProviderSync } from './sync/provider-sync';
import { TASKS } from './sync/tasks';

function idOf(deps: SyncDeps, task: string, payload: unknown, field: string): string | null {
  const value = (payload as Record<string, unknown> | null)?.[field];
  if (isUuid(value)) return value.toLowerCase();
  deps.log.warn({ task, payload }, `dropped a job without a valid ${field}`);
  return null;
}

/** Schedules the next periodic run of a provider's sync. */
export async function scheduleProviderSync(deps: SyncDeps, providerId: string, delaySeconds = providerSettings(deps.env).syncIntervalSeconds): Promise<void> {
  const em = deps.fork();
  await enqueueJob(em, TASKS.syncProvider, { providerId }, { jobKey: `provider-sync:${providerId}`, runAt: new Date(Date.now() + delaySeconds * 1000) });
}

export function providerJobs(runtime: JobRuntime): TaskList {
  const deps: SyncDeps = { fork: () => runtime.orm.em.fork(), log: runtime.log, clock: runtime.clock, env: runtime.env };
  const withId = (task: string, field: string, run: (id: string) => Promise<unknown>) => async (payload: unknown, _helpers: JobHelpers) => {
    const id = idOf(deps, task, payload, field);
    if (id) await run(id);
  };
  return {
    [TASKS.syncPlan]: withId(TASKS.syncPlan, 'planId', (id) => syncPolicy(deps, LinkKind.PLAN, id)),
    [TASKS.syncProduct]: withId(TASKS.syncProduct, 'productId', (id) => syncPolicy(deps, LinkKind.PRODUCT, id)),
    [TASKS.issueKey]: withId(TASKS.issueKey, 'credentialId', (id) => ensureKey(deps, id)),
    [TASKS.updateKeyPolicies]: withId(TASKS.updateKeyPolicies, 'credentialId', (id) => ensureKey(deps, id)),
    [TASKS.revokeKey]: withId(TASKS.revokeKey, 'credentialId', (id) => revokeKey(deps, id)),
    // Periodic: never throws (a failing provider is recorded in its health); always schedules the next run.
    [TASKS.syncProvider]: withId(TASKS.syncProvider, 'providerId', async (id) => {
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
