/**
 * Premium endpoints: a plan's endpoint rule on a product becomes a restriction policy
 * `pg-rules-<plan>-<product>` (ACL partition with the rule's paths and GraphQL types), written by
 * the plan's policy sync (./policy-sync.ts) next to the plan's own policy and applied to the keys
 * of the plan that cover the product (./key-sync.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { query, relationExists } from '../../../common/sql';
import { readProducts } from '../contracts/views';
import { liveKeysUse } from '../data/credential-keys';
import type { Provider } from '../entities/provider';
import { carriesTags, policyDifferences, RULES_POLICY_ID, rulesPolicy, rulesPolicyId, type PlanContractRow } from '../tyk/bodies';
import type { TykPolicy } from '../tyk/types';
import { clientFor, SyncConflict, targetOf, type SyncDeps } from './deps';
import type { WriteState } from './policy-sync';

/** The restriction policy ids a key under `plan` with these products should carry (in product order). */
export function keyRulePolicyIds(plan: PlanContractRow | null, productIds: readonly string[]): string[] {
  if (!plan) return [];
  const ruled = new Set((plan.endpoint_rules ?? []).map((rule) => rule.productId));
  return productIds.filter((id) => ruled.has(id)).map((id) => rulesPolicyId(plan.id, id));
}

/**
 * Writes the plan's restriction policies (one per endpoint rule, `pg-rules-<plan>-<product>`, see
 * tyk/bodies.ts `rulesPolicy`) while the plan's own policy exists, and deletes the ones no rule
 * needs once no live key uses them. A policy with such an id but without the provider's policy
 * tags, that the portal did not write there, is someone else's: never overwritten or deleted (a
 * SyncConflict says so). Returns the ids written (and still present).
 */
export async function writeRulePolicies(
  tx: EntityManager,
  deps: SyncDeps,
  provider: Provider,
  plan: PlanContractRow | null,
  state: WriteState,
  previous: readonly string[],
): Promise<string[]> {
  const client = clientFor(provider, deps, state.audits);
  const desired = new Map<string, TykPolicy>();
  if (plan && state.present) {
    const rules = plan.endpoint_rules ?? [];
    const products = await readProducts(
      tx,
      rules.map((rule) => rule.productId),
    );
    for (const rule of rules) {
      const product = products.get(rule.productId);
      if (product) desired.set(rulesPolicyId(plan.id, product.id), rulesPolicy(plan, product, rule, targetOf(provider)));
    }
  }
  let wrote = false;
  // Written here before (recorded on the link): the portal's, even if its tags were removed in Tyk.
  const recorded = (policyId: string) => previous.includes(policyId) && state.syncedProviderId === provider.id;
  for (const policy of desired.values()) {
    const current = await client.getPolicy(policy.id);
    if (current && !carriesTags(current, provider.policyTags) && !recorded(policy.id)) {
      throw new SyncConflict(
        `The provider has a policy ${policy.id} without the portal's policy tags: the portal does not overwrite it. Delete it or add a policy tag, then the plan syncs.`,
      );
    }
    const differences = current ? policyDifferences(current, policy) : ['(created)'];
    if (!differences.length) continue;
    if (current?._id) policy._id = current._id;
    if (current) await client.updatePolicy(policy);
    else await client.createPolicy(policy);
    state.writes += 1;
    wrote = true;
    deps.log.info({ policyId: policy.id, providerId: provider.id, differences }, 'endpoint-rule policy written to the provider');
  }
  const kept = [...desired.keys()];
  for (const policyId of previous) {
    if (desired.has(policyId) || !RULES_POLICY_ID.test(policyId)) continue;
    if (await liveKeysUse(tx, provider.id, policyId)) {
      kept.push(policyId); // removed from the keys first (enqueueKeyPolicyUpdates), deleted by a later sync
      continue;
    }
    const current = await client.getPolicy(policyId);
    if (current && !carriesTags(current, provider.policyTags) && !recorded(policyId)) continue;
    if ((await client.deletePolicy(policyId)) === 'deleted') {
      state.writes += 1;
      wrote = true;
      deps.log.info({ policyId, providerId: provider.id }, 'endpoint-rule policy deleted from the provider');
    }
  }
  if (wrote) await client.reload();
  return kept.sort();
}

/**
 * Enqueues `updateKeyPolicies` for the plan's live keys whose restriction policies differ from
 * what the plan's rules now give them (a rule added or removed changes the key's policy ids; a
 * rule edited only changes the policy, which keys pick up through Tyk's policy reload).
 */
export async function enqueueKeyPolicyUpdates(tx: EntityManager, plan: PlanContractRow): Promise<void> {
  const keys = await query<{ credential_id: string; product_ids: string[]; policy_ids: string[] }>(
    tx,
    `select credential_id::text as credential_id, product_ids::text[] as product_ids, policy_ids from provider.credential_key where plan_id = ? and status = 'ACTIVE'`,
    [plan.id],
  );
  for (const key of keys) {
    const want = keyRulePolicyIds(plan, key.product_ids);
    const have = key.policy_ids.filter((id) => RULES_POLICY_ID.test(id));
    if (want.join(',') === have.join(',')) continue;
    await enqueueJob(tx, JOB_TASKS.updateKeyPolicies, { credentialId: key.credential_id }, { jobKey: `key:${key.credential_id}` });
  }
}

/** Enqueues the sync of every plan with an endpoint rule on the product (its Tyk APIs are in their restriction policies). */
export async function enqueueRulePlanSyncs(tx: EntityManager, productId: string): Promise<void> {
  if (!(await relationExists(tx, 'plans.plan_contract'))) return;
  const plans = await query<{ id: string }>(
    tx,
    `select id::text as id from plans.plan_contract where endpoint_rules @> jsonb_build_array(jsonb_build_object('productId', ?::text))`,
    [productId],
  );
  for (const plan of plans) await enqueueJob(tx, JOB_TASKS.syncPlan, { planId: plan.id }, { jobKey: `plan:${plan.id}` });
}
