/**
 * `Credential.effectiveLimits` ("why was I limited?"): the policies the portal applies to a
 * credential's Tyk key (products, endpoint rules, plan, an ACTIVE quota boost — the order `key-sync.ts`
 * writes them), the limits the plan sets (`plans.plan_contract`) raised by the boost, what Tyk counts on (the key, or the app /
 * organization per the plan's quota scope and `rate_limit_pattern`), and the key as the provider
 * holds it now, compared field by field. Reading the live key is one GET with a short timeout
 * (`LIVE_READ_TIMEOUT_MS` at most): an unreachable provider gives `live: null` with a reason, never
 * an error. Members (any role) of the credential's organization and portal admins may read it.
 */
import { providerHttpTimeoutMs } from '../../../common/config';
import { decryptSecret, keyRingFromEnv } from '../../../common/crypto';
import { isUuid } from '../../../common/ids';
import type { SubgraphContext } from '../../../common/server';
import { QuotaScope } from '../../../common/shared-enums';
import { isOrganizationMember, readActiveBoosts, readCredentials, readPlans, readProducts, type QuotaBoostRow } from '../contracts/views';
import { byKeys, requestLoader } from '../../../common/loaders';
import type { CredentialContractRow, ProductContractRow } from '../tyk/bodies';
import { credentialKeyOf, linkOf } from '../data/loaders';
import { KeyStatus } from '../entities/credential-key';
import { LinkKind } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import {
  AppliedPolicy,
  AppliedPolicyKind,
  EffectiveLimits,
  ExpectedLimits,
  LimitDifference,
  LiveKeyLimits,
  LiveKeyUnavailableReason,
} from '../resolvers/effective-limits.types';
import { createTykClient } from '../tyk/client';
import { boostPolicyId, QUOTA_SCOPE_PATTERNS, planPolicyId, productPolicyId, rolloutPolicyId, type PlanContractRow } from '../tyk/bodies';
import { readCredentialRollout } from '../../../common/contracts/plan-rollouts';
import { ProviderError } from '../tyk/errors';
import type { TykSession } from '../tyk/types';
import { healthRecorder } from './deps';
import { keyRulePolicyIds } from './rule-policy-sync';

/** The live key read never waits longer than this (or `PROVIDER_HTTP_TIMEOUT_MS`, if shorter). */
export const LIVE_READ_TIMEOUT_MS = 3000;
/** Live key reads one request runs at once (a list of credentials asks the provider this many at a time). */
export const LIVE_READS_AT_ONCE = 8;

// Batched per request (one SELECT per kind of read, whatever the number of credentials asked for).
const credentialOf = (context: SubgraphContext, id: string) =>
  requestLoader<string, CredentialContractRow | null>(context, 'effective:credential', async (ids) =>
    byKeys(ids, [...(await readCredentials(context.em, ids)).values()], (row) => row.id),
  ).load(id);
const planOf = (context: SubgraphContext, id: string) =>
  requestLoader<string, PlanContractRow | null>(context, 'effective:plan', async (ids) => {
    const plans = await readPlans(context.em, ids);
    return ids.map((key) => plans.get(key) ?? null);
  }).load(id);
const productOf = (context: SubgraphContext, id: string) =>
  requestLoader<string, ProductContractRow | null>(context, 'effective:product', async (ids) => {
    const products = await readProducts(context.em, ids);
    return ids.map((key) => products.get(key) ?? null);
  }).load(id);
const providerOf = (context: SubgraphContext, id: string) =>
  requestLoader<string, Provider | null>(context, 'effective:provider', async (ids) =>
    byKeys(ids, await context.em.find(Provider, { id: { $in: [...ids] } }), (row) => row.id),
  ).load(id);
const boostsOf = (context: SubgraphContext, credentialId: string) =>
  requestLoader<string, QuotaBoostRow[]>(context, 'effective:boosts', async (ids) => {
    const boosts = await readActiveBoosts(context.em, ids);
    return ids.map((key) => boosts.get(key) ?? []);
  }).load(credentialId);
const memberOf = (context: SubgraphContext, organizationId: string, subject: string) =>
  requestLoader<string, boolean>(context, 'effective:member', async (keys) => {
    const pairs = keys.map((key) => key.split('|') as [string, string]);
    const members = await isOrganizationMember(context.em, pairs);
    return keys.map((key) => members.has(key));
  }).load(`${organizationId}|${subject}`);

/** A per-request gate: at most LIVE_READS_AT_ONCE live reads run at the same time. */
const gates = new WeakMap<object, { running: number; waiting: (() => void)[] }>();
async function gated<T>(context: SubgraphContext, work: () => Promise<T>): Promise<T> {
  let gate = gates.get(context);
  if (!gate) gates.set(context, (gate = { running: 0, waiting: [] }));
  if (gate.running >= LIVE_READS_AT_ONCE) await new Promise<void>((resolve) => gate!.waiting.push(resolve));
  gate.running += 1;
  try {
    return await work();
  } finally {
    gate.running -= 1;
    gate.waiting.shift()?.();
  }
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const orUnlimited = (value: number | null): number => (value === null ? -1 : value);
const show = (value: number): string => (value === -1 ? 'unlimited (-1)' : String(value));

/** Who may read it: members (any role) of the credential's ACTIVE organization and portal admins. */
async function mayRead(context: SubgraphContext, organizationId: string): Promise<boolean> {
  const subject = context.caller.subject;
  if (subject === null) return false;
  if (context.caller.isPortalAdmin) return true;
  return memberOf(context, organizationId, subject);
}

/** The plan's limits, raised by ACTIVE boosts as Tyk merges partitioned policies (highest quota; highest rate per second). */
function expectedOf(plan: PlanContractRow, boosts: readonly QuotaBoostRow[] = []): ExpectedLimits {
  const unlimitedQuota = plan.quota_requests === null || plan.quota_period_seconds === null;
  const unlimitedRate = plan.rate_requests === null || plan.rate_per_seconds === null;
  let quotaMax = unlimitedQuota ? null : plan.quota_requests;
  let quotaPeriod = unlimitedQuota ? null : plan.quota_period_seconds;
  let rate = unlimitedRate ? null : plan.rate_requests;
  let per = unlimitedRate ? null : plan.rate_per_seconds;
  for (const boost of boosts) {
    if (quotaMax !== null && boost.quota_max !== null && boost.quota_period_seconds !== null && boost.quota_max > quotaMax) {
      quotaMax = boost.quota_max;
      quotaPeriod = Math.max(quotaPeriod ?? 0, boost.quota_period_seconds);
    }
    if (
      rate !== null &&
      per !== null &&
      boost.rate_requests !== null &&
      boost.rate_per_seconds &&
      boost.rate_requests / boost.rate_per_seconds > rate / per
    ) {
      rate = boost.rate_requests;
      per = boost.rate_per_seconds;
    }
  }
  return Object.assign(new ExpectedLimits(), {
    quotaMax,
    quotaPeriodSeconds: quotaPeriod,
    rate,
    perSeconds: per,
    quotaScope: plan.quota_scope as QuotaScope,
    rateLimitPattern: QUOTA_SCOPE_PATTERNS[plan.quota_scope],
  });
}

function planSets(plan: PlanContractRow | null): string {
  if (!plan) return 'nothing the portal knows of: the plan no longer exists';
  const e = expectedOf(plan);
  const quota = e.quotaMax === null ? 'unlimited quota' : `quota ${e.quotaMax} requests per ${e.quotaPeriodSeconds} s`;
  const rate = e.rate === null ? 'no rate limit' : `rate limit ${e.rate} requests per ${e.perSeconds} s`;
  const scope = e.rateLimitPattern ? `counted per ${e.quotaScope.toLowerCase()} (${e.rateLimitPattern})` : 'counted per key';
  return `${quota}, ${rate}, ${scope}`;
}

function liveOf(session: TykSession): LiveKeyLimits {
  const renews = num(session.quota_renews);
  const renewal = num(session.quota_renewal_rate);
  const max = num(session.quota_max);
  const pattern = session.meta_data?.rate_limit_pattern;
  return Object.assign(new LiveKeyLimits(), {
    quotaMax: max,
    quotaRemaining: max === -1 ? null : num(session.quota_remaining),
    quotaRenewalSeconds: renewal,
    windowResetsAt: renews > 0 ? new Date(renews * 1000) : null,
    windowStart: renews > 0 && renewal > 0 ? new Date((renews - renewal) * 1000) : null,
    rate: num(session.rate),
    perSeconds: num(session.per),
    appliedPolicies: [...(session.apply_policies ?? [])],
    apiIds: Object.keys(session.access_rights ?? {}).sort(),
    rateLimitPattern: typeof pattern === 'string' && pattern ? pattern : null,
    expiresAt: num(session.expires) > 0 ? new Date(num(session.expires) * 1000) : null,
    inactive: session.is_inactive === true,
  });
}

function difference(field: string, expected: string | null, live: string | null, message: string): LimitDifference {
  return Object.assign(new LimitDifference(), { field, expected, live, message });
}

const RESYNC =
  'a sync may still be on its way (see `Credential.sync`); otherwise the key was changed in the provider — a portal admin can re-sync it by changing the credential or rotating it.';

/** How the live key differs from the model (policies, quota, rate, counter pattern, inactivity). */
export function differencesOf(
  policies: readonly string[],
  plan: PlanContractRow | null,
  live: LiveKeyLimits,
  boosts: readonly QuotaBoostRow[] = [],
): LimitDifference[] {
  const out: LimitDifference[] = [];
  const missing = policies.filter((id) => !live.appliedPolicies.includes(id));
  const extra = live.appliedPolicies.filter((id) => !policies.includes(id));
  if (missing.length || extra.length) {
    const parts = [
      missing.length ? `missing on the live key: ${missing.join(', ')}` : '',
      extra.length ? `not the portal's: ${extra.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    out.push(difference('apply_policies', policies.join(','), live.appliedPolicies.join(','), `Policies differ (${parts}): ${RESYNC}`));
  }
  if (plan) {
    const expected = expectedOf(plan, boosts);
    const compare = (field: string, want: number, have: number, what: string) => {
      if (want !== have)
        out.push(
          difference(field, show(want), show(have), `${what} is ${show(have)} on the live key, the plan says ${show(want)}: ${RESYNC}`),
        );
    };
    compare('quota_max', orUnlimited(expected.quotaMax), live.quotaMax, 'The quota');
    compare('quota_renewal_rate', orUnlimited(expected.quotaPeriodSeconds), live.quotaRenewalSeconds, 'The quota period');
    compare('rate', orUnlimited(expected.rate), live.rate, 'The rate limit');
    compare('per', orUnlimited(expected.perSeconds), live.perSeconds, 'The rate-limit interval');
    if ((expected.rateLimitPattern ?? null) !== live.rateLimitPattern) {
      out.push(
        difference(
          'rate_limit_pattern',
          expected.rateLimitPattern,
          live.rateLimitPattern,
          `Tyk counts on ${live.rateLimitPattern ?? 'the key itself'}, the plan's quota scope says ${expected.rateLimitPattern ?? 'the key itself'}: ${RESYNC}`,
        ),
      );
    }
  }
  if (live.inactive)
    out.push(
      difference('is_inactive', 'false', 'true', `The key is inactive in the provider, so every request is refused with 403: ${RESYNC}`),
    );
  return out;
}

type LiveRead = { live: LiveKeyLimits; reason: null } | { live: null; reason: LiveKeyUnavailableReason };

async function readLive(context: SubgraphContext, credentialId: string): Promise<LiveRead> {
  const row = await credentialKeyOf(context, credentialId);
  if (row?.status === KeyStatus.REVOKED) return { live: null, reason: LiveKeyUnavailableReason.KEY_REVOKED };
  if (!row || !row.keyHash || row.status !== KeyStatus.ACTIVE) return { live: null, reason: LiveKeyUnavailableReason.KEY_NOT_ISSUED };
  if (!row.providerId) return { live: null, reason: LiveKeyUnavailableReason.NO_PROVIDER };
  const provider = await providerOf(context, row.providerId);
  if (!provider) return { live: null, reason: LiveKeyUnavailableReason.NO_PROVIDER };
  const client = createTykClient({
    kind: provider.kind,
    baseUrl: provider.baseUrl,
    secret: decryptSecret(keyRingFromEnv(context.env), provider.secretEncrypted),
    timeoutMs: Math.min(providerHttpTimeoutMs(context.env), LIVE_READ_TIMEOUT_MS),
    onOutcome: healthRecorder(provider.id, () => context.em.fork(), context.clock, context.log),
  });
  try {
    const keyHash = row.keyHash;
    const session = await gated(context, () => client.getKey(keyHash));
    if (!session) return { live: null, reason: LiveKeyUnavailableReason.KEY_MISSING };
    return { live: liveOf(session), reason: null };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    context.log.warn(
      { providerId: provider.id, status: error.status, operation: error.operation },
      'effectiveLimits: live key not readable',
    );
    return {
      live: null,
      reason: error.status === null ? LiveKeyUnavailableReason.PROVIDER_UNREACHABLE : LiveKeyUnavailableReason.PROVIDER_ERROR,
    };
  }
}

/** `Credential.effectiveLimits`: null for callers who may not read it and for unknown credentials. */
export async function effectiveLimitsOf(context: SubgraphContext, credentialId: string): Promise<EffectiveLimits | null> {
  if (!isUuid(credentialId)) return null;
  const id = credentialId.toLowerCase();
  const credential = await credentialOf(context, id);
  if (!credential || !(await mayRead(context, credential.organization_id))) return null;

  const [planRow, productRows, planLink, boosts, rollout] = await Promise.all([
    planOf(context, credential.plan_id),
    Promise.all(credential.product_ids.map((productId) => productOf(context, productId))),
    linkOf(context, LinkKind.PLAN, credential.plan_id),
    boostsOf(context, id),
    readCredentialRollout(context.em, credential.plan_id, id),
  ]);
  // In the cohort of a RUNNING staged change of the plan: the key has the candidate policy (the change's limits) instead.
  const plan: PlanContractRow | null =
    planRow && rollout
      ? {
          ...planRow,
          quota_requests: rollout.quota_requests,
          quota_period_seconds: rollout.quota_period_seconds,
          rate_requests: rollout.rate_requests,
          rate_per_seconds: rollout.rate_per_seconds,
          quota_scope: rollout.quota_scope,
        }
      : planRow;
  const products = new Map(productRows.filter((p): p is ProductContractRow => p !== null).map((p) => [p.id, p]));
  const productLinks = await Promise.all(credential.product_ids.map((productId) => linkOf(context, LinkKind.PRODUCT, productId)));

  const policies: AppliedPolicy[] = [];
  const policy = (fields: Omit<AppliedPolicy, 'onLiveKey'>) =>
    policies.push(Object.assign(new AppliedPolicy(), { ...fields, onLiveKey: null }));
  credential.product_ids.forEach((productId, i) => {
    const product = products.get(productId);
    const apis = product?.tyk_api_ids ?? [];
    policy({
      policyId: productLinks[i]?.policyId ?? productPolicyId(productId),
      kind: AppliedPolicyKind.PRODUCT,
      subjectId: productId,
      productId: null,
      sets: product
        ? `access to ${apis.length ? apis.join(', ') : 'no API'} (product ${product.name})`
        : 'nothing: the product no longer exists',
    });
  });
  for (const rulesId of keyRulePolicyIds(plan, credential.product_ids)) {
    const productId = credential.product_ids.find((p) => rulesId.endsWith(p.replace(/-/g, '')))!;
    const rule = plan!.endpoint_rules?.find((r) => r.productId === productId);
    const paths = (rule?.allow ?? []).map((a) => `${a.methods.join('|')} ${a.path}`);
    policy({
      policyId: rulesId,
      kind: AppliedPolicyKind.RULES,
      subjectId: credential.plan_id,
      productId,
      sets: `only ${paths.length ? paths.join(', ') : 'the allowed GraphQL fields'} on the product's APIs (endpoint rules of the plan)`,
    });
  }
  policy({
    policyId: rollout ? rolloutPolicyId(rollout.rollout_id) : (planLink?.policyId ?? planPolicyId(credential.plan_id)),
    kind: AppliedPolicyKind.PLAN,
    subjectId: credential.plan_id,
    productId: null,
    sets: rollout
      ? `${planSets(plan)} (the candidate limits of staged change ${rollout.change_request_id}, at ${rollout.current_percent} % of the plan’s credentials)`
      : planSets(plan),
  });
  for (const boost of boosts) {
    const raises = [
      boost.quota_max !== null ? `quota ${boost.quota_max} requests per ${boost.quota_period_seconds} s` : '',
      boost.rate_requests !== null ? `rate limit ${boost.rate_requests} requests per ${boost.rate_per_seconds} s` : '',
    ].filter(Boolean);
    policy({
      policyId: boostPolicyId(boost.id),
      kind: AppliedPolicyKind.BOOST,
      subjectId: boost.id,
      productId: null,
      sets: `${raises.join(', ')} until ${new Date(boost.expires_at).toISOString()} (temporary quota boost)`,
    });
  }

  const scope = (plan?.quota_scope ?? 'CREDENTIAL') as QuotaScope;
  const counterKey =
    scope === QuotaScope.APP
      ? `app:${credential.app_id}`
      : scope === QuotaScope.ORGANIZATION
        ? `organization:${credential.organization_id}`
        : `credential:${credential.id}`;

  const read = await readLive(context, id);
  const differences = read.live
    ? differencesOf(
        policies.map((p) => p.policyId),
        plan,
        read.live,
        boosts,
      )
    : [];
  if (read.live) for (const p of policies) p.onLiveKey = read.live.appliedPolicies.includes(p.policyId);

  return Object.assign(new EffectiveLimits(), {
    credentialId: id,
    policies,
    expected: plan ? expectedOf(plan, boosts) : null,
    counterKey,
    live: read.live,
    liveUnavailable: read.reason,
    consistent: read.live ? differences.length === 0 : null,
    differences,
    checkedAt: context.clock.now(),
  });
}
