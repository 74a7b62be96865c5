/**
 * Staged plan-change rollouts on the provider (`provider.syncPlanRollout { planId }`): the plans
 * subgraph publishes each rollout with its candidate limits (`plans.plan_rollout_contract`) and its
 * cohort (`plans.plan_rollout_member_contract`). Key sync (`key-sync.ts`) gives a key of the cohort
 * of a RUNNING rollout the candidate policy in place of the plan's (counters kept); this job, run at
 * each step of a rollout, enqueues the key syncs of the plan's keys that are not where the rollout
 * says, and deletes the candidate policies of ended rollouts once no key carries them (key sync
 * enqueues it again when a key lets go of one).
 */
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { readPlanRollouts, readRolloutMembers } from '../../../common/contracts/plan-rollouts';
import { query } from '../../../common/sql';
import { CredentialKey, KeyStatus } from '../entities/credential-key';
import { LinkKind, PolicyLink } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { appendProviderAudits, type AuditTrail } from '../tyk/audited-client';
import { ROLLOUT_POLICY_ID, rolloutPolicyId } from '../tyk/bodies';
import { clientFor, lock, type SyncDeps } from './deps';

export async function syncPlanRollout(deps: SyncDeps, planId: string): Promise<void> {
  const em = deps.fork();
  await em.transactional(async (tx) => {
    await lock(tx, `plan-rollout:${planId}`);
    const rollouts = await readPlanRollouts(tx, planId);
    const running = rollouts.find((r) => r.status === 'RUNNING') ?? null;
    const members = running ? await readRolloutMembers(tx, running.rollout_id) : new Set<string>();
    const candidate = running ? rolloutPolicyId(running.rollout_id) : null;
    // Keys of the plan's credentials (and keys still on one of the plan's candidate policies).
    const credentialIds = (
      await query<{ id: string }>(tx, `select id::text as id from developers.credential_contract where plan_id = ? and status = 'ACTIVE'`, [
        planId,
      ])
    ).map((r) => r.id);
    const rows = await tx.find(CredentialKey, {
      status: KeyStatus.ACTIVE,
      $or: [{ credentialId: { $in: credentialIds } }, { planId }],
    });
    for (const row of rows) {
      const wanted = candidate && members.has(row.credentialId) && credentialIds.includes(row.credentialId) ? candidate : null;
      const carried = row.policyIds.filter((id) => ROLLOUT_POLICY_ID.test(id));
      if ((wanted && !carried.includes(wanted)) || carried.some((id) => id !== wanted)) {
        await enqueueJob(tx, JOB_TASKS.updateKeyPolicies, { credentialId: row.credentialId }, { jobKey: `key:${row.credentialId}` });
      }
    }
  });
  await deleteUnusedCandidates(deps, planId);
}

/** Deletes the candidate policies of the plan's ended rollouts that no live key carries ("already gone" counts as success). */
async function deleteUnusedCandidates(deps: SyncDeps, planId: string): Promise<void> {
  const em = deps.fork();
  await em.transactional(async (tx) => {
    await lock(tx, `plan-rollout:${planId}`);
    const ended = (await readPlanRollouts(tx, planId)).filter((r) => r.status !== 'RUNNING');
    if (!ended.length) return;
    const link = await tx.findOne(PolicyLink, { kind: LinkKind.PLAN, subjectId: planId });
    if (!link?.providerId) return;
    const provider = await tx.findOne(Provider, { id: link.providerId });
    if (!provider) return;
    const audits: AuditTrail = [];
    const client = clientFor(provider, deps, audits);
    let deleted = false;
    for (const rollout of ended) {
      const policyId = rolloutPolicyId(rollout.rollout_id);
      const [carriers] = await query<{ n: number }>(
        tx,
        `select count(*)::int as n from provider.credential_key where status = 'ACTIVE' and ? = any(policy_ids)`,
        [policyId],
      );
      if (carriers?.n) continue;
      if (!(await client.getPolicy(policyId))) continue;
      await client.deletePolicy(policyId);
      deleted = true;
    }
    if (deleted) await client.reload();
    // A failure throws (the job is retried); the writes that happened are audited with the deletions.
    await appendProviderAudits(tx, audits);
  });
}
