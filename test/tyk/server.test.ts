/**
 * The Tyk test server behaves as Tyk Gateway and Dashboard do (status codes, bodies, the reload
 * trap, id rules, hashing, full-replace PUT, quota counters, org scoping; see `./server.ts`) and
 * its fault injection works. Plain HTTP, no provider code involved.
 */
import { TykTestServer } from './server';
import { validateTykObject, POLICY, SESSION_STATE } from './schema';

describe('Tyk test server', () => {
  let tyk: TykTestServer;
  beforeAll(async () => {
    tyk = await TykTestServer.start({ orgId: 'org-1', secret: 'gw-secret', dashboardSecret: 'dash-key' });
  });
  afterAll(async () => {
    await tyk?.stop();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { 'x-tyk-authorization': 'gw-secret' },
  ) {
    const response = await fetch(`${tyk.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
  const dash = (method: string, path: string, body?: unknown) => call(method, path, body, { authorization: 'dash-key' });

  const planPolicy = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: id,
    org_id: 'org-1',
    rate: 10,
    per: 1,
    quota_max: 100,
    quota_renewal_rate: 3600,
    partitions: { quota: true, rate_limit: true, acl: false, complexity: false, per_api: false },
    access_rights: {},
    tags: ['plangraph'],
    key_expires_in: 600,
    meta_data: { tier: 'gold' },
    ...extra,
  });
  const productPolicy = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: id,
    org_id: 'org-1',
    partitions: { quota: false, rate_limit: false, acl: true, complexity: false, per_api: false },
    access_rights: { 'api-1': { api_id: 'api-1', api_name: 'API 1', versions: ['Default'], allowed_urls: [] } },
    tags: ['plangraph'],
    ...extra,
  });

  it('refuses calls without the right secret (403 on the Gateway, 401 on the Dashboard)', async () => {
    const denied = { status: 403, body: { status: 'error', message: 'Attempted administrative access with invalid or missing key!' } };
    expect(await call('GET', '/tyk/policies', undefined, {})).toEqual(denied);
    expect(await call('GET', '/tyk/policies', undefined, { 'x-tyk-authorization': 'wrong' })).toEqual(denied);
    expect(await call('GET', '/api/portal/policies', undefined, { authorization: 'wrong' })).toEqual({
      status: 401,
      body: { Status: 'Error', Message: 'Not authorised', Meta: null },
    });
  });

  it('loads Gateway policy writes only after a reload, checks ids, and replaces on PUT', async () => {
    expect(await call('POST', '/tyk/policies', planPolicy('p-1'))).toEqual({
      status: 200,
      body: { key: 'p-1', status: 'ok', action: 'added' },
    });
    expect(await call('GET', '/tyk/policies/p-1')).toEqual({ status: 404, body: { status: 'error', message: 'Policy not found' } });
    expect(await call('GET', '/tyk/reload?block=true')).toEqual({ status: 200, body: { status: 'ok', message: '' } });
    const loaded = await call('GET', '/tyk/policies/p-1');
    expect(loaded.status).toBe(200);
    // Every Policy key is emitted (no omitempty), zero values included.
    expect(loaded.body).toMatchObject({
      _id: '',
      id: 'p-1',
      throttle_interval: 0,
      is_inactive: false,
      active: false,
      hmac_enabled: false,
      last_updated: '',
    });
    expect(validateTykObject(POLICY, loaded.body)).toEqual([]);
    expect((await call('GET', '/tyk/policies')).body.map((p: any) => p.id)).toContain('p-1');

    expect(await call('POST', '/tyk/policies', planPolicy('bad id!'))).toEqual({
      status: 400,
      body: { status: 'error', message: 'Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~' },
    });
    expect(await call('POST', '/tyk/policies', { ...planPolicy(''), id: undefined })).toEqual({
      status: 400,
      body: { status: 'error', message: 'Unable to create policy without id.' },
    });
    expect((await call('POST', '/tyk/policies', { ...planPolicy(''), id: undefined, _id: '5ead7120575961000181867e' })).body.key).toBe(
      '5ead7120575961000181867e',
    );
    expect(await call('PUT', '/tyk/policies/p-1', planPolicy('p-2'))).toEqual({
      status: 400,
      body: { status: 'error', message: 'Request ID does not match that in policy! For Update operations these must match.' },
    });
    expect(await call('PUT', '/tyk/policies', planPolicy('p-1'))).toEqual({
      status: 400,
      body: { status: 'error', message: 'Must specify an apiID to update' },
    });

    // Full replace: what the PUT body leaves out is gone.
    const { meta_data: _dropped, ...withoutMeta } = planPolicy('p-1', { name: 'renamed' });
    expect(await call('PUT', '/tyk/policies/p-1', withoutMeta)).toEqual({
      status: 200,
      body: { key: 'p-1', status: 'ok', action: 'modified' },
    });
    expect((await call('GET', '/tyk/policies/p-1')).body.name).toBe('p-1'); // not reloaded yet
    await call('GET', '/tyk/reload/group');
    await new Promise((resolve) => setTimeout(resolve, 100)); // the group reload is asynchronous
    const replaced = (await call('GET', '/tyk/policies/p-1')).body;
    expect(replaced).toMatchObject({ name: 'renamed', meta_data: null });

    expect(await call('DELETE', '/tyk/policies/nope')).toEqual({ status: 500, body: { status: 'error', message: 'Delete failed' } });
    expect(await call('DELETE', '/tyk/policies/p-1')).toEqual({ status: 200, body: { key: 'p-1', status: 'ok', action: 'deleted' } });
    expect((await call('GET', '/tyk/policies/p-1')).status).toBe(200);
    await call('GET', '/tyk/reload');
    expect((await call('GET', '/tyk/policies/p-1')).status).toBe(404);
  });

  it('rejects bodies that do not match the schema of Tyk objects like Tyk does (400)', async () => {
    const malformed = { status: 400, body: { status: 'error', message: 'Request malformed' } };
    expect(await call('POST', '/tyk/policies', '{not json')).toEqual(malformed);
    expect(await call('POST', '/tyk/policies', planPolicy('t-1', { rate: '10' }))).toEqual(malformed);
    expect(await call('POST', '/tyk/policies', planPolicy('t-1', { quota_max: 1.5 }))).toEqual(malformed);
    expect(await call('POST', '/tyk/policies', planPolicy('t-1', { tags: 'plangraph' }))).toEqual(malformed);
    expect(await call('POST', '/tyk/policies', planPolicy('t-1', { partitions: { acl: 'yes' } }))).toEqual(malformed);
    expect(await call('POST', '/tyk/policies', planPolicy('t-1', { quota_maxx: 5 }))).toEqual(malformed); // strict: unknown field
    expect((await call('POST', '/tyk/policies', planPolicy('t-1', { meta_data: null, tags: null }))).status).toBe(200); // null = zero value
    expect(await call('POST', '/tyk/keys/custom-key', { apply_policies: 'p' })).toEqual(malformed);
    expect(await call('POST', '/tyk/keys/policy/abc', { apply_policies: [1] })).toEqual({
      status: 400,
      body: { status: 'error', message: "Couldn't decode instruction" },
    });
    expect(validateTykObject(SESSION_STATE, { expires: 1.5 })).toEqual([expect.stringContaining('$.expires')]);

    const lenient = await TykTestServer.start({ strict: false, secret: 's' });
    try {
      const response = await fetch(`${lenient.url}/tyk/policies`, {
        method: 'POST',
        headers: { 'x-tyk-authorization': 's' },
        body: JSON.stringify(planPolicy('x', { unknown_field: 1 })),
      });
      expect(response.status).toBe(200);
    } finally {
      await lenient.stop();
    }
  });

  it('creates keys with custom ids only from loaded policies of the same org, hashes them and applies policies on GET', async () => {
    await call('POST', '/tyk/policies', planPolicy('plan-a'));
    await call('POST', '/tyk/policies', productPolicy('product-a'));
    const session = {
      org_id: 'org-1',
      alias: 'app (pgk_1234)',
      apply_policies: ['product-a', 'plan-a'],
      meta_data: { DeveloperID: 'dev-1' },
      tags: ['portal'],
    };
    // Not loaded yet: the reload trap.
    expect(await call('POST', '/tyk/keys/pgk_custom_secret', session)).toEqual({
      status: 500,
      body: { status: 'error', message: 'Failed to create key, ensure security settings are correct.' },
    });
    await call('GET', '/tyk/reload?block=true');
    // Another org's key does not find these policies.
    expect((await call('POST', '/tyk/keys/pgk_other_org', { ...session, org_id: 'org-2' })).status).toBe(500);
    expect((await call('POST', '/tyk/keys/ab', session)).status).toBe(400); // shorter than min_token_length

    const created = await call('POST', '/tyk/keys/pgk_custom_secret', session);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'ok', action: 'added', key_hash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(JSON.parse(Buffer.from(created.body.key, 'base64').toString())).toEqual({
      org: 'org-1',
      id: 'pgk_custom_secret',
      h: 'murmur64',
    });
    const hash = created.body.key_hash;

    const byHash = await call('GET', `/tyk/keys/${hash}?hashed=1`);
    expect(byHash.status).toBe(200);
    expect(byHash.body).toMatchObject({
      org_id: 'org-1',
      alias: 'app (pgk_1234)',
      apply_policies: ['product-a', 'plan-a'],
      quota_max: 100,
      quota_remaining: 100,
      quota_renewal_rate: 3600,
      rate: 10,
      per: 1,
      access_rights: { 'api-1': expect.objectContaining({ api_id: 'api-1' }) },
      meta_data: { DeveloperID: 'dev-1', tier: 'gold' },
    });
    expect(byHash.body.tags.sort()).toEqual(['plangraph', 'portal']);
    expect(Math.abs(byHash.body.expires - (Math.floor(Date.now() / 1000) + 600))).toBeLessThan(5); // key_expires_in
    expect(validateTykObject(SESSION_STATE, byHash.body)).toEqual([]);
    // Any non-empty `hashed` means "by hash"; the raw custom name works without it.
    expect((await call('GET', `/tyk/keys/${hash}?hashed=false`)).status).toBe(200);
    expect((await call('GET', '/tyk/keys/pgk_custom_secret')).body.alias).toBe('app (pgk_1234)');
    expect(await call('GET', '/tyk/keys/unknown?hashed=1')).toEqual({ status: 404, body: { status: 'error', message: 'Key not found' } });

    // quota_remaining from the counter; 0 is omitted (5.12+ omitzero).
    tyk.setQuotaUsed(hash, 30);
    expect((await call('GET', `/tyk/keys/${hash}?hashed=1`)).body.quota_remaining).toBe(70);
    tyk.setQuotaUsed(hash, 150);
    expect((await call('GET', `/tyk/keys/${hash}?hashed=1`)).body).not.toHaveProperty('quota_remaining');
    tyk.setQuotaUsed(hash, 30);

    // Policy swap by hash keeps the counter.
    await call('POST', '/tyk/policies', planPolicy('plan-b', { quota_max: 500 }));
    await call('GET', '/tyk/reload');
    expect(await call('POST', `/tyk/keys/policy/${hash}`, { apply_policies: ['product-a', 'plan-b'] })).toEqual({
      status: 200,
      body: { key: hash, status: 'ok', action: 'updated' },
    });
    expect((await call('GET', `/tyk/keys/${hash}?hashed=1`)).body).toMatchObject({ quota_max: 500, quota_remaining: 470 });
    expect(await call('POST', '/tyk/keys/policy/missing', { apply_policies: [] })).toEqual({
      status: 404,
      body: { status: 'error', message: 'Key not found' },
    });

    // PUT is a full replace: suppress_reset=1 keeps the counter, without it the counter restarts; omitted fields are lost.
    const { meta_data: _meta, ...withoutMeta } = { ...session, apply_policies: ['product-a', 'plan-b'] };
    expect((await call('PUT', `/tyk/keys/${hash}?hashed=1&suppress_reset=1`, withoutMeta)).body).toMatchObject({
      status: 'ok',
      action: 'modified',
    });
    expect(tyk.quotaUsed(hash)).toBe(30);
    expect(tyk.storedSession(hash)).not.toHaveProperty('meta_data');
    await call('PUT', `/tyk/keys/${hash}?hashed=1`, withoutMeta);
    expect(tyk.quotaUsed(hash)).toBe(0);
    expect(await call('PUT', '/tyk/keys/missing?hashed=1', withoutMeta)).toEqual({
      status: 404,
      body: { status: 'error', message: 'Key is not found' },
    });

    expect(await call('DELETE', `/tyk/keys/${hash}?hashed=1`)).toEqual({
      status: 200,
      body: { key: hash, status: 'ok', action: 'deleted' },
    });
    expect(await call('DELETE', `/tyk/keys/${hash}?hashed=1`)).toEqual({
      status: 404,
      body: { status: 'error', message: 'There is no such key found' },
    });

    const generated = await call('POST', '/tyk/keys', session);
    expect(generated.body).toMatchObject({ status: 'ok', action: 'added', key_hash: expect.any(String) });
    expect(await call('GET', '/tyk/keys')).toEqual({
      status: 404,
      body: { status: 'error', message: 'Hashed key listing is disabled in config (enable_hashed_keys_listing)' },
    });
  });

  it('speaks the Dashboard API for policies and keys (live at once, capitalised envelopes)', async () => {
    const created = await dash('POST', '/api/portal/policies', planPolicy('dash-plan', { name: 'Dash plan' }));
    expect(created).toEqual({ status: 200, body: { Status: 'OK', Message: 'dash-plan', Meta: null } });
    expect((await dash('GET', '/api/portal/policies/dash-plan')).body).toMatchObject({
      id: 'dash-plan',
      _id: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
    expect((await dash('POST', '/api/portal/policies', planPolicy('dash-plan-2', { name: 'Dash plan' }))).status).toBe(400); // duplicate name
    expect(await dash('POST', '/api/portal/policies', '{x')).toEqual({
      status: 403,
      body: { Status: 'Error', Message: 'Request body malformed.', Meta: null },
    });
    expect(await dash('PUT', '/api/portal/policies/dash-plan', planPolicy('dash-plan', { name: 'Renamed' }))).toEqual({
      status: 200,
      body: { Status: 'OK', Message: 'Data updated', Meta: null },
    });
    const list = await dash('GET', '/api/portal/policies?p=-1');
    expect(list.body.Pages).toBe(1);
    expect(list.body.Data.find((p: any) => p.id === 'dash-plan').name).toBe('Renamed');
    expect(await dash('GET', '/api/portal/policies/none')).toEqual({
      status: 404,
      body: { Status: 'Error', Message: 'Could not retrieve portal object.', Meta: null },
    });

    await dash('POST', '/api/portal/policies', productPolicy('dash-product', { name: 'Dash product' }));
    const key = await dash('POST', '/api/keys/pgk_dash_secret', {
      org_id: 'org-1',
      apply_policies: ['dash-product', 'dash-plan'],
      alias: 'dash',
    });
    expect(key.body).toMatchObject({
      key_id: expect.any(String),
      key_hash: expect.any(String),
      data: expect.objectContaining({ alias: 'dash' }),
    });
    const hash = key.body.key_hash;
    tyk.setQuotaUsed(hash, 5);
    expect((await dash('GET', `/api/keys/${hash}?hashed=1`)).body.data.quota_remaining).toBe(95);
    await dash('PUT', `/api/keys/${hash}?hashed=1&suppress_reset=1`, {
      org_id: 'org-1',
      apply_policies: ['dash-product', 'dash-plan'],
      alias: 'dash-2',
    });
    expect(tyk.quotaUsed(hash)).toBe(5);
    expect(await dash('DELETE', `/api/keys/${hash}?hashed=1`)).toEqual({
      status: 200,
      body: { Status: 'OK', Message: 'Key deleted successfully.', Meta: null },
    });
    expect(await dash('DELETE', '/api/portal/policies/none')).toEqual({
      status: 404,
      body: { Status: 'Error', Message: 'Could not retrieve object for deletion', Meta: null },
    });
    expect(await dash('DELETE', '/api/portal/policies/dash-plan')).toEqual({
      status: 200,
      body: { Status: 'OK', Message: 'Data deleted', Meta: null },
    });
  });

  it('records every request and injects faults: errors, slowness, connection refused', async () => {
    tyk.clearRequests();
    tyk.failNext(2, { message: 'boom' });
    expect(await call('GET', '/tyk/policies')).toEqual({ status: 500, body: { status: 'error', message: 'boom' } });
    expect(await dash('GET', '/api/portal/policies')).toEqual({ status: 500, body: { Status: 'Error', Message: 'boom', Meta: null } });
    expect((await call('GET', '/tyk/policies')).status).toBe(200);
    expect(tyk.requests.map((r) => [r.method, r.path, r.status, r.fault ?? null])).toEqual([
      ['GET', '/tyk/policies', 500, 'error'],
      ['GET', '/api/portal/policies', 500, 'error'],
      ['GET', '/tyk/policies', 200, null],
    ]);

    tyk.slow(300);
    const started = Date.now();
    await call('GET', '/tyk/policies');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    tyk.heal();

    await tyk.down();
    await expect(fetch(`${tyk.url}/tyk/policies`)).rejects.toThrow();
    await tyk.up();
    expect((await call('GET', '/tyk/policies')).status).toBe(200);
  });

  it('proxies requests with key auth, rate limits (429), quotas (403) and one analytics row per request', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const rows: unknown[] = [];
    const gw = await TykTestServer.start({
      orgId: 'org-p',
      secret: 's',
      now: () => now,
      apis: [{ apiId: 'weather', listenPath: '/weather/', name: 'Weather' }],
      onAnalytics: (row) => void rows.push(row),
    });
    try {
      const admin = (method: string, path: string, body?: unknown) =>
        fetch(`${gw.url}${path}`, {
          method,
          headers: { 'x-tyk-authorization': 's' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const get = (key: string | null, path = '/weather/today') =>
        fetch(`${gw.url}${path}`, { headers: key ? { authorization: key } : {} }).then(async (r) => ({
          status: r.status,
          body: await r.json(),
          remaining: r.headers.get('x-ratelimit-remaining'),
        }));
      await admin('POST', '/tyk/policies', {
        ...planPolicy('plan-p', {
          org_id: 'org-p',
          rate: 3,
          per: 1,
          quota_max: 5,
          quota_renewal_rate: 3600,
          key_expires_in: 0,
          meta_data: { rate_limit_pattern: '$tyk_meta.OrganisationID' },
        }),
      });
      await admin('POST', '/tyk/policies', {
        ...productPolicy('product-p', {
          org_id: 'org-p',
          access_rights: { weather: { api_id: 'weather', versions: ['Default'], allowed_urls: [] } },
        }),
      });
      await admin('POST', '/tyk/policies', {
        ...productPolicy('product-other', { org_id: 'org-p', access_rights: { maps: { api_id: 'maps' } } }),
      });
      await admin('GET', '/tyk/reload');
      const key = (
        await admin('POST', '/tyk/keys/pgk_proxy_one', {
          org_id: 'org-p',
          alias: 'one',
          apply_policies: ['product-p', 'plan-p'],
          meta_data: { OrganisationID: 'o-1' },
        })
      ).body;
      const sibling = (
        await admin('POST', '/tyk/keys/pgk_proxy_two', {
          org_id: 'org-p',
          alias: 'two',
          apply_policies: ['product-p', 'plan-p'],
          meta_data: { OrganisationID: 'o-1' },
        })
      ).body;
      await admin('POST', '/tyk/keys/pgk_proxy_maps', {
        org_id: 'org-p',
        apply_policies: ['product-other', 'plan-p'],
        meta_data: { OrganisationID: 'o-2' },
      });

      expect(await get(null)).toMatchObject({ status: 401, body: { error: 'Authorization field missing' } });
      expect(await get('nobody')).toMatchObject({ status: 403, body: { error: 'Access to this API has been disallowed' } });
      expect(await get('pgk_proxy_maps')).toMatchObject({ status: 403, body: { error: 'Access to this API has been disallowed' } });

      // Rate limit 3 per second.
      expect(await get('pgk_proxy_one')).toMatchObject({ status: 200, remaining: '4' });
      expect((await get('pgk_proxy_one')).status).toBe(200);
      expect((await get('pgk_proxy_one')).status).toBe(200);
      expect(await get('pgk_proxy_one')).toMatchObject({ status: 429, body: { error: 'Rate Limit Exceeded' } });
      now += 1500;
      // Quota 5 per hour, shared through rate_limit_pattern = the organization: the sibling key uses the same counter.
      expect(await get('pgk_proxy_two')).toMatchObject({ status: 200, remaining: '1' });
      expect(await get(key.key)).toMatchObject({ status: 200, remaining: '0' });
      expect(await get('pgk_proxy_one')).toMatchObject({ status: 403, body: { error: 'Quota exceeded' } });
      expect((await admin('GET', `/tyk/keys/${sibling.key_hash}?hashed=1`)).body).not.toHaveProperty('quota_remaining');
      now += 3600 * 1000;
      expect(await get('pgk_proxy_one')).toMatchObject({ status: 200, remaining: '4' });

      // Expired keys are refused.
      await admin('POST', '/tyk/keys/pgk_proxy_old', {
        org_id: 'org-p',
        apply_policies: ['product-p', 'plan-p'],
        expires: Math.floor(now / 1000) + 10,
      });
      now += 20_000;
      expect(await get('pgk_proxy_old')).toMatchObject({ status: 401, body: { error: 'Key has expired, please renew' } });

      expect(gw.analytics).toHaveLength(12);
      expect(rows).toHaveLength(12);
      const first = gw.analytics[3];
      expect(first).toMatchObject({
        method: 'GET',
        path: '/today',
        rawpath: '/weather/today',
        responsecode: 200,
        apikey: key.key_hash,
        apiid: 'weather',
        apiname: 'Weather',
        orgid: 'org-p',
        alias: 'one',
        year: 2026,
        month: 3,
        day: 1,
        hour: 10,
      });
      expect(first.tags).toEqual(
        expect.arrayContaining(['pol-product-p', 'pol-plan-p', 'plangraph', `key-${key.key_hash}`, 'org-org-p', 'api-weather']),
      );
      expect(gw.analytics[0]).toMatchObject({ responsecode: 401, apikey: '00000000' });
      expect(gw.analytics.map((r) => r.responsecode)).toEqual([401, 403, 403, 200, 200, 200, 429, 200, 200, 403, 200, 401]);
    } finally {
      await gw.stop();
    }
  });
});
