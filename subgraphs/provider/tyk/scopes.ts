/**
 * JWT scopes in Tyk: the scope → policy mapping of an API definition, and the policy a plan's
 * scopes map to.
 *
 * Where the mapping lives (Tyk's `apidef/api_definitions.go` and `apidef/oas/security.go`,
 * `apidef/oas/authentication.go`):
 * - Tyk Classic: `scopes.jwt.scope_to_policy` (map scope → policy id) next to `scope_claim_name`;
 * - Tyk OAS: `x-tyk-api-gateway.server.authentication.securitySchemes.<jwt scheme>.scopes.scopeToPolicyMapping`
 *   (list of `{ scope, policyId }`), the JWT scheme being the one declared in
 *   `components.securitySchemes` as `{ type: http, scheme: bearer, bearerFormat: JWT }` (or,
 *   failing that, the one with a `signingMethod`).
 * The portal changes only the entries it wrote (remembered per API in `api_scope_link.mapping`):
 * everything else in the definition, and every mapping an operator wrote, is written back as read.
 *
 * What a scope maps to: a plan's "JWT policy" (`pg-jwt-<plan uuid hex>`), a full (unpartitioned)
 * policy with the plan's quota, rate limit and the access rights of the APIs its scopes are mapped
 * on. Not the consumption-limit plan policy that keys use: Tyk's JWT middleware
 * (`gateway/mw_jwt.go`, `processCentralisedJWT`) applies ONLY the scope-mapped policies when the
 * token's scopes match ("If specified, scopes should not use default policy"), and Tyk's policy
 * apply (`internal/policy/apply.go`, `Apply`) refuses a session whose policies grant no API ("key
 * has no valid policies to be applied"): a scope mapped to an ACL-less plan policy would be
 * refused on every request. Keys keep product policies (ACL) + the plan policy (limits).
 */
import type { PlanContractRow, PolicyTarget } from './bodies';
import type { TykAccessDefinition, TykApiDefinition, TykPolicy } from './types';

export function jwtPolicyId(planId: string): string {
  return `pg-jwt-${planId.replace(/-/g, '').toLowerCase()}`;
}

/** The policy a plan's JWT scopes map to: access to `apis` (with the plan's path and GraphQL type rights) and the plan's limits. */
export function jwtPolicy(
  plan: PlanContractRow,
  apis: { apiId: string; rights: Pick<TykAccessDefinition, 'allowed_urls' | 'allowed_types' | 'restricted_types'> }[],
  target: PolicyTarget,
): TykPolicy {
  const rights: Record<string, TykAccessDefinition> = {};
  for (const api of [...apis].sort((a, b) => a.apiId.localeCompare(b.apiId))) {
    rights[api.apiId] = { api_id: api.apiId, api_name: api.apiId, versions: ['Default'], allowed_urls: [], ...api.rights };
  }
  // No `rate_limit_pattern`: a JWT session has no application/organisation metadata to key it on,
  // so its counters are the token subject's own (Tyk's JWT session id).
  const metadata: Record<string, unknown> = { ...(plan.credential_metadata ?? {}) };
  const unlimitedQuota = plan.quota_requests === null || plan.quota_period_seconds === null;
  const unlimitedRate = plan.rate_requests === null || plan.rate_per_seconds === null;
  return {
    id: jwtPolicyId(plan.id),
    name: `${plan.name} (JWT scopes)`,
    org_id: target.orgId,
    rate: unlimitedRate ? -1 : plan.rate_requests!,
    per: unlimitedRate ? -1 : plan.rate_per_seconds!,
    quota_max: unlimitedQuota ? -1 : plan.quota_requests!,
    quota_renewal_rate: unlimitedQuota ? -1 : plan.quota_period_seconds!,
    throttle_interval: -1,
    throttle_retry_limit: -1,
    max_query_depth: -1,
    access_rights: rights,
    // All false = the whole policy applies (ACL, quota and rate limit).
    partitions: { quota: false, rate_limit: false, acl: false, complexity: false, per_api: false },
    key_expires_in: 0,
    meta_data: metadata,
    tags: [...target.tags],
    active: true,
    is_inactive: false,
    hmac_enabled: false,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Tyk API definitions are foreign JSON, read and patched field by field
type Json = Record<string, any>;

/** The x-tyk JWT security scheme of an OAS definition (by reference), or null. */
function oasJwtScheme(definition: Json): Json | null {
  const schemes: Json = definition['x-tyk-api-gateway']?.server?.authentication?.securitySchemes ?? {};
  const components: Json = definition.components?.securitySchemes ?? {};
  const names = Object.keys(schemes);
  const declared = names.find(
    (name) =>
      components[name]?.type === 'http' &&
      components[name]?.scheme === 'bearer' &&
      String(components[name]?.bearerFormat ?? '').toUpperCase() === 'JWT',
  );
  const name = declared ?? names.find((n) => typeof schemes[n]?.signingMethod === 'string' && schemes[n].signingMethod);
  return name && schemes[name] && typeof schemes[name] === 'object' ? schemes[name] : null;
}

/** True when the API authenticates JWTs (classic `enable_jwt`, or an OAS JWT scheme): only then can scopes be mapped. */
export function usesJwt(api: TykApiDefinition): boolean {
  return api.oas ? oasJwtScheme(api.definition) !== null : (api.definition as Json).enable_jwt === true;
}

/** The scope → policy mapping an API definition holds. */
export function readScopeMapping(api: TykApiDefinition): Record<string, string> {
  if (api.oas) {
    const scheme = oasJwtScheme(api.definition);
    const out: Record<string, string> = {};
    for (const entry of scheme?.scopes?.scopeToPolicyMapping ?? [])
      if (entry && typeof entry.scope === 'string') out[entry.scope] = String(entry.policyId ?? '');
    return out;
  }
  return { ...(((api.definition as Json).scopes?.jwt?.scope_to_policy ?? {}) as Record<string, string>) };
}

/** A copy of the definition with `mapping` as its scope → policy mapping; nothing else changes. */
export function withScopeMapping(api: TykApiDefinition, mapping: Record<string, string>): TykApiDefinition {
  const definition: Json = JSON.parse(JSON.stringify(api.definition));
  const copy: TykApiDefinition = { ...api, definition };
  if (api.oas) {
    const scheme = oasJwtScheme(definition);
    if (!scheme) return copy;
    const scopes: Json = (scheme.scopes ??= {});
    const before: { scope: string; policyId: string }[] = scopes.scopeToPolicyMapping ?? [];
    // Keep the order of entries that stay; new ones go at the end (sorted).
    const kept = before
      .filter((entry) => mapping[entry.scope] !== undefined)
      .map((entry) => ({ ...entry, policyId: mapping[entry.scope] }));
    const added = Object.keys(mapping)
      .filter((scope) => !kept.some((entry) => entry.scope === scope))
      .sort()
      .map((scope) => ({ scope, policyId: mapping[scope] }));
    scopes.scopeToPolicyMapping = [...kept, ...added];
    return copy;
  }
  definition.scopes ??= {};
  definition.scopes.jwt ??= {};
  definition.scopes.jwt.scope_to_policy = { ...mapping };
  return copy;
}

export interface MappingPlan {
  /** The mapping to write (current entries of others kept). */
  next: Record<string, string>;
  /** What the portal owns afterwards. */
  owned: Record<string, string>;
  /** Scopes the portal wants but someone else mapped to another policy (left alone). */
  conflicts: string[];
}

/**
 * The next mapping of an API: the portal's previous entries (`owned`) that it no longer wants are
 * removed (only if they still point where the portal put them), wanted ones are set; a scope
 * mapped by someone else to another policy is never overwritten (a conflict).
 */
export function planMapping(current: Record<string, string>, owned: Record<string, string>, desired: Record<string, string>): MappingPlan {
  const next = { ...current };
  const nowOwned: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const [scope, policyId] of Object.entries(owned)) {
    if (desired[scope] === undefined && next[scope] === policyId) delete next[scope];
  }
  for (const [scope, policyId] of Object.entries(desired)) {
    const theirs = next[scope];
    const ours = owned[scope] !== undefined && theirs === owned[scope];
    if (theirs !== undefined && theirs !== policyId && !ours) {
      conflicts.push(scope);
      continue;
    }
    next[scope] = policyId;
    nowOwned[scope] = policyId;
  }
  return { next, owned: nowOwned, conflicts: conflicts.sort() };
}

export function sameMapping(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}
