import { createPublicKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { TykTestServer } from './tyk/server';
import { startOpenIdProvider, type TestOpenIdProvider } from './oidc/provider';

/**
 * OAuth2 clients through Dynamic Client Registration, end to end through the gateway, against a
 * real OpenID provider (oidc-provider, started by the suite): a portal admin names the provider's
 * identity provider and creates an OAUTH_CLIENT plan with a scope; an auto-approved access request
 * makes the platform register a client with the plan's scope (RFC 7591); a member reveals the
 * client secret once; the client gets a JWT access token with the client-credentials grant that
 * carries the plan's scope (and no other scope can be asked for); rotation registers a new client
 * and deletes the old one (RFC 7592); revocation deletes the client. The Tyk test server, whose
 * JWT API trusts the OpenID provider's signing key, gets the plan's scope mapped by the provider
 * (./scopes.e2e.test.ts) and applies the plan's quota to the client's token.
 */
describe('OAuth2 client credentials through Dynamic Client Registration', () => {
  // Registration, scope sync and deletion are background jobs: generous deadlines for loaded machines.
  jest.setTimeout(180_000);
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let op: TestOpenIdProvider;
  let fixtures: Fixtures;
  let db: pg.Client;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();
  const suffix = randomBytes(4).toString('hex');
  const goldScope = `weather:gold:${suffix}`;
  const otherScope = `weather:basic:${suffix}`;
  const ids: Record<string, string> = {};
  const apiId = unique('api-oauth');
  const jwtPolicyId = (planId: string) => `pg-jwt-${planId.replace(/-/g, '')}`;
  const callApi = async (accessToken: string) =>
    (await fetch(`${tyk.url}/${apiId}/forecast`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

  const gql = async (query: string, variables: Record<string, unknown>, identity: Identity | null) => {
    const r = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    return data[name];
  };

  /** The client-credentials grant at the OpenID provider's token endpoint. */
  async function token(clientId: string, secret: string, scope: string): Promise<{ status: number; body: any }> {
    const discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    });
    return { status: response.status, body: await response.json() };
  }

  /** Verifies a JWT access token with the provider's published keys (RS256) and returns its claims. */
  async function verified(accessToken: string): Promise<jwt.JwtPayload> {
    const discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
    const { keys } = await (await fetch(discovery.jwks_uri)).json();
    const kid = JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url').toString()).kid;
    const key = createPublicKey({ key: keys.find((k: any) => k.kid === kid), format: 'jwk' });
    return jwt.verify(accessToken, key.export({ type: 'spki', format: 'pem' }) as string, {
      algorithms: ['RS256'],
      issuer: op.issuer,
    }) as jwt.JwtPayload;
  }

  async function issuedClient(credentialId: string): Promise<{ clientId: string; secret: string }> {
    const credential = await waitFor(
      async () => {
        const data = await gql(
          `query($id: ID!) { credential(id: $id) { id kind clientId prefix secretRevealed } }`,
          { id: credentialId },
          dave,
        );
        return data.credential.clientId ? data.credential : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the client to be registered at the identity provider' },
    );
    expect(credential).toMatchObject({ kind: 'OAUTH_CLIENT', prefix: '', secretRevealed: false });
    const revealed = await mutate(
      'revealCredentialSecret',
      'RevealCredentialSecretInput',
      { id: credentialId },
      'secret credential { secretRevealed }',
      dave,
    );
    expect(revealed.errors).toEqual([]);
    expect(revealed.credential.secretRevealed).toBe(true);
    const again = await mutate('revealCredentialSecret', 'RevealCredentialSecretInput', { id: credentialId }, 'secret', dave);
    expect(again.errors[0].code).toBe('ALREADY_REVEALED');
    return { clientId: credential.clientId, secret: revealed.secret };
  }

  beforeAll(async () => {
    op = await startOpenIdProvider({ scopes: [goldScope, otherScope], initialAccessToken: `iat-${randomBytes(16).toString('hex')}` });
    platform = await startPlatform();
    // A Tyk JWT API (RS256) that trusts the identity provider's published signing key.
    const discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
    const { keys } = await (await fetch(discovery.jwks_uri)).json();
    const publicKey = createPublicKey({ key: keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    tyk = await TykTestServer.start({ apis: [{ apiId, listenPath: `/${apiId}/`, jwt: { signingMethod: 'rsa', source: publicKey } }] });
    fixtures = new Fixtures(platform.gatewayUrl, admin);
    db = new pg.Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    const registered = await mutate(
      'registerProvider',
      'RegisterProviderInput',
      { name: unique('tyk'), kind: 'TYK_GATEWAY', baseUrl: tyk.url, secret: tyk.secret, tykOrgId: tyk.orgId, makeDefault: true },
      'provider { id }',
      admin,
    );
    expect(registered.errors).toEqual([]);
    ids.provider = registered.provider.id;
    ids.catalog = await fixtures.catalog();
    ids.product = await fixtures.product({
      slug: unique('forecast'),
      name: unique('Forecast'),
      tykApiIds: [apiId],
      catalogIds: [ids.catalog],
    });
  });
  afterAll(async () => {
    await db?.end();
    await platform?.stop();
    await tyk?.stop();
    await op?.stop();
  });

  it('names an identity provider (portal admins with MFA; the token is stored encrypted and never returned)', async () => {
    const input = { providerId: ids.provider, issuer: `${op.issuer}/`, initialAccessToken: op.initialAccessToken };
    const withoutMfa = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: SetProviderIdentityProviderInput!) { setProviderIdentityProvider(input: $i) { errors { code } } }`,
      { i: input },
      portalAdmin(),
    );
    expect(JSON.stringify(withoutMfa)).toContain('MFA_REQUIRED');
    const bad = await mutate(
      'setProviderIdentityProvider',
      'SetProviderIdentityProviderInput',
      { ...input, issuer: 'ftp://nope' },
      'provider { id }',
      admin,
    );
    expect(bad.errors[0]).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.issuer' });
    const set = await mutate(
      'setProviderIdentityProvider',
      'SetProviderIdentityProviderInput',
      input,
      'provider { id identityProvider { issuer hasInitialAccessToken } }',
      admin,
    );
    expect(set.errors).toEqual([]);
    expect(set.provider.identityProvider).toEqual({ issuer: op.issuer, hasInitialAccessToken: true });
    const stored = await db.query(`select initial_access_token_encrypted as t from provider.identity_provider where provider_id = $1`, [
      ids.provider,
    ]);
    expect(stored.rows[0].t).toMatch(/^v1:/);
    expect(stored.rows[0].t).not.toContain(op.initialAccessToken);
  });

  it('refuses an OAUTH_CLIENT plan without scopes, and versions the setting', async () => {
    const refused = await mutate(
      'createPlan',
      'CreatePlanInput',
      { name: unique('oauth-noscope'), displayName: 'No scope', credentialKind: 'OAUTH_CLIENT', catalogIds: [ids.catalog] },
      'plan { id }',
      admin,
    );
    expect(refused.errors[0]).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.credentialKind' });
    const created = await mutate(
      'createPlan',
      'CreatePlanInput',
      {
        name: unique('gold-oauth'),
        displayName: 'Gold (OAuth2)',
        credentialKind: 'OAUTH_CLIENT',
        jwtScopes: [goldScope],
        catalogIds: [ids.catalog],
        status: 'PUBLISHED',
        autoApprove: true,
        quota: { requests: 2, period: 'DAY' },
      },
      'plan { id credentialKind jwtScopes }',
      admin,
    );
    expect(created.errors).toEqual([]);
    expect(created.plan).toMatchObject({ credentialKind: 'OAUTH_CLIENT', jwtScopes: [goldScope] });
    ids.plan = created.plan.id;
    const versions = await gql(
      `query($id: ID!) { planVersions(planId: $id, first: 5) { edges { node { settings { credentialKind } } } } }`,
      { id: ids.plan },
      admin,
    );
    expect(versions.planVersions.edges[0].node.settings.credentialKind).toBe('OAUTH_CLIENT');
    const published = await db.query(`select credential_kind from plans.plan_contract where id = $1`, [ids.plan]);
    expect(published.rows).toEqual([{ credential_kind: 'OAUTH_CLIENT' }]);
  });

  it('registers a client with the plan’s scope on approval; its JWT access token carries that scope', async () => {
    expect(
      (await mutate('registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dave' }, 'developer { subject }', dave)).errors,
    ).toEqual([]);
    ids.org = await fixtures.organization(dave.sub);
    ids.app = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: 'Weather bot' }, 'app { id }', dave)).app.id;
    const requested = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: ids.app, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { status } credential { id kind } secret',
      dave,
    );
    expect(requested.errors).toEqual([]);
    expect(requested.accessRequest.status).toBe('APPROVED');
    // The identity provider makes the secret: nothing to show yet; it is revealed once, later.
    expect(requested.secret).toBeNull();
    expect(requested.credential.kind).toBe('OAUTH_CLIENT');
    ids.credential = requested.credential.id;

    const client = await issuedClient(ids.credential);
    ids.clientId = client.clientId;
    const granted = await token(client.clientId, client.secret, goldScope);
    expect(granted.status).toBe(200);
    expect(granted.body.token_type).toBe('Bearer');
    const claims = await verified(granted.body.access_token);
    expect(claims.scope).toBe(goldScope);
    expect(claims.client_id).toBe(client.clientId);
    expect(claims.aud).toBe('https://api.plangraph.test');
    // The client was registered with the plan's scope only: another plan's scope is refused.
    const other = await token(client.clientId, client.secret, otherScope);
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });

    // Tyk applies the plan matching the token's scope: the plan's quota of 2 requests.
    await waitFor(() => tyk.scopeMapping(apiId)[goldScope] === jwtPolicyId(ids.plan), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the plan’s scope to be mapped in the Tyk API',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push(await callApi(granted.body.access_token));
    expect(statuses).toEqual([200, 200, 403]);

    // Nothing secret at rest: the client secret only as a hash, the registration token encrypted.
    const row = await db.query(`select secret_hash, reveal_secret_encrypted from developers.credential where id = $1`, [ids.credential]);
    expect(row.rows[0].reveal_secret_encrypted).toBeNull();
    expect(row.rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const stored = await db.query(
      `select row_to_json(c)::text as text, status, scope from provider.oauth_client c where credential_id = $1`,
      [ids.credential],
    );
    expect(stored.rows[0]).toMatchObject({ status: 'ACTIVE', scope: goldScope });
    expect(stored.rows[0].text).not.toContain(client.secret);
    const audits = await db.query(
      `select action, target_id, after::text as after from platform.audit_log where target_type = 'OAuthClient' and target_id = $1`,
      [client.clientId],
    );
    expect(audits.rows.map((r) => r.action)).toEqual(['oidc.registerClient']);
    expect(audits.rows[0].after).not.toContain(client.secret);
  });

  it('rotates to a new client and deletes the old one; revocation deletes the client', async () => {
    const old = await issuedClientOf(ids.credential);
    const rotated = await mutate(
      'rotateCredential',
      'RotateCredentialInput',
      { id: ids.credential, gracePeriodSeconds: 0 },
      'credential { id kind } secret',
      dave,
    );
    expect(rotated.errors).toEqual([]);
    expect(rotated.credential.kind).toBe('OAUTH_CLIENT');
    expect(rotated.secret).toBeNull();
    const next = await issuedClient(rotated.credential.id);
    expect(next.clientId).not.toBe(old);
    expect((await token(next.clientId, next.secret, goldScope)).status).toBe(200);
    await waitFor(
      async () =>
        (await db.query(`select status from provider.oauth_client where credential_id = $1`, [ids.credential])).rows[0]?.status ===
        'DELETED',
      { timeoutMs: 60_000, intervalMs: 200, what: 'the rotated-out client to be deleted at the identity provider' },
    );
    const revoked = await mutate('revokeCredential', 'RevokeCredentialInput', { id: rotated.credential.id }, 'credential { status }', dave);
    expect(revoked.credential.status).toBe('REVOKED');
    await waitFor(async () => (await token(next.clientId, next.secret, goldScope)).status === 401, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'the revoked client to stop getting tokens',
    });
    const deletes = await db.query(
      `select target_id from platform.audit_log where action = 'oidc.deleteClient' and target_id = any($1::text[])`,
      [[old, next.clientId]],
    );
    expect(deletes.rows.map((r) => r.target_id).sort()).toEqual([old, next.clientId].sort());
  });

  async function issuedClientOf(credentialId: string): Promise<string> {
    const data = await gql(`query($id: ID!) { credential(id: $id) { clientId } }`, { id: credentialId }, dave);
    return data.credential.clientId;
  }
});
