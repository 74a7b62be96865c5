/**
 * What the portal writes to Tyk, built from the owners' published views, the way Tyk's own
 * Enterprise Developer Portal maps products and plans onto policies and keys (Tyk's portal
 * documentation on API products, plans and approved access requests):
 *
 * - a plan is a "consumption-limit" policy: partitions quota + rate_limit only, no access rights;
 *   unlimited = -1; `key_expires_in` = the plan's key lifetime; `meta_data` = the plan's credential
 *   metadata; quota scope APP / ORGANIZATION = `rate_limit_pattern` templated on the key's
 *   `ApplicationID` / `OrganisationID` metadata (Tyk 5.3+ keys rate-limit and quota counters on it);
 * - a product is an "access" policy: partition acl only, one access right per Tyk API id;
 * - a credential is a key with the product policies and the plan policy applied, its alias,
 *   expiry and metadata.
 *
 * Every policy carries the provider's org id and policy tags. Ids are deterministic
 * (`pg-plan-<uuid hex>`, `pg-product-<uuid hex>`) and valid for Tyk 5.13+ (`[A-Za-z0-9._~-]`).
 */
import type { EndpointRuleRow, PlanContractColumn, PlanContractRow as PlanContract } from '../../../common/contracts/plans';
import type { TykAccessDefinition, TykPartitions, TykPolicy, TykSession } from './types';

/** The columns of `plans.plan_contract` provider sync uses (`jwt_scopes` and `endpoint_rules` may be left out). */
export type PlanContractRow = Pick<
  PlanContract,
  | 'id'
  | 'name'
  | 'status'
  | 'key_expires_after_seconds'
  | 'quota_scope'
  | 'quota_requests'
  | 'quota_period_seconds'
  | 'rate_requests'
  | 'rate_per_seconds'
  | 'version'
> &
  Partial<Pick<PlanContract, 'jwt_scopes' | 'endpoint_rules'>> & {
    /** The view never gives null; bodies treat null as no metadata. */
    credential_metadata: PlanContract['credential_metadata'] | null;
  };

/** The columns provider sync reads. */
export const PROVIDER_PLAN_COLUMNS = [
  'name',
  'status',
  'key_expires_after_seconds',
  'quota_scope',
  'quota_requests',
  'quota_period_seconds',
  'rate_requests',
  'rate_per_seconds',
  'credential_metadata',
  'version',
  'jwt_scopes',
  'endpoint_rules',
] as const satisfies readonly PlanContractColumn[];

export type { EndpointRuleRow };

/** A row of `products.product_contract`. */
export interface ProductContractRow {
  id: string;
  slug: string;
  name: string;
  status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
  tyk_api_ids: string[] | null;
}

/** A row of `developers.credential_contract` (see the access/provider contract). */
export interface CredentialContractRow {
  id: string;
  app_id: string;
  organization_id: string;
  plan_id: string;
  product_ids: string[];
  status: 'ACTIVE' | 'REVOKED';
  expires_at: Date | null;
  revokes_at: Date | null;
  alias: string;
  metadata: Record<string, unknown> | null;
  pending_secret_encrypted: string | null;
  replaces_credential_id: string | null;
  created_at: Date;
  version: number;
}

/** Where a policy or key is written: the provider's org id and the tags marking portal-owned policies. */
export interface PolicyTarget {
  orgId: string;
  tags: readonly string[];
}

export const POLICY_ID_PATTERN = /^[A-Za-z0-9._~-]+$/;

export function planPolicyId(planId: string): string {
  return `pg-plan-${planId.replace(/-/g, '').toLowerCase()}`;
}

export function productPolicyId(productId: string): string {
  return `pg-product-${productId.replace(/-/g, '').toLowerCase()}`;
}

/** The restriction policy of a plan's endpoint rule on one product: `pg-rules-<plan hex>-<product hex>`. */
export function rulesPolicyId(planId: string, productId: string): string {
  return `pg-rules-${planId.replace(/-/g, '').toLowerCase()}-${productId.replace(/-/g, '').toLowerCase()}`;
}

export const RULES_POLICY_ID = /^pg-rules-[0-9a-f]{32}-[0-9a-f]{32}$/;

/** The policy of a temporary quota boost: `pg-boost-<boost hex>`. */
export function boostPolicyId(boostId: string): string {
  return `pg-boost-${boostId.replace(/-/g, '').toLowerCase()}`;
}

export const BOOST_POLICY_ID = /^pg-boost-[0-9a-f]{32}$/;

/** A row of `developers.quota_boost_contract` (the limits the key gets while the boost is ACTIVE). */
export interface BoostRow {
  id: string;
  quota_max: number | null;
  quota_period_seconds: number | null;
  rate_requests: number | null;
  rate_per_seconds: number | null;
}

/**
 * The policy of a quota boost: a consumption-limit policy partitioned to what the boost raises
 * (quota and/or rate limit), applied to the key next to the plan's. Tyk merges the partitioned
 * policies of a key by taking the highest quota and rate (`internal/policy/apply.go`), so while it
 * is applied the key gets the boosted limits; taking it off (`POST /tyk/keys/policy/{hash}`) does
 * not reset the key's quota counter.
 */
export function boostPolicy(boost: BoostRow, target: PolicyTarget): TykPolicy {
  const quota = boost.quota_max !== null && boost.quota_period_seconds !== null;
  const rate = boost.rate_requests !== null && boost.rate_per_seconds !== null;
  return {
    id: boostPolicyId(boost.id),
    name: `Quota boost ${boost.id}`,
    org_id: target.orgId,
    rate: rate ? boost.rate_requests! : 0,
    per: rate ? boost.rate_per_seconds! : 0,
    quota_max: quota ? boost.quota_max! : 0,
    quota_renewal_rate: quota ? boost.quota_period_seconds! : 0,
    throttle_interval: -1,
    throttle_retry_limit: -1,
    max_query_depth: -1,
    access_rights: {},
    partitions: { quota, rate_limit: rate, acl: false, complexity: false, per_api: false },
    key_expires_in: 0,
    meta_data: {},
    tags: [...target.tags],
    active: true,
    is_inactive: false,
    hmac_enabled: false,
  };
}

/** The plan's rule for a product, or null (= the whole product). */
export function ruleFor(plan: PlanContractRow, productId: string): EndpointRuleRow | null {
  return (plan.endpoint_rules ?? []).find((rule) => rule.productId === productId) ?? null;
}

/** The restricted part of an access right for a rule: `allowed_urls`, and the GraphQL type lists when set. */
export function ruleRights(rule: EndpointRuleRow): Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'> {
  const rights: Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'> = {
    allowed_urls: rule.allow.map((a) => ({ url: a.path, methods: [...a.methods] })),
  };
  if (rule.allowedTypes.length) rights.allowed_types = rule.allowedTypes.map((t) => ({ name: t.name, fields: [...t.fields] }));
  if (rule.restrictedTypes.length) rights.restricted_types = rule.restrictedTypes.map((t) => ({ name: t.name, fields: [...t.fields] }));
  return rights;
}

/**
 * The restriction policy of a plan on one product (premium endpoints): an ACL-partitioned policy
 * with one access right per Tyk API of the product carrying the rule's `allowed_urls` and GraphQL
 * type lists. Applied to a key next to the product's policy: Tyk merges the access rights of all
 * ACL policies per API (`internal/policy/apply.go`: `MergeAllowedURLs` unions the lists and an
 * empty list adds nothing; the type lists are appended), so "every path" (the product policy)
 * merged with the rule's list leaves the rule's list. Kept out of the plan policy on purpose: an
 * access right there would reach the key for every product the plan covers, also products the
 * key was not approved for. Limitation: Tyk merges per API, so when two products of one key
 * share a Tyk API, a rule on one restricts the shared API for both.
 */
export function rulesPolicy(plan: PlanContractRow, product: ProductContractRow, rule: EndpointRuleRow, target: PolicyTarget): TykPolicy {
  const rights: Record<string, TykAccessDefinition> = {};
  for (const apiId of [...(product.tyk_api_ids ?? [])].sort()) rights[apiId] = { ...accessDefinition(apiId), ...ruleRights(rule) };
  return {
    ...productPolicy(product, target, rulesPolicyId(plan.id, product.id)),
    name: `${plan.name} on ${product.name} (endpoint rules)`,
    access_rights: rights,
  };
}

export const PLAN_PARTITIONS: TykPartitions = { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false };
export const PRODUCT_PARTITIONS: TykPartitions = { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false };

/** `rate_limit_pattern` per quota scope: Tyk keys its counters on the templated value. */
export const QUOTA_SCOPE_PATTERNS: Record<PlanContractRow['quota_scope'], string | null> = {
  CREDENTIAL: null,
  APP: '$tyk_meta.ApplicationID',
  ORGANIZATION: '$tyk_meta.OrganisationID',
};

/** Plans in these states have a policy; ARCHIVED ones lose it once no live key uses it. */
export function planWantsPolicy(plan: PlanContractRow | null): plan is PlanContractRow {
  return plan !== null && plan.status !== 'ARCHIVED';
}

export function productWantsPolicy(product: ProductContractRow | null): product is ProductContractRow {
  return product !== null && product.status !== 'ARCHIVED';
}

/** The candidate policy of a staged plan-change rollout: `pg-rollout-<rollout uuid hex>`. */
export function rolloutPolicyId(rolloutId: string): string {
  return `pg-rollout-${rolloutId.replace(/-/g, '').toLowerCase()}`;
}

export const ROLLOUT_POLICY_ID = /^pg-rollout-[0-9a-f]{32}$/;

/** The candidate limits of a rollout (`plans.plan_rollout_contract`). */
export type RolloutLimits = Pick<
  PlanContractRow,
  'quota_requests' | 'quota_period_seconds' | 'rate_requests' | 'rate_per_seconds' | 'quota_scope'
> & { rollout_id: string };

/**
 * The candidate policy of a rollout: the plan's policy with the change's limits, under its own id,
 * for the keys of the rollout's cohort (in place of the plan's policy: counters are kept).
 */
export function rolloutPolicy(plan: PlanContractRow, rollout: RolloutLimits, target: PolicyTarget): TykPolicy {
  const candidate: PlanContractRow = {
    ...plan,
    name: `${plan.name} (staged change)`,
    quota_requests: rollout.quota_requests,
    quota_period_seconds: rollout.quota_period_seconds,
    rate_requests: rollout.rate_requests,
    rate_per_seconds: rollout.rate_per_seconds,
    quota_scope: rollout.quota_scope,
  };
  return planPolicy(candidate, target, rolloutPolicyId(rollout.rollout_id));
}

/** The consumption-limit policy of a plan. */
export function planPolicy(plan: PlanContractRow, target: PolicyTarget, policyId = planPolicyId(plan.id)): TykPolicy {
  const metadata: Record<string, unknown> = { ...(plan.credential_metadata ?? {}) };
  const pattern = QUOTA_SCOPE_PATTERNS[plan.quota_scope];
  if (pattern) metadata.rate_limit_pattern = pattern;
  const unlimitedQuota = plan.quota_requests === null || plan.quota_period_seconds === null;
  const unlimitedRate = plan.rate_requests === null || plan.rate_per_seconds === null;
  return {
    id: policyId,
    name: plan.name,
    org_id: target.orgId,
    rate: unlimitedRate ? -1 : plan.rate_requests!,
    per: unlimitedRate ? -1 : plan.rate_per_seconds!,
    quota_max: unlimitedQuota ? -1 : plan.quota_requests!,
    quota_renewal_rate: unlimitedQuota ? -1 : plan.quota_period_seconds!,
    throttle_interval: -1,
    throttle_retry_limit: -1,
    max_query_depth: -1,
    access_rights: {},
    partitions: { ...PLAN_PARTITIONS },
    key_expires_in: plan.key_expires_after_seconds ?? 0,
    meta_data: metadata,
    tags: [...target.tags],
    active: true,
    is_inactive: false,
    hmac_enabled: false,
  };
}

export function accessDefinition(apiId: string): TykAccessDefinition {
  return { api_id: apiId, api_name: apiId, versions: ['Default'], allowed_urls: [] };
}

/** The access policy of a product: access to each of its Tyk APIs, nothing else. */
export function productPolicy(product: ProductContractRow, target: PolicyTarget, policyId = productPolicyId(product.id)): TykPolicy {
  const rights: Record<string, TykAccessDefinition> = {};
  for (const apiId of product.tyk_api_ids ?? []) rights[apiId] = accessDefinition(apiId);
  return {
    id: policyId,
    name: product.name,
    org_id: target.orgId,
    // Not applied (acl partition only); 0 = "not set" in Tyk's merge, so it can never loosen a limit.
    rate: 0,
    per: 0,
    quota_max: 0,
    quota_renewal_rate: 0,
    throttle_interval: -1,
    throttle_retry_limit: -1,
    max_query_depth: -1,
    access_rights: rights,
    partitions: { ...PRODUCT_PARTITIONS },
    key_expires_in: 0,
    meta_data: {},
    tags: [...target.tags],
    active: true,
    is_inactive: false,
    hmac_enabled: false,
  };
}

/** The session of a credential's key: product policies, then the plan policy. */
export function keySession(credential: CredentialContractRow, target: PolicyTarget, policyIds: string[]): TykSession {
  return {
    org_id: target.orgId,
    alias: credential.alias,
    apply_policies: policyIds,
    expires: credential.expires_at ? Math.floor(new Date(credential.expires_at).getTime() / 1000) : 0,
    meta_data: { ...(credential.metadata ?? {}) },
    tags: [...target.tags],
  };
}

// ------------------------------------------------------------------ comparing policies

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * The part of a policy the portal manages, normalised (missing numbers are 0, missing lists and
 * maps empty, tags as a set) so a policy read back from Tyk equals the one written.
 */
export function managedView(policy: Partial<TykPolicy>): Record<string, unknown> {
  const partitions = (policy.partitions ?? {}) as Partial<TykPartitions>;
  const rights = policy.access_rights ?? {};
  return {
    id: policy.id ?? '',
    name: policy.name ?? '',
    org_id: policy.org_id ?? '',
    rate: num(policy.rate),
    per: num(policy.per),
    quota_max: num(policy.quota_max),
    quota_renewal_rate: num(policy.quota_renewal_rate),
    throttle_interval: num(policy.throttle_interval),
    throttle_retry_limit: num(policy.throttle_retry_limit),
    max_query_depth: num(policy.max_query_depth),
    key_expires_in: num(policy.key_expires_in),
    active: Boolean(policy.active),
    is_inactive: Boolean(policy.is_inactive),
    hmac_enabled: Boolean(policy.hmac_enabled),
    partitions: {
      quota: Boolean(partitions.quota),
      rate_limit: Boolean(partitions.rate_limit),
      acl: Boolean(partitions.acl),
      complexity: Boolean(partitions.complexity),
      per_api: Boolean(partitions.per_api),
    },
    tags: [...new Set(policy.tags ?? [])].sort(),
    meta_data: canonical(policy.meta_data ?? {}),
    access_rights: Object.keys(rights)
      .sort()
      .map((apiId) => {
        const right = rights[apiId] ?? { api_id: apiId };
        return {
          key: apiId,
          api_id: right.api_id ?? '',
          versions: [...(right.versions ?? [])].sort(),
          allowed_urls: (right.allowed_urls ?? []).map((spec) => ({ url: spec.url ?? '', methods: [...(spec.methods ?? [])].sort() })),
          // GraphQL type rights (premium endpoints); missing = empty.
          allowed_types: graphqlTypes(right.allowed_types),
          restricted_types: graphqlTypes(right.restricted_types),
        };
      }),
  };
}

function graphqlTypes(value: unknown): { name: string; fields: string[] }[] {
  if (!Array.isArray(value)) return [];
  return value.map((t) => ({ name: String(t?.name ?? ''), fields: Array.isArray(t?.fields) ? [...t.fields].map(String).sort() : [] }));
}

/** Names of the managed fields that differ (empty = Tyk already has what the portal wants). */
export function policyDifferences(current: Partial<TykPolicy>, desired: Partial<TykPolicy>): string[] {
  const a = managedView(current);
  const b = managedView(desired);
  return Object.keys(b).filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/**
 * For a policy the portal imported (created in Tyk): keep everything Tyk has and change only what
 * the portal manages. Access rights keep their Tyk definitions for APIs that stay.
 */
export function mergeImported(current: TykPolicy, desired: TykPolicy): TykPolicy {
  const merged: TykPolicy = { ...current, ...desired };
  merged.tags = [...new Set([...(current.tags ?? []), ...desired.tags])];
  merged.meta_data = { ...(current.meta_data ?? {}), ...desired.meta_data };
  if (desired.partitions.acl) {
    const rights: Record<string, TykAccessDefinition> = {};
    for (const apiId of Object.keys(desired.access_rights)) rights[apiId] = current.access_rights?.[apiId] ?? desired.access_rights[apiId];
    merged.access_rights = rights;
  } else {
    merged.access_rights = current.access_rights ?? {};
  }
  // Fields the portal does not model keep Tyk's values.
  for (const field of ['throttle_interval', 'throttle_retry_limit', 'max_query_depth', 'active', 'is_inactive', 'hmac_enabled'] as const) {
    if (current[field] !== undefined) (merged as Record<string, unknown>)[field] = current[field];
  }
  if (current._id) merged._id = current._id;
  return merged;
}

/**
 * How the portal reads a partitioned policy found in Tyk: ACL only = an access policy (a product);
 * quota and/or rate limit without ACL = a consumption-limit policy (a plan); anything else
 * (unpartitioned, mixed, per-API) is not imported.
 */
export function classifyPolicy(policy: Partial<TykPolicy>): 'PLAN' | 'PRODUCT' | null {
  const p = (policy.partitions ?? {}) as Partial<TykPartitions>;
  if (p.per_api) return null;
  if (p.acl && !p.quota && !p.rate_limit) return 'PRODUCT';
  if (!p.acl && (p.quota || p.rate_limit)) return 'PLAN';
  return null;
}

/** True when the policy carries at least one of the provider's policy tags. */
export function carriesTags(policy: Partial<TykPolicy>, tags: readonly string[]): boolean {
  return (policy.tags ?? []).some((tag) => tags.includes(tag));
}
