import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, subgraphRequest, type Identity } from './helpers/graphql';
import { postAnalytics } from './kit/usage';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { TykTestServer, type AnalyticsRow } from './tyk/server';
import { REFUSALS_SQL } from '../subgraphs/usage/services/refusals';

/**
 * "Why was I limited?" end to end: a plan (3 requests per hour, 4 per minute) synced to the Tyk
 * test server, a key issued through `requestAccess`, requests proxied by the test server until it
 * refuses them (403 for an API the key does not open, 403 "Quota exceeded", 429), its analytics
 * fed to the usage ingest — then, through the gateway, a member reads `Credential.effectiveLimits`
 * (the policies merged, the limits expected, the counter key, the live key; consistent) and
 * `Credential.recentRefusals` (each refusal with its reason). The live key is then changed in the
 * test server (the plan policy taken off it): `consistent: false` with the differences; with the
 * provider down the live part is null with a typed reason, quickly. Another organization's
 * developer gets nothing, through the gateway and straight from the subgraphs.
 */
describe('Credential.effectiveLimits and recentRefusals (why was I limited?)', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const mallory = developer();
  const rows: AnalyticsRow[] = [];
  // The test server's clock: real time, but strictly increasing, so every proxied request has a
  // timestamp of its own and the refusals' order is the order they were sent in.
  let tick = 0;
  const clock = () => (tick = Math.max(tick + 1, Date.now()));

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null = admin) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity = admin) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

  async function feed() {
    const { status, body } = await postAnalytics(platform.subgraphs.usage!.url, rows);
    expect(status).toBe(200);
    expect(body).toMatchObject({ accepted: rows.length, rejected: [], unmatched: 0 });
  }

  const LIMITS = `effectiveLimits {
    credentialId counterKey consistent liveUnavailable checkedAt
    policies { policyId kind subjectId productId sets onLiveKey }
    expected { quotaMax quotaPeriodSeconds rate perSeconds quotaScope rateLimitPattern }
    live { quotaMax quotaRemaining quotaRenewalSeconds windowStart windowResetsAt rate perSeconds appliedPolicies apiIds rateLimitPattern expiresAt inactive }
    differences { field expected live message }
  }`;
  const REFUSALS = `recentRefusals(first: 10) { occurredAt method path apiId responseCode reason }`;
  const WHY = `query($id: ID!) { credential(id: $id) { id ${LIMITS} ${REFUSALS} } }`;

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start({ now: clock, onAnalytics: (row) => void rows.push(row) });
    fixtures = new Fixtures(platform.gatewayUrl, admin);
  });

  afterAll(async () => {
    await platform?.stop();
    await tyk?.stop();
  });

  it('explains the limits and the refusals to members, shows drift and an unreachable provider, and refuses outsiders', async () => {
    const registered = await mutate('registerProvider', 'RegisterProviderInput', 'provider { id }', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      makeDefault: true,
    });
    const providerId: string = registered.provider.id;
    const catalogId = await fixtures.catalog();
    const apiId = unique('forecast');
    const otherApi = unique('radar');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    tyk.addApi({ apiId: otherApi, listenPath: `/${otherApi}/` });
    const productId = await fixtures.product({ slug: unique('weather'), tykApiIds: [apiId], catalogIds: [catalogId] });
    await fixtures.product({ slug: unique('radar'), tykApiIds: [otherApi], catalogIds: [catalogId] });
    const planId = await fixtures.plan({
      name: unique('small'),
      catalogIds: [catalogId],
      quota: { requests: 3, period: 'HOUR' },
      rateLimit: { requests: 4, perSeconds: 60 },
      autoApprove: true,
    });
    for (const subject of [{ planId }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId });
    }

    const organizationId = await fixtures.organization(alice.sub);
    await fixtures.organization(mallory.sub);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('app') }, alice);
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id } secret',
      { appId: app.app.id, planId, productIds: [productId] },
      alice,
    );
    const credentialId: string = access.credential.id;
    const secret: string = access.secret;
    const keyHash = await waitFor(
      async () => {
        const [row] = await platform.subgraphs
          .provider!.orm.em.getConnection()
          .execute<{ key_hash: string }[]>(`select key_hash from provider.credential_key where credential_id = ? and status = 'ACTIVE'`, [
            credentialId,
          ]);
        return row && tyk.keySession(row.key_hash) ? row.key_hash : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
    );
    const hex = (id: string) => id.replace(/-/g, '');
    const planPolicy = `pg-plan-${hex(planId)}`;
    const productPolicy = `pg-product-${hex(productId)}`;

    // Before any traffic: the model and the live key agree.
    const before = (await gql(WHY, { id: credentialId }, alice)).credential;
    expect(before.effectiveLimits).toMatchObject({
      credentialId,
      counterKey: `credential:${credentialId}`,
      consistent: true,
      liveUnavailable: null,
      differences: [],
      expected: { quotaMax: 3, quotaPeriodSeconds: 3600, rate: 4, perSeconds: 60, quotaScope: 'CREDENTIAL', rateLimitPattern: null },
      live: { quotaMax: 3, quotaRemaining: 3, quotaRenewalSeconds: 3600, rate: 4, perSeconds: 60, apiIds: [apiId], inactive: false },
    });
    expect(before.effectiveLimits.policies).toEqual([
      expect.objectContaining({ policyId: productPolicy, kind: 'PRODUCT', subjectId: productId, productId: null, onLiveKey: true }),
      expect.objectContaining({ policyId: planPolicy, kind: 'PLAN', subjectId: planId, onLiveKey: true }),
    ]);
    expect(before.effectiveLimits.policies[1].sets).toBe('quota 3 requests per 3600 s, rate limit 4 requests per 60 s, counted per key');
    expect(before.effectiveLimits.live.appliedPolicies).toEqual([productPolicy, planPolicy]);
    expect(before.recentRefusals).toEqual([]);

    // Traffic: an API the key does not open, three allowed requests, then the quota, then the rate limit.
    const call = async (api: string) => {
      const response = await fetch(`${tyk.url}/${api}/today`, { headers: { authorization: secret } });
      await response.arrayBuffer();
      return response.status;
    };
    const statuses = [await call(otherApi)];
    for (let i = 0; i < 5; i++) statuses.push(await call(apiId));
    expect(statuses).toEqual([403, 200, 200, 200, 403, 429]);
    await feed();

    const after = (await gql(WHY, { id: credentialId }, alice)).credential;
    expect(
      after.recentRefusals.map((r: { responseCode: number; reason: string; apiId: string }) => [r.responseCode, r.reason, r.apiId]),
    ).toEqual([
      [429, 'RATE_LIMITED', apiId],
      [403, 'QUOTA_EXCEEDED', apiId],
      [403, 'FORBIDDEN', otherApi],
    ]);
    expect(after.recentRefusals[0]).toMatchObject({ method: 'GET', path: '/today' });
    // The live window: the quota is used up until the window resets, an hour after it started.
    const live = after.effectiveLimits.live;
    expect(live.quotaRemaining).toBe(0);
    expect(new Date(live.windowResetsAt).getTime() - new Date(live.windowStart).getTime()).toBe(3_600_000);
    expect(after.effectiveLimits.consistent).toBe(true);
    // `first` is bounded.
    const tooMany = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { credential(id: $id) { recentRefusals(first: 51) { reason } } }`,
      { id: credentialId },
      alice,
    );
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const fewer = (
      await gql(`query($id: ID!) { credential(id: $id) { recentRefusals(first: 1) { reason } } }`, { id: credentialId }, alice)
    ).credential;
    expect(fewer.recentRefusals).toEqual([{ reason: 'RATE_LIMITED' }]);

    // The read can use the partial index of refusals (seq scans off: the tables are tiny here).
    const plan = await platform.subgraphs.usage!.orm.em.fork().transactional(async (em) => {
      await em.getConnection().execute('set local enable_seqscan = off', [], 'run', em.getTransactionContext());
      const explained = await em
        .getConnection()
        .execute<{ 'QUERY PLAN': unknown }[]>(
          `explain (format json) ${REFUSALS_SQL}`,
          [credentialId, new Date(Date.now() - 86_400_000).toISOString(), 10],
          'all',
          em.getTransactionContext(),
        );
      return JSON.stringify(explained);
    });
    // (each day partition's copy of `usage_record_refusal_idx` is named after its columns)
    expect(plan).toMatch(/usage_record_p\d{8}_credential_id_occurred_at_idx/);
    // The scan for the end of a window's allowance runs once per window, not once per refusal.
    expect(plan).toContain('"CTE Name":"exhausted"');

    // In a list (the app's credentials) it answers the same.
    const listed = await gql(
      `query($id: ID!) { app(id: $id) { credentials(first: 10) { edges { node { id effectiveLimits { consistent counterKey } recentRefusals(first: 2) { reason } } } } } }`,
      { id: app.app.id },
      alice,
    );
    expect(listed.app.credentials.edges.map((e: { node: unknown }) => e.node)).toEqual([
      {
        id: credentialId,
        effectiveLimits: { consistent: true, counterKey: `credential:${credentialId}` },
        recentRefusals: [{ reason: 'RATE_LIMITED' }, { reason: 'QUOTA_EXCEEDED' }],
      },
    ]);

    // Drift: the plan policy is taken off the live key in Tyk (out of band).
    tyk.keys.get(keyHash)!.session.apply_policies = [productPolicy];
    const drifted = (await gql(WHY, { id: credentialId }, alice)).credential.effectiveLimits;
    expect(drifted.consistent).toBe(false);
    const byField = Object.fromEntries(drifted.differences.map((d: { field: string }) => [d.field, d]));
    expect(Object.keys(byField).sort()).toEqual(['apply_policies', 'per', 'quota_max', 'quota_renewal_rate', 'rate']);
    expect(byField.apply_policies.message).toContain(`missing on the live key: ${planPolicy}`);
    expect(byField.quota_max).toMatchObject({ expected: '3', live: '0' });
    expect(drifted.policies.map((p: { kind: string; onLiveKey: boolean }) => [p.kind, p.onLiveKey])).toEqual([
      ['PRODUCT', true],
      ['PLAN', false],
    ]);
    // A portal admin sees the same explanation.
    const asAdmin = (await gql(WHY, { id: credentialId }, admin)).credential.effectiveLimits;
    expect(asAdmin.consistent).toBe(false);
    tyk.keys.get(keyHash)!.session.apply_policies = [productPolicy, planPolicy];

    // The provider unreachable: the live part is null with a reason, no error, quickly.
    await tyk.down();
    const started = performance.now();
    const unreachable = (await gql(WHY, { id: credentialId }, alice)).credential;
    expect(performance.now() - started).toBeLessThan(4000);
    expect(unreachable.effectiveLimits).toMatchObject({
      live: null,
      liveUnavailable: 'PROVIDER_UNREACHABLE',
      consistent: null,
      differences: [],
    });
    expect(unreachable.effectiveLimits.policies.map((p: { onLiveKey: unknown }) => p.onLiveKey)).toEqual([null, null]);
    expect(unreachable.recentRefusals).toHaveLength(3);
    await tyk.up();

    // Another organization's developer: nothing through the gateway…
    const hidden = await gatewayRequest(platform.gatewayUrl, WHY, { id: credentialId }, mallory);
    expect(hidden.errors).toBeUndefined();
    expect(hidden.data?.credential ?? null).toBeNull();
    // …nor from the subgraphs that own the fields, asked for the credential directly; anonymous neither.
    const entities = (fields: string) =>
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Credential { id ${fields} } } }`;
    const reps = { reps: [{ __typename: 'Credential', id: credentialId }] };
    for (const identity of [mallory, null]) {
      const fromProvider = await subgraphRequest(
        platform.subgraphs.provider!.url,
        entities('effectiveLimits { credentialId }'),
        reps,
        identity,
      );
      expect(fromProvider.errors).toBeUndefined();
      expect(fromProvider.data._entities[0].effectiveLimits).toBeNull();
      const fromUsage = await subgraphRequest(platform.subgraphs.usage!.url, entities('recentRefusals { reason }'), reps, identity);
      expect(fromUsage.errors).toBeUndefined();
      expect(fromUsage.data._entities[0].recentRefusals).toBeNull();
    }
    // A plan whose quota is shared by the app: Tyk counts on the app id (rate_limit_pattern).
    const sharedName = unique('shared');
    const sharedPlan: string = (
      await mutate('createPlan', 'CreatePlanInput', 'plan { id }', {
        name: sharedName,
        displayName: sharedName,
        catalogIds: [catalogId],
        status: 'PUBLISHED',
        tier: 1,
        quota: { requests: 50, period: 'DAY' },
        rateLimit: null,
        quotaScope: 'APP',
        autoApprove: true,
      })
    ).plan.id;
    await mutate('assignProvider', 'AssignProviderInput', '__typename', { planId: sharedPlan, providerId });
    const teamApp = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('team-app') }, alice);
    const shared = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id }',
      { appId: teamApp.app.id, planId: sharedPlan, productIds: [productId] },
      alice,
    );
    const sharedLimits = await waitFor(
      async () => {
        const data = await gql(`query($id: ID!) { credential(id: $id) { ${LIMITS} } }`, { id: shared.credential.id }, alice);
        return data.credential.effectiveLimits.live ? data.credential.effectiveLimits : null;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the app-scoped key in the Tyk test server' },
    );
    expect(sharedLimits).toMatchObject({
      counterKey: `app:${teamApp.app.id}`,
      consistent: true,
      expected: {
        quotaMax: 50,
        quotaPeriodSeconds: 86_400,
        rate: null,
        perSeconds: null,
        quotaScope: 'APP',
        rateLimitPattern: '$tyk_meta.ApplicationID',
      },
      live: { quotaMax: 50, rate: -1, rateLimitPattern: '$tyk_meta.ApplicationID' },
    });

    // The same direct call as a member answers (the refusal above is authorisation, not the route).
    const member = await subgraphRequest(platform.subgraphs.provider!.url, entities('effectiveLimits { credentialId }'), reps, alice);
    expect(member.data._entities[0].effectiveLimits).toEqual({ credentialId });
  });
});
