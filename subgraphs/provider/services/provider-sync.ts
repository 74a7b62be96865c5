/**
 * A provider sync run (`syncProvider` mutation and the periodic `provider.syncProvider` job):
 *
 * 1. Dashboard-first import: every partitioned policy carrying one of the provider's policy tags
 *    that the portal did not write itself becomes an `imported_policy` (NEW) and, through the job
 *    `plans.importPolicy` / `products.importPolicy`, a bare plan or product with the id the portal
 *    chose (`subjectId`). Later runs detect renames (RENAMED, the job is sent again with the new
 *    name), disappearance (MISSING, and the plan's/product's sync becomes MISSING) and
 *    re-appearance. A run over an unchanged provider changes nothing and sends nothing.
 * 2. Drift repair: a portal-owned policy that was edited or deleted in Tyk gets its sync job
 *    again (which restores it); the repair is logged and counted on its link, which `sync`
 *    shows (`repairs`, `lastRepairAt`, `lastRepairReason`). See docs/PROVIDER-SYNC.md.
 * 3. Catch-up: plans and products that never reached a provider (none was registered) are synced
 *    to the default provider.
 *
 * The provider is read first (no transaction open); the database is then updated in one short
 * transaction.
 */
import type { PlanImportPayload, ProductImportPayload } from '../../../common/job-payloads';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueJob, JOB_TASKS } from '../../../common/jobs';
import { ImportedPolicy, ImportedPolicyKind, ImportedPolicyState } from '../entities/imported-policy';
import { LinkKind, LinkOrigin, PolicyLink } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { SyncStatus } from '../entities/sync-state';
import {
  BOOST_POLICY_ID,
  ROLLOUT_POLICY_ID,
  carriesTags,
  classifyPolicy,
  planPolicy,
  POLICY_ID_PATTERN,
  policyDifferences,
  productPolicy,
  rulesPolicy,
  type PlanContractRow,
  type ProductContractRow,
} from '../tyk/bodies';
import type { TykPolicy } from '../tyk/types';
import { query, relationExists } from '../../../common/sql';
import { clientFor, lock, type SyncDeps } from './deps';
import { wantsPolicy } from './policy-sync';
import { enqueueProviderScopeSyncs } from './scope-sync';
import { existingSubjects, readPlans, readProducts } from '../contracts/views';

export interface ProviderSyncCounts {
  newPolicies: number;
  renamedPolicies: number;
  missingPolicies: number;
  linkedPolicies: number;
  updatedPolicies: number;
  unchangedPolicies: number;
  repairedPolicies: number;
}

export type { PlanImportPayload, ProductImportPayload };

const PLATFORM_METADATA = new Set(['rate_limit_pattern', 'quota_pattern']);
/** Ids of the policies the portal writes itself (`pg-plan-…`, `pg-product-…`, endpoint-rule `pg-rules-…-…`, quota-boost `pg-boost-…`). */
const PORTAL_ID_PREFIX = /^pg-(plan|product|boost)-[0-9a-f]{32}$|^pg-rules-[0-9a-f]{32}-[0-9a-f]{32}$/;

export function importPayload(
  providerId: string,
  kind: ImportedPolicyKind,
  subjectId: string,
  policy: TykPolicy,
  reason: PlanImportPayload['reason'],
): PlanImportPayload | ProductImportPayload {
  if (kind === ImportedPolicyKind.PRODUCT) {
    return {
      providerId,
      policyId: policy.id,
      productId: subjectId,
      name: policy.name ?? policy.id,
      tykApiIds: Object.keys(policy.access_rights ?? {}).sort(),
      reason,
    };
  }
  const quotaMax = policy.quota_max ?? 0;
  const renewal = policy.quota_renewal_rate ?? 0;
  const rate = policy.rate ?? 0;
  const per = policy.per ?? 0;
  return {
    providerId,
    policyId: policy.id,
    planId: subjectId,
    name: policy.name ?? policy.id,
    quota: quotaMax > 0 ? { requests: quotaMax, periodSeconds: renewal > 0 ? renewal : null } : null,
    rateLimit: rate > 0 && per > 0 ? { requests: rate, perSeconds: per } : null,
    keyExpiresAfterSeconds: (policy.key_expires_in ?? 0) > 0 ? policy.key_expires_in : null,
    credentialMetadata: Object.entries(policy.meta_data ?? {})
      .filter(([key]) => !PLATFORM_METADATA.has(key))
      .map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
    reason,
  };
}

function contentHash(payload: PlanImportPayload | ProductImportPayload): string {
  const { reason: _reason, ...content } = payload;
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

const importTask = (kind: ImportedPolicyKind) => (kind === ImportedPolicyKind.PLAN ? JOB_TASKS.importPlan : JOB_TASKS.importProduct);
const importJobKey = (providerId: string, policyId: string) => `import:${providerId}:${policyId}`;

async function pendingJobKeys(em: EntityManager, keys: string[]): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const rows = await query<{ key: string }>(em, 'select key from graphile_worker.jobs where key in (?) and attempts < max_attempts', [
    keys,
  ]);
  return new Set(rows.map((row) => row.key));
}

/** Runs one sync of the provider. Throws the ProviderError when the provider cannot be read. */
export async function runProviderSync(deps: SyncDeps, providerId: string): Promise<ProviderSyncCounts | null> {
  const reader = deps.fork();
  const provider = await reader.findOne(Provider, { id: providerId });
  if (!provider) return null;
  // A policy link written after this instant may already hold what the listing below predates.
  const listedAt = deps.clock.now();
  const listed = await clientFor(provider, deps).listPolicies();
  const byId = new Map(listed.filter((p) => p && typeof p.id === 'string' && p.id).map((p) => [p.id, p]));
  const counts: ProviderSyncCounts = {
    newPolicies: 0,
    renamedPolicies: 0,
    missingPolicies: 0,
    linkedPolicies: 0,
    updatedPolicies: 0,
    unchangedPolicies: 0,
    repairedPolicies: 0,
  };

  await deps.fork().transactional(async (tx) => {
    await lock(tx, `provider-sync:${providerId}`);
    const now = deps.clock.now();
    const links = await tx.find(PolicyLink, { $or: [{ providerId }, { syncedProviderId: providerId }] });
    const portalPolicyIds = new Set(links.filter((l) => l.origin === LinkOrigin.PORTAL).map((l) => l.policyId));
    const imported = await tx.find(ImportedPolicy, { providerId });
    const importedById = new Map(imported.map((row) => [row.policyId, row]));
    const linksBySubject = new Map(links.map((l) => [`${l.kind}:${l.subjectId}`, l]));

    // ---- 1. import
    const candidates = [...byId.values()].filter((p) => {
      if (!carriesTags(p, provider.policyTags) || classifyPolicy(p) === null || portalPolicyIds.has(p.id)) return false;
      if (BOOST_POLICY_ID.test(p.id)) return false; // a quota boost's, written and deleted with its key
      if (ROLLOUT_POLICY_ID.test(p.id)) return false; // a staged plan change's, written with its keys, deleted by the rollout sync
      if (PORTAL_ID_PREFIX.test(p.id)) {
        // Named like a portal-first policy but linked to nothing here (another installation's?): never imported.
        deps.log.warn({ providerId, policyId: p.id }, 'policy named like a portal-owned one but unknown here: not imported');
        return false;
      }
      if (!POLICY_ID_PATTERN.test(p.id) || p.id.length > 255) {
        deps.log.warn({ providerId, policyId: p.id.slice(0, 100) }, 'policy id has characters Tyk 5.13+ refuses: not imported');
        return false;
      }
      return true;
    });
    const subjectIds = (kind: ImportedPolicyKind) => imported.filter((r) => r.kind === kind).map((r) => r.subjectId);
    const existingPlans = await existingSubjects(tx, 'PLAN', subjectIds(ImportedPolicyKind.PLAN));
    const existingProducts = await existingSubjects(tx, 'PRODUCT', subjectIds(ImportedPolicyKind.PRODUCT));
    const pending = await pendingJobKeys(
      tx,
      imported.map((r) => importJobKey(providerId, r.policyId)),
    );
    const subjectExists = (row: ImportedPolicy) =>
      (row.kind === ImportedPolicyKind.PLAN ? existingPlans : existingProducts).has(row.subjectId);
    const send = async (row: ImportedPolicy, policy: TykPolicy, reason: PlanImportPayload['reason']) => {
      const payload = importPayload(providerId, row.kind, row.subjectId, policy, reason);
      await enqueueJob(tx, importTask(row.kind), payload as unknown as Record<string, unknown>, {
        jobKey: importJobKey(providerId, policy.id),
      });
      deps.log.info(
        { providerId, policyId: policy.id, kind: row.kind, subjectId: row.subjectId, reason },
        'imported policy sent to its owner',
      );
    };

    const seen = new Set<string>();
    for (const policy of candidates) {
      seen.add(policy.id);
      const kind = classifyPolicy(policy) === 'PLAN' ? ImportedPolicyKind.PLAN : ImportedPolicyKind.PRODUCT;
      const name = policy.name || policy.id;
      let row = importedById.get(policy.id);
      if (!row) {
        const subjectId = randomUUID();
        row = tx.create(ImportedPolicy, {
          providerId,
          policyId: policy.id,
          kind,
          subjectId,
          name,
          state: ImportedPolicyState.NEW,
          contentHash: contentHash(importPayload(providerId, kind, subjectId, policy, 'NEW')),
          firstSeenAt: now,
          lastSeenAt: now,
        });
        tx.create(PolicyLink, {
          kind: kind === ImportedPolicyKind.PLAN ? LinkKind.PLAN : LinkKind.PRODUCT,
          subjectId,
          providerId,
          policyId: policy.id,
          origin: LinkOrigin.PROVIDER,
          status: SyncStatus.SYNCED,
          syncedAt: now,
          syncedProviderId: providerId,
          policyPresent: true,
        });
        await send(row, policy, 'NEW');
        counts.newPolicies += 1;
        continue;
      }
      const hash = contentHash(importPayload(providerId, row.kind, row.subjectId, policy, 'NEW'));
      const link = linksBySubject.get(`${row.kind}:${row.subjectId}`);
      if (row.state === ImportedPolicyState.MISSING) {
        row.state = subjectExists(row) ? ImportedPolicyState.LINKED : ImportedPolicyState.NEW;
        row.missingSince = null;
        if (row.name !== name) {
          row.previousName = row.name;
          row.name = name;
        }
        row.contentHash = hash;
        if (link) Object.assign(link, { status: SyncStatus.SYNCED, lastError: null, policyPresent: true, syncedAt: now });
        await send(row, policy, 'REAPPEARED');
        counts.newPolicies += 1;
      } else if (row.name !== name) {
        row.previousName = row.name;
        row.name = name;
        row.state = ImportedPolicyState.RENAMED;
        row.contentHash = hash;
        await send(row, policy, 'RENAMED');
        counts.renamedPolicies += 1;
      } else if (row.contentHash !== hash) {
        row.contentHash = hash;
        await send(row, policy, 'CHANGED');
        counts.updatedPolicies += 1;
      } else if (row.state !== ImportedPolicyState.LINKED && subjectExists(row) && !pending.has(importJobKey(providerId, row.policyId))) {
        row.state = ImportedPolicyState.LINKED;
        counts.linkedPolicies += 1;
      } else {
        counts.unchangedPolicies += 1;
      }
      row.lastSeenAt = now;
    }
    for (const row of imported) {
      if (seen.has(row.policyId) || row.state === ImportedPolicyState.MISSING) continue;
      row.state = ImportedPolicyState.MISSING;
      row.missingSince = now;
      const link = linksBySubject.get(`${row.kind}:${row.subjectId}`);
      if (link && link.origin === LinkOrigin.PROVIDER) {
        link.status = SyncStatus.MISSING;
        link.lastError = `The policy ${row.policyId} is no longer in the provider (deleted, or its policy tags removed).`;
        link.policyPresent = false;
      }
      deps.log.warn(
        { providerId, policyId: row.policyId, kind: row.kind, subjectId: row.subjectId },
        'imported policy is missing from the provider',
      );
      counts.missingPolicies += 1;
    }

    // ---- 2. drift repair of portal-owned policies
    // Not drift: a change whose sync job still waits or runs (it writes the policy anyway), and a
    // sync that ran after the policies were listed (the listing may predate its write).
    const busy = await pendingJobKeys(
      tx,
      links.map((l) => subjectJobKey(l.kind, l.subjectId)),
    );
    const portalLinks = links.filter(
      (l) =>
        l.origin === LinkOrigin.PORTAL &&
        l.providerId === providerId &&
        l.status === SyncStatus.SYNCED &&
        l.policyPresent &&
        !busy.has(subjectJobKey(l.kind, l.subjectId)) &&
        !(l.lastAttemptAt && l.lastAttemptAt >= listedAt),
    );
    const plans = await readPlans(
      tx,
      portalLinks.filter((l) => l.kind === LinkKind.PLAN).map((l) => l.subjectId),
    );
    const products = await readProducts(
      tx,
      portalLinks.filter((l) => l.kind === LinkKind.PRODUCT).map((l) => l.subjectId),
    );
    for (const link of portalLinks) {
      const source = link.kind === LinkKind.PLAN ? (plans.get(link.subjectId) ?? null) : (products.get(link.subjectId) ?? null);
      if (!source || !wantsPolicy(link.kind, source)) continue;
      const desired =
        link.kind === LinkKind.PLAN
          ? planPolicy(source as PlanContractRow, { orgId: provider.tykOrgId, tags: provider.policyTags }, link.policyId)
          : productPolicy(source as ProductContractRow, { orgId: provider.tykOrgId, tags: provider.policyTags }, link.policyId);
      const current = byId.get(link.policyId);
      const differences = current ? policyDifferences(current, desired) : ['(deleted in the provider)'];
      if (link.kind === LinkKind.PLAN) differences.push(...(await ruleDrift(tx, provider, source as PlanContractRow, link, byId)));
      if (!differences.length) continue;
      deps.log.warn(
        { providerId, policyId: link.policyId, kind: link.kind, subjectId: link.subjectId, differences },
        'portal-owned policy drifted in the provider: restoring it',
      );
      if (!current)
        Object.assign(link, {
          status: SyncStatus.MISSING,
          lastError: `The policy ${link.policyId} was deleted in the provider; it is being restored.`,
        });
      // Shown in `sync` (repairs, lastRepairAt, lastRepairReason): a repair is news for the
      // portal's admins (someone changes Tyk behind the portal's back), not only a log line.
      link.repairs += 1;
      link.lastRepairAt = now;
      link.lastRepairReason = (
        current
          ? `Changed in the provider: ${differences.join(', ')}.`
          : `Deleted in the provider${differences.length > 1 ? ` (and ${differences.slice(1).join(', ')})` : ''}.`
      ).slice(0, 1000);
      await enqueueSubjectSync(tx, link.kind, link.subjectId);
      counts.repairedPolicies += 1;
    }

    // ---- 2b. JWT scope mappings: every API that is (or should be) mapped is checked again
    await enqueueProviderScopeSyncs(tx, providerId);

    // ---- 3. catch-up: plans/products that never reached a provider go to the default one
    if (provider.isDefault) await enqueueOrphanSyncs(tx);
    await tx.flush();
  });
  return counts;
}

/**
 * The plan's endpoint-rule policies that differ from what the portal wrote (edited, or deleted:
 * Tyk skips a missing policy among several, so a deleted one would widen keys to the whole
 * product until repaired).
 */
async function ruleDrift(
  tx: EntityManager,
  provider: Provider,
  plan: PlanContractRow,
  link: PolicyLink,
  byId: Map<string, TykPolicy>,
): Promise<string[]> {
  const rules = plan.endpoint_rules ?? [];
  const out: string[] = [];
  if (!rules.length) return out;
  const products = await readProducts(
    tx,
    rules.map((rule) => rule.productId),
  );
  for (const rule of rules) {
    const product = products.get(rule.productId);
    if (!product) continue;
    const desired = rulesPolicy(plan, product, rule, { orgId: provider.tykOrgId, tags: provider.policyTags });
    const current = byId.get(desired.id);
    if (!current) out.push(`${desired.id} (${link.rulePolicyIds.includes(desired.id) ? 'deleted in the provider' : 'not written yet'})`);
    else if (carriesTags(current, provider.policyTags) || link.rulePolicyIds.includes(desired.id))
      out.push(...policyDifferences(current, desired).map((field) => `${desired.id}.${field}`));
  }
  return out;
}

/** The job key of a plan's or product's policy sync. */
const subjectJobKey = (kind: LinkKind, subjectId: string) => `${kind === LinkKind.PLAN ? 'plan' : 'product'}:${subjectId}`;

export async function enqueueSubjectSync(em: EntityManager, kind: LinkKind, subjectId: string): Promise<void> {
  if (kind === LinkKind.PLAN) await enqueueJob(em, JOB_TASKS.syncPlan, { planId: subjectId }, { jobKey: subjectJobKey(kind, subjectId) });
  else await enqueueJob(em, JOB_TASKS.syncProduct, { productId: subjectId }, { jobKey: subjectJobKey(kind, subjectId) });
}

/**
 * Enqueues the sync of every plan and product that has no provider yet (created while none was
 * registered): one statement per view, skipped when the view does not exist in this database.
 */
export async function enqueueOrphanSyncs(em: EntityManager): Promise<void> {
  const sources = [
    { view: 'plans.plan_contract', kind: 'PLAN', task: JOB_TASKS.syncPlan, field: 'planId', prefix: 'plan' },
    { view: 'products.product_contract', kind: 'PRODUCT', task: JOB_TASKS.syncProduct, field: 'productId', prefix: 'product' },
  ];
  for (const source of sources) {
    if (!(await relationExists(em, source.view))) continue;
    await query(
      em,
      `select graphile_worker.add_job(?, json_build_object(?::text, s.id), job_key := ? || ':' || s.id::text, job_key_mode := 'replace')
         from ${source.view} s
        where not exists (select 1 from provider.policy_link l where l.kind = ? and l.subject_id = s.id and l.provider_id is not null)`,
      [source.task, source.field, source.prefix, source.kind],
    );
  }
}
