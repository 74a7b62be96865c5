import { differencesOf } from './services/effective-limits';
import { LiveKeyLimits } from './resolvers/effective-limits.types';
import type { PlanContractRow } from './tyk/bodies';

/** How `Credential.effectiveLimits` compares a live key with the plan (the e2e test covers the rest). */
describe('effectiveLimits differences', () => {
  const plan = (overrides: Partial<PlanContractRow> = {}): PlanContractRow => ({
    id: '00000000-0000-4000-8000-000000000001',
    name: 'Plan',
    status: 'PUBLISHED',
    key_expires_after_seconds: null,
    quota_scope: 'APP',
    quota_requests: 100,
    quota_period_seconds: 3600,
    rate_requests: 10,
    rate_per_seconds: 1,
    version: 1,
    credential_metadata: {},
    ...overrides,
  });
  const live = (overrides: Partial<LiveKeyLimits> = {}): LiveKeyLimits =>
    Object.assign(new LiveKeyLimits(), {
      quotaMax: 100,
      quotaRemaining: 40,
      quotaRenewalSeconds: 3600,
      windowStart: null,
      windowResetsAt: null,
      rate: 10,
      perSeconds: 1,
      appliedPolicies: ['pg-product-a', 'pg-plan-b'],
      apiIds: ['api'],
      rateLimitPattern: '$tyk_meta.ApplicationID',
      expiresAt: null,
      inactive: false,
      ...overrides,
    });
  const policies = ['pg-product-a', 'pg-plan-b'];

  it('finds nothing when the live key matches the plan', () => {
    expect(differencesOf(policies, plan(), live())).toEqual([]);
  });

  it('reads unlimited as -1, like the policy the portal writes', () => {
    const unlimited = plan({ quota_requests: null, quota_period_seconds: null, rate_requests: null, rate_per_seconds: null });
    expect(differencesOf(policies, unlimited, live({ quotaMax: -1, quotaRenewalSeconds: -1, rate: -1, perSeconds: -1 }))).toEqual([]);
    const [quota] = differencesOf(policies, unlimited, live({ quotaRenewalSeconds: -1, rate: -1, perSeconds: -1 }));
    expect(quota).toMatchObject({ field: 'quota_max', expected: 'unlimited (-1)', live: '100' });
  });

  it('names a counter pattern the plan does not set, foreign policies and an inactive key', () => {
    const found = differencesOf(
      policies,
      plan({ quota_scope: 'CREDENTIAL' }),
      live({ appliedPolicies: [...policies, 'hand-made'], inactive: true }),
    );
    expect(found.map((d) => d.field)).toEqual(['apply_policies', 'rate_limit_pattern', 'is_inactive']);
    expect(found[0].message).toContain("not the portal's: hand-made");
    expect(found[1]).toMatchObject({ expected: null, live: '$tyk_meta.ApplicationID' });
  });

  it('compares only the policies when the plan is gone', () => {
    expect(differencesOf(policies, null, live({ quotaMax: 5 }))).toEqual([]);
  });
});
