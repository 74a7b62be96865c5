import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { TykTestServer } from './tyk/server';

/**
 * One credential for several products, end to end: an app requests access to two products under
 * one plan and gets ONE credential; its Tyk key opens both products' APIs (and no other), and the
 * requests to both count against the one quota the plan sells. Another organization's developer
 * can neither use the app nor see the credential.
 */
describe('one credential for several products', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const alice = developer();
  const mallory = developer();

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    return data[name];
  }

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start();
    fixtures = new Fixtures(platform.gatewayUrl, admin);
  });

  afterAll(async () => {
    await platform?.stop();
    await tyk?.stop();
  });

  it('issues one key that opens every requested product’s API and no other, under one quota', async () => {
    const registered = await mutate(
      'registerProvider',
      'RegisterProviderInput',
      'provider { id }',
      { name: unique('tyk'), kind: 'TYK_GATEWAY', baseUrl: tyk.url, secret: tyk.secret, tykOrgId: tyk.orgId, makeDefault: true },
      admin,
    );
    expect(registered.errors).toEqual([]);
    const providerId: string = registered.provider.id;
    const catalogId = await fixtures.catalog();
    const apis = [unique('maps'), unique('routes'), unique('traffic')];
    for (const apiId of apis) tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const products = [];
    for (const apiId of apis) products.push(await fixtures.product({ slug: unique(apiId), tykApiIds: [apiId], catalogIds: [catalogId] }));
    const planId = await fixtures.plan({
      name: unique('bundle'),
      catalogIds: [catalogId],
      quota: { requests: 10, period: 'HOUR' },
      rateLimit: null,
      autoApprove: true,
    });
    for (const subject of [{ planId }, ...products.map((productId) => ({ productId }))]) {
      const assigned = await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId }, admin);
      expect(assigned.errors).toEqual([]);
    }

    const organizationId = await fixtures.organization(alice.sub);
    const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('app') }, alice);
    const [maps, routes, traffic] = products;
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      'credential { id products { id } plan { id } } secret',
      { appId: app.app.id, planId, productIds: [maps, routes] },
      alice,
    );
    expect(access.errors).toEqual([]);
    const credentialId: string = access.credential.id;
    const secret: string = access.secret;
    expect(access.credential.products.map((p: { id: string }) => p.id).sort()).toEqual([maps, routes].sort());

    // The app holds exactly one credential, for both products.
    const held = await gql(
      `query($id: ID!) { app(id: $id) { credentials(first: 10) { totalCount edges { node { id products { id } } } } } }`,
      { id: app.app.id },
      alice,
    );
    expect(held.app.credentials.totalCount).toBe(1);
    expect(held.app.credentials.edges[0].node.id).toBe(credentialId);

    // The provider issues one key in Tyk, with access rights to both APIs.
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
    const session = tyk.keySession(keyHash) as { access_rights: Record<string, unknown>; quota_max: number };
    expect(Object.keys(session.access_rights).sort()).toEqual([apis[0], apis[1]].sort());
    expect(session.quota_max).toBe(10);

    const call = async (apiId: string) => {
      const response = await fetch(`${tyk.url}/${apiId}/anything`, { headers: { authorization: secret } });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await call(apis[0])).toBe(200);
    expect(await call(apis[1])).toBe(200);
    expect(await call(apis[1])).toBe(200);
    // Not requested: the key does not open the third product's API.
    expect(await call(apis[2])).toBe(403);
    // One quota for both products: three allowed requests, whichever API they went to.
    expect((tyk.keySession(keyHash) as { quota_remaining: number }).quota_remaining).toBe(7);

    // Another organization's developer cannot request access with the app, nor see the credential.
    await fixtures.organization(mallory.sub);
    const refused = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: RequestAccessInput!) { requestAccess(input: $i) { credential { id } errors { code field } } }`,
      { i: { appId: app.app.id, planId, productIds: [traffic] } },
      mallory,
    );
    const code = refused.errors?.[0]?.extensions?.code ?? refused.data?.requestAccess?.errors?.[0]?.code;
    expect(code).toBe('FORBIDDEN');
    const hidden = await gatewayRequest(
      platform.gatewayUrl,
      `query($id: ID!) { credential(id: $id) { id } }`,
      { id: credentialId },
      mallory,
    );
    expect(hidden.data?.credential ?? null).toBeNull();
  });
});
