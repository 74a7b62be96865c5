// Apollo's development checks first: they must be on before @apollo/client loads.
import './helpers/apollo-dev';
import { format } from 'node:util';
import { ApolloClient, HttpLink, InMemoryCache, gql, type DocumentNode } from '@apollo/client';
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { TykTestServer } from './tyk/server';
import { typePolicies } from '../common/client/type-policies';

const PRODUCT_PAGE = gql`
  query ProductPage($slug: String!) {
    product(slug: $slug) {
      id
      slug
      name
      documentation {
        format
        markdown
        html
        url
      }
      availablePlans {
        id
        name
        displayName
        quota {
          unlimited
          requests
          period
          periodSeconds
        }
        rateLimit {
          unlimited
          requests
          perSeconds
        }
      }
    }
  }
`;
const PRODUCTS = gql`
  query Products($catalog: ID!) {
    products(filter: { catalogId: $catalog }) {
      edges {
        node {
          id
          name
          documentation {
            format
          }
          availablePlans {
            id
            name
            quota {
              requests
            }
            rateLimit {
              requests
            }
          }
        }
      }
    }
  }
`;
const PLAN = gql`
  query PlanDetail($id: ID!) {
    plan(id: $id) {
      id
      name
      displayName
      quota {
        unlimited
        requests
        period
        periodSeconds
      }
      rateLimit {
        unlimited
        requests
        perSeconds
      }
    }
  }
`;
const PLANS = gql`
  query Plans($catalog: ID!) {
    plans(filter: { catalogId: $catalog }) {
      totalCount
      edges {
        node {
          id
          name
          quota {
            unlimited
          }
          rateLimit {
            unlimited
          }
        }
      }
    }
  }
`;
const VIEWER_PROFILE = gql`
  query ViewerProfile {
    viewer {
      id
      subject
      email
    }
  }
`;
const VIEWER_ORGANIZATIONS = gql`
  query ViewerOrganizations {
    viewer {
      id
      isPortalAdmin
      memberships {
        role
        organization {
          id
          name
        }
      }
    }
  }
`;
const CREDENTIAL = gql`
  query CredentialDetail($id: ID!) {
    credential(id: $id) {
      id
      prefix
      status
      sync {
        status
        attempts
        lastAttemptAt
        syncedAt
        lastError
      }
    }
  }
`;
const APP_CREDENTIALS = gql`
  query AppCredentials($app: ID!) {
    app(id: $app) {
      id
      credentials {
        edges {
          node {
            id
            prefix
            sync {
              status
            }
          }
        }
      }
    }
  }
`;
const PROVIDER = gql`
  query ProviderDetail($id: ID!) {
    provider(id: $id) {
      id
      name
      health {
        status
        lastSuccessAt
        lastErrorAt
        lastError
      }
    }
  }
`;
const PROVIDERS = gql`
  query Providers {
    providers(first: 100) {
      edges {
        node {
          id
          name
          health {
            status
          }
        }
      }
    }
  }
`;

/**
 * Frontend clients against the gateway with their documented defaults: Apollo Client with an
 * `InMemoryCache` (plus the project's exported type policies for objects without an id) and
 * urql's default client (document cache, queries over GET).
 */
describe('frontend clients through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const dave = developer();
  const ids: Record<string, string> = {};
  let logged: string[] = [];

  const gql_ = async (query: string, variables: Record<string, unknown>, identity: Identity) => {
    const r = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const payload = (
      await gql_(`mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`, { i: input }, identity)
    )[name];
    if (payload.errors.length) throw new Error(`${name}: ${JSON.stringify(payload.errors)}`);
    return payload;
  };

  beforeAll(async () => {
    platform = await startPlatform();
    tyk = await TykTestServer.start();
    const fixtures = new Fixtures(platform.gatewayUrl, admin);
    ids.provider = await fixtures.provider(tyk, { makeDefault: false });
    ids.catalog = await fixtures.catalog();
    ids.slug = unique('weather');
    ids.product = await fixtures.product({ slug: ids.slug, catalogIds: [ids.catalog] });
    await mutate(
      'updateProduct',
      'UpdateProductInput',
      { id: ids.product, documentation: { format: 'MARKDOWN', markdown: '# Weather\n\nForecasts by the hour.' } },
      'product { id }',
      admin,
    );
    ids.plan = await fixtures.plan({ catalogIds: [ids.catalog], autoApprove: true });
    ids.otherPlan = await fixtures.plan({ catalogIds: [ids.catalog], tier: 2 });

    // Dave's organization, app and a credential under the auto-approved plan.
    await mutate('registerDeveloper', 'RegisterDeveloperInput', { displayName: 'Dave' }, 'developer { subject }', dave);
    ids.org = (
      await mutate(
        'requestOrganization',
        'RequestOrganizationInput',
        { name: unique('Dave Co'), slug: unique('dave') },
        'organization { id }',
        dave,
      )
    ).organization.id;
    await mutate('approveOrganization', 'ApproveOrganizationInput', { id: ids.org }, 'organization { id }', admin);
    ids.app = (await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: 'Weather app' }, 'app { id }', dave)).app.id;
    const access = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: ids.app, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { credential { id } }',
      dave,
    );
    ids.credential = access.accessRequest.credential.id;
  });
  afterAll(async () => {
    await platform?.stop();
    await tyk?.stop();
  });

  beforeEach(() => {
    logged = [];
    for (const level of ['warn', 'error'] as const) {
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(`console.${level}: ${format(...args)}`);
      });
    }
  });
  afterEach(() => jest.restoreAllMocks());

  function apollo(identity: Identity, cache: InMemoryCache) {
    return new ApolloClient({
      cache,
      link: new HttpLink({ uri: platform.gatewayUrl, headers: { authorization: `Bearer ${tokenFor(identity)}` } }),
    });
  }

  /** Runs `detail`, then `list` from the network (a refetch), and reads `detail` back from the cache. */
  async function detailThenList(
    client: ApolloClient,
    detail: DocumentNode,
    detailVariables: Record<string, unknown>,
    list: DocumentNode,
    listVariables: Record<string, unknown> = {},
  ): Promise<{ fetched: any; cached: any }> {
    const first = await client.query({ query: detail, variables: detailVariables });
    expect(first.error).toBeUndefined();
    await client.query({ query: list, variables: listVariables, fetchPolicy: 'network-only' });
    return { fetched: first.data, cached: client.readQuery({ query: detail, variables: detailVariables }) };
  }

  describe('Apollo Client (InMemoryCache with the exported typePolicies, HttpLink)', () => {
    it('runs a portal’s catalogue, account and admin queries without a cache warning, and answers earlier queries from the cache', async () => {
      const portal = apollo(dave, new InMemoryCache({ typePolicies }));

      // Catalogue: a product page, then the product list with fewer fields of the same objects.
      const product = await detailThenList(portal, PRODUCT_PAGE, { slug: ids.slug }, PRODUCTS, { catalog: ids.catalog });
      expect(product.fetched.product).toMatchObject({
        id: ids.product,
        documentation: { format: 'MARKDOWN', markdown: expect.stringContaining('Forecasts'), html: expect.stringContaining('<h1>') },
      });
      expect(product.fetched.product.availablePlans.map((p: { id: string }) => p.id).sort()).toEqual([ids.plan, ids.otherPlan].sort());
      expect(product.fetched.product.availablePlans[0].quota).toEqual({
        __typename: 'UsageQuota',
        unlimited: false,
        requests: 1000,
        period: 'DAY',
        periodSeconds: 86400,
      });
      expect(product.cached).toEqual(product.fetched);

      // Plans: the list, one plan, the list again from the network; the plan is still whole in the cache.
      const plans = await portal.query({ query: PLANS, variables: { catalog: ids.catalog } });
      expect((plans.data as any).plans.totalCount).toBe(2);
      const plan = await detailThenList(portal, PLAN, { id: ids.plan }, PLANS, { catalog: ids.catalog });
      expect(plan.fetched.plan.rateLimit).toEqual({ __typename: 'RateLimit', unlimited: false, requests: 10, perSeconds: 1 });
      expect(plan.cached).toEqual(plan.fetched);

      // The caller, twice with different selections: one normalised Viewer.
      const viewer = await detailThenList(portal, VIEWER_PROFILE, {}, VIEWER_ORGANIZATIONS);
      expect(viewer.fetched.viewer).toEqual({ __typename: 'Viewer', id: dave.sub, subject: dave.sub, email: dave.email });
      expect(viewer.cached).toEqual(viewer.fetched);
      expect((portal.cache.extract() as Record<string, unknown>)[`Viewer:${dave.sub}`]).toMatchObject({
        subject: dave.sub,
        isPortalAdmin: false,
        memberships: [expect.objectContaining({ role: 'ORG_ADMIN' })],
      });

      // A credential with its sync state, then the app's credential list.
      const credential = await detailThenList(portal, CREDENTIAL, { id: ids.credential }, APP_CREDENTIALS, { app: ids.app });
      expect(credential.fetched.credential).toMatchObject({
        id: ids.credential,
        sync: { status: expect.any(String), attempts: expect.any(Number) },
      });
      expect(credential.cached).toEqual(credential.fetched);

      // A portal admin's provider page, then the provider list.
      const adminConsole = apollo(admin, new InMemoryCache({ typePolicies }));
      const provider = await detailThenList(adminConsole, PROVIDER, { id: ids.provider }, PROVIDERS);
      expect(provider.fetched.provider).toMatchObject({ id: ids.provider, health: { status: expect.any(String) } });
      expect(provider.cached).toEqual(provider.fetched);

      expect(logged).toEqual([]);
    });

    it('needs the type policies only for objects without an id: with a bare InMemoryCache the viewer is fine, a plan’s quota is lost', async () => {
      const bare = apollo(dave, new InMemoryCache());
      const viewer = await detailThenList(bare, VIEWER_PROFILE, {}, VIEWER_ORGANIZATIONS);
      expect(viewer.cached).toEqual(viewer.fetched);
      expect(logged).toEqual([]);

      const plan = await detailThenList(bare, PLAN, { id: ids.plan }, PLANS, { catalog: ids.catalog });
      expect(plan.fetched.plan.quota.requests).toBe(1000);
      expect(plan.cached).toBeNull();
      expect(logged.join('\n')).toMatch(/Cache data may be lost when replacing the quota field of a Plan object/);
    });
  });

  describe('urql (default client: document cache, queries over GET)', () => {
    function urql(identity?: Identity) {
      const methods: string[] = [];
      const client = new Client({
        url: platform.gatewayUrl,
        exchanges: [cacheExchange, fetchExchange],
        ...(identity ? { fetchOptions: { headers: { authorization: `Bearer ${tokenFor(identity)}` } } } : {}),
        // Only records the method; the request is the one urql builds.
        fetch: (input, init) => {
          methods.push(init?.method ?? 'GET');
          return fetch(input, init);
        },
      });
      return { client, methods };
    }

    it('queries over GET without any CSRF header, anonymously and signed in', async () => {
      const anonymous = urql();
      const catalogue = await anonymous.client.query(PRODUCTS, { catalog: ids.catalog }).toPromise();
      expect(catalogue.error).toBeUndefined();
      expect(catalogue.data.products.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([ids.product]);
      expect(anonymous.methods).toEqual(['GET']);

      const signedIn = urql(dave);
      const me = await signedIn.client.query(VIEWER_PROFILE, {}).toPromise();
      expect(me.error).toBeUndefined();
      expect(me.data.viewer).toMatchObject({ id: dave.sub, subject: dave.sub });
      expect(signedIn.methods).toEqual(['GET']);
    });

    it('sends mutations as JSON POST, which passes CSRF prevention', async () => {
      const newcomer = developer();
      const { client, methods } = urql(newcomer);
      const registered = await client
        .mutation(
          gql`
            mutation Register($i: RegisterDeveloperInput!) {
              registerDeveloper(input: $i) {
                developer {
                  subject
                }
                errors {
                  code
                }
              }
            }
          `,
          { i: { displayName: 'New' } },
        )
        .toPromise();
      expect(registered.error).toBeUndefined();
      expect(registered.data.registerDeveloper).toEqual({
        __typename: 'RegisterDeveloperPayload',
        developer: { __typename: 'Developer', subject: newcomer.sub },
        errors: [],
      });
      expect(methods).toEqual(['POST']);
    });

    it('gets stable codes for bad input over GET', async () => {
      const { client, methods } = urql(dave);
      const bad = await client
        .query(
          gql`
            query Page($first: Int) {
              plans(first: $first) {
                totalCount
              }
            }
          `,
          { first: 2.5 },
        )
        .toPromise();
      expect(methods).toEqual(['GET']);
      expect(bad.error?.graphQLErrors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
    });

    it('still refuses a mutation over GET, and a form POST without the CSRF header', async () => {
      const victim = developer();
      const mutation = 'mutation { registerDeveloper(input: { displayName: "Forged" }) { errors { code } } }';
      const overGet = await fetch(`${platform.gatewayUrl}?query=${encodeURIComponent(mutation)}`, {
        headers: { authorization: `Bearer ${tokenFor(victim)}` },
      });
      expect(overGet.status).toBe(405);
      expect(((await overGet.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_REQUEST');

      const form = await fetch(platform.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${tokenFor(victim)}` },
        body: new URLSearchParams({ query: mutation }).toString(),
      });
      expect(form.status).toBe(403);
      expect(((await form.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]).toMatchObject({
        message: expect.stringContaining('`x-graphql-csrf` header'),
        extensions: { code: 'CSRF_REFUSED' },
      });

      const after = await gatewayRequest(platform.gatewayUrl, '{ viewer { developer { subject } } }', {}, victim);
      expect(after.data.viewer.developer).toBeNull();
    });
  });
});
