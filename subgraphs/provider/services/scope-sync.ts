/**
 * JWT scope sync (`provider.syncApiScopes`, one job per provider + Tyk API, job key
 * `api-scopes:<providerId>:<apiId>`): writes each plan's JWT scopes → the plan's JWT policy into
 * the API definitions of the Tyk APIs its live access covers, and keeps those policies in step.
 *
 * The rule: a scope of plan P is mapped in API A while P is PUBLISHED, has JWT scopes, and an
 * ACTIVE credential under P covers a (not archived) product whose Tyk API ids include A. So
 * approving access writes the mapping; a scope edit, archiving the plan, deleting it, revoking
 * its last credential or removing the API from the product removes it. The plan sync enqueues
 * this job for every API the plan is (or was) mapped on (`enqueuePlanScopeSyncs`); the periodic
 * provider sync enqueues it for every mapped API (drift repair: a mapping or JWT policy changed
 * or deleted in Tyk is written again).
 *
 * Ownership: only the entries the portal wrote (`api_scope_link.mapping`) are changed or
 * removed; everything else in the definition is written back as read; a scope someone else
 * mapped to another policy is left alone and reported in `lastError` (see ../tyk/scopes.ts).
 *
 * Every write goes through the audited client; rows are written after the calls to Tyk, in the
 * job's one transaction (like ./policy-sync.ts).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob } from '../../../common/jobs';
import { ApiScopeLink } from '../entities/api-scope-link';
import { Provider } from '../entities/provider';
import { SyncStatus } from '../entities/sync-state';
import { appendProviderAudits, type AuditTrail } from '../tyk/audited-client';
import { carriesTags, policyDifferences, ruleFor, ruleRights, type PlanContractRow } from '../tyk/bodies';
import type { TykClient } from '../tyk/client';
import { jwtPolicy, jwtPolicyId, planMapping, readScopeMapping, sameMapping, usesJwt, withScopeMapping } from '../tyk/scopes';
import type { TykAccessDefinition } from '../tyk/types';
import { query, relationExists } from '../../../common/sql';
import { clientFor, lock, SyncConflict, targetOf, type SyncDeps } from './deps';
import { isExpectedFailure } from './policy-sync';
import { readPlans } from '../contracts/views';

/** Task name (handled by provider only, enqueued by provider only). */
export const SYNC_API_SCOPES_TASK = 'provider.syncApiScopes';

export async function enqueueApiScopeSync(em: EntityManager, providerId: string, apiId: string): Promise<void> {
  await enqueueJob(em, SYNC_API_SCOPES_TASK, { providerId, apiId }, { jobKey: `api-scopes:${providerId}:${apiId}` });
}

/** One (plan, Tyk API, product) whose JWT scopes should be mapped, on the plan's provider. */
export interface ScopeGrant {
  plan_id: string;
  api_id: string;
  product_id: string;
  provider_id: string;
}

const VIEWS = ['plans.plan_contract', 'products.product_contract', 'developers.credential_contract'];

async function viewsExist(em: EntityManager): Promise<boolean> {
  for (const view of VIEWS) {
    if (!(await relationExists(em, view))) return false;
  }
  return true;
}

/** The grants the rule above yields, for one API or one plan (owners' published views only). */
export async function scopeGrants(
  em: EntityManager,
  filter: { apiId?: string; planId?: string; providerId?: string },
): Promise<ScopeGrant[]> {
  if (!(await viewsExist(em))) return [];
  const rows = await query<ScopeGrant>(
    em,
    `select distinct p.id::text as plan_id, a.api_id, pr.id::text as product_id, pv.provider_id::text as provider_id
       from plans.plan_contract p
       join developers.credential_contract c
         on c.plan_id = p.id and c.status = 'ACTIVE' and (c.revokes_at is null or c.revokes_at > now())
       join products.product_contract pr on pr.id = any(c.product_ids) and pr.status <> 'ARCHIVED'
       cross join lateral unnest(coalesce(pr.tyk_api_ids, '{}'::text[])) as a(api_id)
       cross join lateral (
         select coalesce((select l.provider_id from provider.policy_link l where l.kind = 'PLAN' and l.subject_id = p.id),
                         (select d.id from provider.provider d where d.is_default limit 1)) as provider_id
       ) pv
      where p.status = 'PUBLISHED' and cardinality(p.jwt_scopes) > 0 and pv.provider_id is not null
        and (?::text is null or a.api_id = ?) and (?::uuid is null or p.id = ?::uuid) and (?::uuid is null or pv.provider_id = ?::uuid)
      order by 1, 2, 3`,
    [
      filter.apiId ?? null,
      filter.apiId ?? null,
      filter.planId ?? null,
      filter.planId ?? null,
      filter.providerId ?? null,
      filter.providerId ?? null,
    ],
  );
  return rows;
}

/** Enqueues the scope sync of every API a plan is mapped on now or should be (plan edits, archive, deletion, revocation). */
export async function enqueuePlanScopeSyncs(em: EntityManager, planId: string): Promise<void> {
  const targets = new Set<string>();
  for (const grant of await scopeGrants(em, { planId })) targets.add(`${grant.provider_id}\n${grant.api_id}`);
  const linked = await query<{ provider_id: string; api_id: string }>(
    em,
    `select provider_id::text as provider_id, api_id from provider.api_scope_link where exists (select 1 from jsonb_each_text(mapping) e where e.value = ?)`,
    [jwtPolicyId(planId)],
  );
  for (const row of linked) targets.add(`${row.provider_id}\n${row.api_id}`);
  for (const target of targets) {
    const [providerId, apiId] = target.split('\n');
    await enqueueApiScopeSync(em, providerId, apiId);
  }
}

/** Enqueues the scope sync of every API of a provider that is or should be mapped (periodic drift repair). */
export async function enqueueProviderScopeSyncs(em: EntityManager, providerId: string): Promise<number> {
  const apis = new Set<string>((await scopeGrants(em, { providerId })).map((g) => g.api_id));
  const linked = await query<{ api_id: string }>(
    em,
    `select api_id from provider.api_scope_link where provider_id = ? and (mapping <> '{}'::jsonb or status <> 'SYNCED')`,
    [providerId],
  );
  for (const row of linked) apis.add(row.api_id);
  for (const apiId of apis) await enqueueApiScopeSync(em, providerId, apiId);
  return apis.size;
}

/**
 * The plan's rights on a product's APIs (premium endpoints, the plan's endpoint rule for the
 * product: `allowed_urls` and GraphQL type lists); none = every path. The JWT policy carries them
 * itself (a JWT session gets only the policies its scopes map to).
 */
export function planPathRights(
  plan: PlanContractRow,
  productId: string,
): Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'> {
  const rule = ruleFor(plan, productId);
  return rule ? ruleRights(rule) : { allowed_urls: [] };
}

/**
 * Rights of several products on one API, merged as Tyk merges ACL policies (union of
 * `allowed_urls` and of type lists); a product without a rule grants every path, which the
 * restricted lists of others then narrow (Tyk's merge gives the same).
 */
function mergeRights(
  rights: Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'>[],
): Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'> {
  const out: Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'> = { allowed_urls: [] };
  for (const right of rights) {
    for (const spec of right.allowed_urls ?? []) {
      const found = out.allowed_urls!.find((s) => s.url === spec.url);
      if (found) found.methods = [...new Set([...found.methods, ...spec.methods])];
      else out.allowed_urls!.push({ url: spec.url, methods: [...spec.methods] });
    }
    for (const list of ['allowed_types', 'restricted_types'] as const) {
      for (const type of right[list] ?? []) {
        const target = (out[list] ??= []);
        const found = target.find((t) => t.name === type.name);
        if (found) found.fields = [...new Set([...found.fields, ...type.fields])];
        else target.push({ name: type.name, fields: [...type.fields] });
      }
    }
  }
  return out;
}

/** The plan id of a `pg-jwt-<hex>` policy id, or null. */
export function planIdOfJwtPolicy(policyId: string): string | null {
  const match = /^pg-jwt-([0-9a-f]{32})$/.exec(policyId);
  if (!match) return null;
  const h = match[1];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface RunState {
  writes: number;
  audits: AuditTrail;
}

/**
 * Creates or updates a policy so that it equals `desired` in what the portal manages. A policy
 * under that id without the provider's policy tags is someone else's unless the portal mapped a
 * scope to it (`recorded`): then it is never overwritten (a SyncConflict says so).
 */
async function ensurePolicy(
  client: TykClient,
  desired: ReturnType<typeof jwtPolicy>,
  state: RunState,
  recorded: () => Promise<boolean>,
): Promise<boolean> {
  const current = await client.getPolicy(desired.id);
  if (current && !carriesTags(current, desired.tags) && !(await recorded())) {
    throw new SyncConflict(
      `The provider has a policy ${desired.id} without the portal's policy tags that the portal did not write: the portal does not overwrite it. Delete it or add a policy tag, then the scopes sync.`,
    );
  }
  if (current && !policyDifferences(current, desired).length) return false;
  if (current?._id) desired._id = current._id;
  if (current) await client.updatePolicy(desired);
  else await client.createPolicy(desired);
  state.writes += 1;
  return true;
}

export interface ApiScopeSyncResult {
  providerId: string;
  apiId: string;
  status: SyncStatus;
  mapping: Record<string, string>;
  writes: number;
}

/** Syncs the scope mapping of one API on one provider (and the JWT policies it maps to). Throws after recording FAILED when Tyk fails. */
export async function syncApiScopes(deps: SyncDeps, providerId: string, apiId: string): Promise<ApiScopeSyncResult | null> {
  const em = deps.fork();
  let failure = null as Error | null;
  const result = await em.transactional(async (tx) => {
    await lock(tx, `api-scopes:${providerId}:${apiId}`);
    const provider = await tx.findOne(Provider, { id: providerId });
    if (!provider) return null;
    const existing = await tx.findOne(ApiScopeLink, { providerId, apiId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    const grants = await scopeGrants(tx, { apiId, providerId });
    if (!existing && !grants.length) return null;
    const owned = { ...(existing?.mapping ?? {}) };
    const plans = await readPlans(tx, [...new Set(grants.map((g) => g.plan_id))]);

    // Desired entries; a scope two plans claim on one API cannot map to both: neither is written.
    const desired: Record<string, string> = {};
    const claimed = new Map<string, Set<string>>();
    for (const plan of plans.values())
      for (const scope of plan.jwt_scopes ?? []) claimed.set(scope, (claimed.get(scope) ?? new Set()).add(plan.id));
    const problems: string[] = [];
    for (const [scope, planIds] of [...claimed].sort(([a], [b]) => a.localeCompare(b))) {
      if (planIds.size > 1)
        problems.push(
          `The scope "${scope}" belongs to several plans with access to this API (${[...planIds].sort().join(', ')}); it is not mapped until only one has it.`,
        );
      else desired[scope] = jwtPolicyId([...planIds][0]);
    }

    const state: RunState = { writes: 0, audits: [] };
    const client = clientFor(provider, deps, state.audits);
    let status: SyncStatus = SyncStatus.SYNCED;
    let nextOwned = owned;
    try {
      // 1. The policies the scopes map to exist first (a mapping to a missing policy refuses every token).
      let reload = false;
      for (const planId of new Set(Object.values(desired).map((id) => planIdOfJwtPolicy(id)!))) {
        const plan = plans.get(planId)!;
        const planGrants = await scopeGrants(tx, { planId, providerId });
        const apis = new Map<string, ReturnType<typeof planPathRights>[]>();
        for (const grant of planGrants) apis.set(grant.api_id, [...(apis.get(grant.api_id) ?? []), planPathRights(plan, grant.product_id)]);
        const policy = jwtPolicy(
          plan,
          [...apis].map(([id, rights]) => ({ apiId: id, rights: mergeRights(rights) })),
          targetOf(provider),
        );
        const recorded = async () =>
          (
            await query<{ recorded: boolean }>(
              tx,
              `select exists (select 1 from provider.api_scope_link l, jsonb_each_text(l.mapping) e where l.provider_id = ? and e.value = ?) as recorded`,
              [providerId, policy.id],
            )
          )[0]?.recorded === true;
        reload = (await ensurePolicy(client, policy, state, recorded)) || reload;
      }
      // 2. The mapping, changing only the portal's entries.
      const api = await client.getApi(apiId);
      if (!api) {
        if (Object.keys(desired).length) {
          status = SyncStatus.MISSING;
          problems.push(`The provider has no API ${apiId}: its scopes cannot be mapped.`);
        }
        nextOwned = {};
      } else if (!usesJwt(api)) {
        if (Object.keys(desired).length) {
          status = SyncStatus.FAILED;
          problems.push(`The API ${apiId} does not authenticate JWTs (enable JWT in its definition): its scopes cannot be mapped.`);
        }
        nextOwned = {};
      } else {
        const current = readScopeMapping(api);
        const planned = planMapping(current, owned, desired);
        for (const scope of planned.conflicts)
          problems.push(
            `The scope "${scope}" is already mapped to policy ${current[scope]} by someone else in Tyk; the portal leaves it alone.`,
          );
        if (!sameMapping(planned.next, current)) {
          await client.updateApi(withScopeMapping(api, planned.next));
          state.writes += 1;
          reload = true;
          deps.log.info({ providerId, apiId, mapping: planned.owned }, 'JWT scope mapping written to the provider');
        }
        nextOwned = planned.owned;
      }
      if (reload) await client.reload();
      // 3. JWT policies no API maps to any more are deleted (only the portal's own, by id and tags).
      const dropped = new Set(Object.values(owned).filter((id) => !Object.values(nextOwned).includes(id)));
      let deleted = false;
      for (const policyId of dropped) {
        const planId = planIdOfJwtPolicy(policyId);
        if (!planId) continue;
        // Still granted somewhere (another API of this provider): kept. Not looking at other APIs'
        // rows on purpose: their jobs may be removing the same plan right now.
        if ((await scopeGrants(tx, { planId, providerId })).length) continue;
        const current = await client.getPolicy(policyId);
        if (current && !(current.tags ?? []).some((tag) => provider.policyTags.includes(tag))) continue; // never touch what is not the portal's
        if ((await client.deletePolicy(policyId)) === 'deleted') {
          state.writes += 1;
          deleted = true;
        }
      }
      if (deleted) await client.reload();
      if (problems.length && status === SyncStatus.SYNCED) status = SyncStatus.FAILED;
    } catch (error) {
      if (!isExpectedFailure(error)) throw error;
      status = SyncStatus.FAILED;
      problems.unshift(error.message);
      failure = error;
      nextOwned = owned;
    }

    const now = deps.clock.now();
    const link = existing ?? tx.create(ApiScopeLink, { providerId, apiId });
    link.attempts = (existing && existing.status !== SyncStatus.SYNCED ? existing.attempts : 0) + 1;
    link.status = status;
    link.lastError = problems.length ? problems.join(' ') : null;
    link.lastAttemptAt = now;
    link.mapping = nextOwned;
    link.writes += state.writes;
    if (status === SyncStatus.SYNCED) link.syncedAt = now;
    await tx.flush();
    await appendProviderAudits(tx, state.audits, link.attempts);
    return { providerId, apiId, status, mapping: nextOwned, writes: state.writes };
  });
  if (failure) throw failure;
  return result;
}
