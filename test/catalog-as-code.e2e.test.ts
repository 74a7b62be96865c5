/**
 * Catalogue as code (`npm run plangraph`, docs/CATALOG-AS-CODE.md) between two independent
 * platforms, each with its own database and gateway: A as a team builds it by hand, B fresh and
 * with PLAN_CHANGE_APPROVAL=required (as production would run). The catalogue exported from A
 * applies to B; then diff finds nothing, export round-trips byte for byte and a second apply
 * changes nothing (decK's proof); objects made by hand survive; a governed plan change becomes a
 * change request; bad files are refused with their lines, a developer's token is refused, and a
 * dry run writes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../scripts/plangraph-cli';
import { canonicalCatalog, canonicalCatalogue, formatCatalogue, parseCatalogue } from '../scripts/catalog/file';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { createSuiteDatabase, suiteDatabaseName } from './helpers/suite-database';
import { Seed } from './kit/seed';

jest.setTimeout(120_000);

let a: TestPlatform;
let b: TestPlatform;
const adminA = portalAdmin('catalog-admin-a');
const adminB = portalAdmin('catalog-admin-b');
const approver = portalAdmin('catalog-approver-b');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plangraph-catalog-'));
const file = path.join(dir, 'catalog.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(platform: TestPlatform, who: Identity, ...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const token = tokenFor(who);
  const code = await main(
    argv,
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    { PLANGRAPH_URL: platform.gatewayUrl, PLANGRAPH_TOKEN: token },
  );
  expect(stdout + stderr).not.toContain(token);
  return { code, stdout, stderr };
}

async function gql(platform: TestPlatform, who: Identity, query: string, variables: Record<string, unknown> = {}) {
  const response = await gatewayRequest(platform.gatewayUrl, query, variables, who);
  if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
  return response.data;
}

async function mutate(platform: TestPlatform, who: Identity, name: string, type: string, input: unknown, selection: string) {
  const data = await gql(platform, who, `mutation($i: ${type}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`, {
    i: input,
  });
  expect(data[name].errors).toEqual([]);
  return data[name];
}

/** An organization `acme` with a team `ops`, the same on both platforms (organizations are not part of the catalogue). */
async function organization(platform: TestPlatform): Promise<{ orgId: string; teamId: string }> {
  const owner = developer(`acme-owner-${platform === a ? 'a' : 'b'}`);
  const orgId = await new Seed(platform.gatewayUrl, platform === a ? adminA : adminB).organization(owner.sub, {
    slug: 'acme',
    name: 'Acme',
  });
  const team = await mutate(platform, owner, 'createTeam', 'CreateTeamInput', { organizationId: orgId, name: 'ops' }, 'team { id }');
  return { orgId, teamId: team.team.id };
}

const PRODUCTS = `query { products(first: 100, filter: { status: [DRAFT, PUBLISHED, ARCHIVED] }) { edges { node { slug status managedBy } } } }`;
const PLANS = `query { plans(first: 100, filter: { status: [DRAFT, PUBLISHED, ARCHIVED] }) { edges { node { id key name displayName status managedBy quota { requests } version } } } }`;
const REQUESTS = `query { planChangeRequests(first: 100, status: PENDING) { edges { node { id planId status changes { field } } } } }`;

const products = async (p: TestPlatform) =>
  (await gql(p, p === a ? adminA : adminB, PRODUCTS)).products.edges.map((e: { node: unknown }) => e.node) as {
    slug: string;
    status: string;
    managedBy: string | null;
  }[];
const plans = async (p: TestPlatform) =>
  (await gql(p, p === a ? adminA : adminB, PLANS)).plans.edges.map((e: { node: unknown }) => e.node) as {
    id: string;
    key: string | null;
    name: string;
    displayName: string;
    status: string;
    quota: { requests: number | null };
    version: number;
  }[];
const pending = async () =>
  (await gql(b, approver, REQUESTS)).planChangeRequests.edges.map((e: { node: unknown }) => e.node) as {
    id: string;
    planId: string;
    changes: { field: string }[];
  }[];

beforeAll(async () => {
  a = await startPlatform();
  b = await startPlatform({
    databaseUrl: await createSuiteDatabase(suiteDatabaseName()),
    envOf: { plans: { PLAN_CHANGE_APPROVAL: 'required' } },
  });
  const { orgId, teamId } = await organization(a);
  await organization(b);

  // A's catalogue, made by hand: no keys, no labels (the export derives keys from names).
  const seed = new Seed(a.gatewayUrl, adminA);
  const payments = await mutate(
    a,
    adminA,
    'createProduct',
    'CreateProductInput',
    {
      slug: 'payments',
      name: 'Payments',
      displayName: 'Payments API',
      description: 'Take **payments**.\nSecond line.',
      status: 'PUBLISHED',
      tykApiIds: ['pay-v2', 'pay-v1'],
      tags: ['money', 'core'],
      customFields: [
        { key: 'owner', value: 'team-pay' },
        { key: 'sla', value: '99.9' },
      ],
      documentation: { format: 'MARKDOWN', markdown: '# Payments\n\nUse it.' },
    },
    'product { id }',
  );
  const weather = await mutate(
    a,
    adminA,
    'createProduct',
    'CreateProductInput',
    {
      slug: 'weather',
      name: 'Weather',
      status: 'DRAFT',
      documentation: { format: 'URL', url: 'https://docs.example.com/weather' },
    },
    'product { id }',
  );
  const publicCatalog = await seed.catalog({ name: 'Public APIs', productIds: [payments.product.id, weather.product.id] });
  const partners = await mutate(
    a,
    adminA,
    'createCatalog',
    'CreateCatalogInput',
    {
      key: 'partners',
      name: 'Partners',
      description: 'For partners only.',
      visibility: 'PRIVATE',
      audience: { organizationIds: [orgId], teamIds: [teamId] },
      productIds: [payments.product.id],
    },
    'catalog { id }',
  );
  await mutate(
    a,
    adminA,
    'createPlan',
    'CreatePlanInput',
    {
      key: 'gold',
      name: 'payments-gold',
      displayName: 'Gold',
      description: 'Everything, fast.',
      status: 'PUBLISHED',
      catalogIds: [partners.catalog.id, publicCatalog],
      quota: { requests: 50000, period: 'CUSTOM', periodSeconds: 7200 },
      rateLimit: { requests: 20, perSeconds: 2 },
      quotaScope: 'APP',
      keyExpiresAfterSeconds: 86400,
      jwtScopes: ['payments.write', 'payments.read'],
      credentialMetadata: [
        { key: 'tier', value: 'gold' },
        { key: 'region', value: 'eu' },
      ],
      autoApprove: true,
      accessRequestLimit: { allowance: 3, renewalSeconds: 86400 },
      tier: 3,
      trialDays: 14,
      endpointRules: [{ productId: payments.product.id, allow: [{ path: '/charges/{id}', methods: ['POST', 'GET'] }] }],
      boostAllowance: { maxExtraQuotaPercent: 50, maxExtraRatePercent: 0, maxDurationSeconds: 86400, maxBoosts: 2, windowSeconds: 2592000 },
    },
    'plan { id }',
  );
  await seed.plan({ name: 'Free tier', displayName: 'Free', catalogIds: [publicCatalog], status: 'DRAFT', rateLimit: null, tier: 0 });
  // Retired objects are not part of the catalogue.
  const old = await seed.plan({ name: 'old-plan', catalogIds: [publicCatalog] });
  await seed.archivePlan(old);
  const gone = await seed.product({ slug: 'gone' });
  await mutate(a, adminA, 'archiveProduct', 'ArchiveProductInput', { id: gone }, 'product { id }');
}, 180_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a catalogue exported from one platform applies to a fresh one', () => {
  let exported = '';

  test('export writes every product, catalog and plan in a stable canonical form', async () => {
    const first = await cli(a, adminA, 'export');
    expect(first).toMatchObject({ code: 0 });
    exported = first.stdout;
    expect(exported.split('\n')[0]).toBe('# yaml-language-server: $schema=./schema/catalog.schema.json');
    // Keys derived for what was made without one, and said so.
    expect(first.stderr).toContain('catalog `Public APIs` → key `public-apis`');
    expect(first.stderr).toContain('plan `Free tier` → key `free-tier`');
    expect(exported).toContain('  - key: public-apis\n');
    expect(exported).toContain('  - key: free-tier\n');
    // Every plan option, audiences by slug, references by slug and key, sets sorted.
    expect(exported).toContain(
      [
        '  - key: gold',
        '    name: payments-gold',
        '    displayName: Gold',
        '    description: Everything, fast.',
        '    status: PUBLISHED',
        '    catalogs:',
        '      - partners',
        '      - public-apis',
        '    quota:',
        '      requests: 50000',
        '      period: CUSTOM',
        '      periodSeconds: 7200',
        '    rateLimit:',
        '      requests: 20',
        '      perSeconds: 2',
        '    quotaScope: APP',
        '    keyExpiresAfterSeconds: 86400',
        '    jwtScopes:',
        '      - payments.write',
        '      - payments.read',
        '    credentialKind: API_KEY',
        '    credentialMetadata:',
        '      - key: tier',
        '        value: gold',
        '      - key: region',
        '        value: eu',
        '    autoApprove: true',
        '    accessRequestLimit:',
        '      allowance: 3',
        '      renewalSeconds: 86400',
        '    tier: 3',
        '    trialDays: 14',
        '    endpointRules:',
        '      - product: payments',
        '        allow:',
        '          - path: /charges/{id}',
        '            methods:',
        '              - GET',
        '              - POST',
        '        allowedTypes: []',
        '        restrictedTypes: []',
        '    boostAllowance:',
        '      maxExtraQuotaPercent: 50',
        '      maxExtraRatePercent: 0',
        '      maxDurationSeconds: 86400',
        '      maxBoosts: 2',
        '      windowSeconds: 2592000',
      ].join('\n'),
    );
    expect(exported).toContain(
      ['    audience:', '      organizations:', '        - acme', '      teams:', '        - acme/ops'].join('\n'),
    );
    expect(exported).toContain(['    tykApiIds:', '      - pay-v1', '      - pay-v2'].join('\n'));
    expect(exported).not.toMatch(/old-plan|slug: gone/);
    // Same platform, same bytes.
    expect((await cli(a, adminA, 'export')).stdout).toBe(exported);
    fs.writeFileSync(file, exported);
    expect(await cli(a, adminA, 'validate', file)).toMatchObject({ code: 0 });
  });

  test('a dry run on B prints what apply would do and writes nothing', async () => {
    const run = await cli(b, adminB, 'apply', file, '--dry-run');
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('+ product payments\n');
    expect(run.stdout).toContain('+ plan gold\n');
    expect(run.stdout).toContain('dry run, nothing written: would have created 6, updated 0, deleted 0');
    expect(await products(b)).toEqual([]);
    expect(await plans(b)).toEqual([]);
  });

  test('a developer’s token is refused and nothing is written', async () => {
    const run = await cli(b, developer('catalog-dev'), 'apply', file);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: FORBIDDEN: /m);
    expect(await products(b)).toEqual([]);
  });

  test('apply to B, a governed publication becomes a proposal; once approved, diff is 0/0/0, export is byte for byte the file, a second apply changes nothing', async () => {
    const run = await cli(b, adminB, 'apply', file);
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({ code: 0 });
    // B needs a second admin to publish a plan: gold is created as DRAFT and its publication proposed.
    expect(run.stdout).toMatch(/^\? plan gold: status proposed as change request [0-9a-f-]{36} \(needs a second portal admin\)$/m);
    expect(run.stdout).toContain('created 6, updated 0, deleted 0, proposed 1');
    const diff = await cli(b, adminB, 'diff', file);
    expect(diff).toMatchObject({ code: 1, stdout: '~ plan gold: status\ncreated 0, updated 1, deleted 0\n' });

    const [request] = await pending();
    await mutate(b, approver, 'approvePlanChange', 'ApprovePlanChangeInput', { id: request!.id }, 'plan { id }');

    expect(await cli(b, adminB, 'diff', file)).toEqual({ code: 0, stdout: 'created 0, updated 0, deleted 0\n', stderr: '' });
    expect((await cli(b, adminB, 'export')).stdout).toBe(exported);
    const again = await cli(b, adminB, 'apply', file);
    expect(again).toEqual({ code: 0, stdout: 'created 0, updated 0, deleted 0, proposed 0\n', stderr: '' });
    expect((await products(b)).map((p) => p.managedBy)).toEqual(['plangraph-cli', 'plangraph-cli']);
    // Applying A's own export back to A adopts what was made by hand (keys and labels), nothing else.
    const back = await cli(a, adminA, 'apply', file);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('created 0, updated 6, deleted 0, proposed 0');
    expect(back.stdout).toContain('~ plan free-tier: key, managedBy');
    expect((await cli(a, adminA, 'export')).stdout).toBe(exported);
  });

  test('a hand-made product survives apply; a managed one left out of the file is archived', async () => {
    await mutate(b, adminB, 'createProduct', 'CreateProductInput', { slug: 'made-by-hand', name: 'By hand' }, 'product { id }');
    const withoutWeather = exported
      .replace(/ {2}- slug: weather\n( {4}.*\n)*/, '')
      .replace('        - weather\n', '')
      .replace('      - weather\n', '');
    expect(withoutWeather).not.toContain('weather');
    fs.writeFileSync(file, withoutWeather);
    const run = await cli(b, adminB, 'apply', file);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toBe('~ catalog public-apis: products\n- product weather (archived)\ncreated 0, updated 1, deleted 1, proposed 0\n');
    const after = await products(b);
    expect(after).toContainEqual({ slug: 'made-by-hand', status: 'DRAFT', managedBy: null });
    expect(after).toContainEqual({ slug: 'weather', status: 'ARCHIVED', managedBy: 'plangraph-cli' });
    expect(await cli(b, adminB, 'diff', file)).toEqual({ code: 0, stdout: 'created 0, updated 0, deleted 0\n', stderr: '' });
  });

  test('a managed catalog left out of the file is deleted; one a plan is still in (its change awaiting approval) is kept for a later apply', async () => {
    const base = parseCatalogue(fs.readFileSync(file, 'utf8'));
    // A catalog of the file's own, then gone from the file: deleted.
    const extra = canonicalCatalog({ key: 'extra', name: 'Extra', visibility: 'PUBLIC', products: ['payments'] });
    fs.writeFileSync(file, formatCatalogue(canonicalCatalogue({ ...base, catalogs: [...base.catalogs, extra] })));
    expect((await cli(b, adminB, 'apply', file)).stdout).toBe('+ catalog extra\ncreated 1, updated 0, deleted 0, proposed 0\n');
    fs.writeFileSync(file, formatCatalogue(base));
    expect(await cli(b, adminB, 'diff', file)).toEqual({
      code: 1,
      stdout: '- catalog extra (deleted)\ncreated 0, updated 0, deleted 1\n',
      stderr: '',
    });
    expect((await cli(b, adminB, 'apply', file)).stdout).toBe('- catalog extra (deleted)\ncreated 0, updated 0, deleted 1, proposed 0\n');
    const catalogs = async () =>
      (await gql(b, adminB, `{ catalogs(first: 50) { edges { node { key name } } } }`)).catalogs.edges.map((e: any) => e.node.key);
    expect(await catalogs()).not.toContain('extra');
    expect(await cli(b, adminB, 'diff', file)).toEqual({ code: 0, stdout: 'created 0, updated 0, deleted 0\n', stderr: '' });

    // `partners` out of the file: plan gold leaves it only once a second admin approves, so the catalog stays until then.
    const withoutPartners = canonicalCatalogue({
      ...base,
      catalogs: base.catalogs.filter((c) => c.key !== 'partners'),
      plans: base.plans.map((plan) => ({ ...plan, catalogs: plan.catalogs.filter((key) => key !== 'partners') })),
    });
    fs.writeFileSync(file, formatCatalogue(withoutPartners));
    const run = await cli(b, adminB, 'apply', file);
    expect(run.code).toBe(0);
    const request = run.stdout.match(/^\? plan gold: catalogs proposed as change request ([0-9a-f-]{36})/m)?.[1];
    expect(request).toBeDefined();
    expect(run.stdout).toContain('created 0, updated 0, deleted 0, proposed 1');
    expect(run.stderr).toMatch(/note: catalog partners is kept for now: .*CATALOG_IN_USE.*Plans are in this catalog \(`payments-gold`\)/);
    expect(await catalogs()).toContain('partners');
    // Back to the file as it was, and the proposal rejected, for the tests that follow.
    await mutate(b, approver, 'rejectPlanChange', 'RejectPlanChangeInput', { id: request, reason: 'kept' }, 'changeRequest { id }');
    fs.writeFileSync(file, formatCatalogue(base));
  });

  test('a change of a governed setting becomes one change request, proposed once however often apply runs', async () => {
    const changed = fs
      .readFileSync(file, 'utf8')
      .replace('      requests: 50000\n', '      requests: 60000\n')
      .replace('displayName: Gold', 'displayName: Gold+');
    fs.writeFileSync(file, changed);
    const before = (await plans(b)).find((p) => p.key === 'gold')!;
    const run = await cli(b, adminB, 'apply', file);
    expect(run).toMatchObject({ code: 0 });
    const id = run.stdout.match(/^\? plan gold: displayName, quota proposed as change request ([0-9a-f-]{36})/m)?.[1];
    expect(id).toBeDefined();
    expect(run.stdout).toContain('created 0, updated 0, deleted 0, proposed 1');
    // Nothing changed yet: a second portal admin decides.
    expect((await plans(b)).find((p) => p.key === 'gold')).toEqual(before);
    const again = await cli(b, adminB, 'apply', file);
    expect(again.stdout).toContain(`proposed as change request ${id} `);
    const requests = (await pending()).filter((r) => r.planId === before.id);
    expect(requests.map((r) => r.id)).toEqual([id]);
    expect(requests[0]!.changes.map((c) => c.field).sort()).toEqual(['displayName', 'quota']);
    const diff = await cli(b, adminB, 'diff', file);
    expect(diff.stdout).toBe('~ plan gold: displayName, quota\ncreated 0, updated 1, deleted 0\n');
    expect(diff.stderr).toContain(`note: plan gold: change request ${id} (`);
    expect(diff.stderr).toContain(') awaits a second portal admin');
  });
});

describe('keys and labels in the API', () => {
  const ERRORS = 'errors { code field message }';

  test('keys are validated and unique; a clash is a typed error and writes nothing', async () => {
    const bad = await gql(
      b,
      adminB,
      `mutation { createCatalog(input: { name: "x1", visibility: PUBLIC, key: "Not A Key" }) { catalog { id } ${ERRORS} } }`,
    );
    expect(bad.createCatalog).toMatchObject({ catalog: null, errors: [{ code: 'VALIDATION_FAILED', field: 'input.key' }] });
    const taken = await gql(
      b,
      adminB,
      `mutation { createCatalog(input: { name: "x2", visibility: PUBLIC, key: "partners" }) { catalog { id } ${ERRORS} } }`,
    );
    expect(taken.createCatalog).toMatchObject({ catalog: null, errors: [{ code: 'ALREADY_EXISTS', field: 'input.key' }] });
    const plan = await gql(
      b,
      adminB,
      `mutation { createPlan(input: { name: "x3", displayName: "x3", key: "gold" }) { plan { id } ${ERRORS} } }`,
    );
    expect(plan.createPlan).toMatchObject({ plan: null, errors: [{ code: 'ALREADY_EXISTS', field: 'input.key' }] });
    const label = await gql(
      b,
      adminB,
      `mutation { createProduct(input: { slug: "x4", name: "x4", managedBy: "-" }) { product { id } ${ERRORS} } }`,
    );
    expect(label.createProduct).toMatchObject({ product: null, errors: [{ code: 'VALIDATION_FAILED', field: 'input.managedBy' }] });
    const names = (await gql(b, adminB, '{ catalogs(first: 100) { edges { node { name } } } }')).catalogs.edges.map(
      (e: { node: { name: string } }) => e.node.name,
    );
    expect(names).not.toContain('x1');
    expect(names).not.toContain('x2');
  });

  test('lookups by key keep the visibility rules: a private catalog or a draft plan is found by portal admins only', async () => {
    const count = async (who: Identity | null, query: string) => {
      const response = await gatewayRequest(b.gatewayUrl, query, {}, who);
      expect(response.errors).toBeUndefined();
      return Object.values(response.data as Record<string, { totalCount: number }>)[0]!.totalCount;
    };
    const catalog = (key: string) => `{ catalogs(filter: { key: "${key}" }) { totalCount } }`;
    const plan = (key: string) => `{ plans(filter: { key: "${key}" }) { totalCount } }`;
    const outsider = developer('catalog-outsider');
    expect(await count(adminB, catalog('partners'))).toBe(1);
    expect(await count(null, catalog('partners'))).toBe(0);
    expect(await count(outsider, catalog('partners'))).toBe(0);
    expect(await count(null, catalog('public-apis'))).toBe(1);
    expect(await count(adminB, plan('free-tier'))).toBe(1);
    expect(await count(outsider, plan('free-tier'))).toBe(0);
    expect(await count(outsider, plan('gold'))).toBe(1);
    const long = await gatewayRequest(b.gatewayUrl, plan('k'.repeat(65)), {}, adminB);
    expect(long.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('labels are not plan settings: changing them records no version and needs no second admin', async () => {
    const gold = (await plans(b)).find((p) => p.key === 'gold')!;
    const PLAN = 'plan { key managedBy version }';
    const cleared = await mutate(b, adminB, 'updatePlan', 'UpdatePlanInput', { id: gold.id, managedBy: '', key: 'gold-2' }, PLAN);
    expect(cleared.plan).toEqual({ key: 'gold-2', managedBy: null, version: gold.version });
    const back = await mutate(b, adminB, 'updatePlan', 'UpdatePlanInput', { id: gold.id, managedBy: 'plangraph-cli', key: 'gold' }, PLAN);
    expect(back.plan).toEqual({ key: 'gold', managedBy: 'plangraph-cli', version: gold.version });
  });
});

describe('bad files and bad usage', () => {
  const write = (name: string, text: string) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, text);
    return target;
  };

  test('schema errors name their line and column; nothing is read from the platform', async () => {
    const bad = write(
      'bad.yaml',
      [
        'version: 1',
        'products:',
        '  - slug: Payments',
        '    name: Payments',
        'plans:',
        '  - key: gold',
        '    name: gold',
        '    quota: { requests: 0, period: DAY }',
        '    colour: blue',
        '    quotaScope: TEAM',
        '',
      ].join('\n'),
    );
    const run = await cli(b, adminB, 'diff', bad);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${bad}:3:11: products[0].slug: must match pattern`);
    expect(run.stderr).toContain(`${bad}:8:24: plans[0].quota.requests: must be >= 1`);
    expect(run.stderr).toContain(`${bad}:9:13: plans[0].colour: unknown setting \`colour\``);
    expect(run.stderr).toContain(`${bad}:10:17: plans[0].quotaScope: must be one of "CREDENTIAL", "APP", "ORGANIZATION"`);
    expect(run.stderr).toContain('nothing was done');
  });

  test('references, duplicates and YAML syntax are checked with their lines', async () => {
    const refs = write(
      'refs.yaml',
      [
        'version: 1',
        'catalogs:',
        '  - key: shop',
        '    name: Shop',
        '    visibility: PUBLIC',
        '    products: [nothing-here]',
        'plans:',
        '  - key: gold',
        '    name: gold',
        '    catalogs: [elsewhere]',
        '  - key: gold',
        '    name: gold2',
        '',
      ].join('\n'),
    );
    const run = await cli(b, adminB, 'apply', refs);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${refs}:6:16: catalogs[0].products[0]: no product of this file has the slug \`nothing-here\``);
    expect(run.stderr).toContain(`${refs}:10:16: plans[0].catalogs[0]: no catalog of this file has the key \`elsewhere\``);
    expect(run.stderr).toContain(`${refs}:11:10: plans[1].key: the key \`gold\` is used twice (first by plans[0])`);

    const syntax = write('syntax.yaml', 'version: 1\nproducts:\n  - slug: a\n   name: b\n');
    const broken = await cli(b, adminB, 'diff', syntax);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: `, 'm'));

    const banner = write('banner.yaml', `\n> plangraph@0.1.0 plangraph\n> node dist/scripts/plangraph-cli.js export\n\n${exportedHeader}`);
    const npm = await cli(b, adminB, 'diff', banner);
    expect(npm.code).toBe(1);
    expect(npm.stderr).toContain('starts with npm’s script banner'.replace('’', "'"));
  });

  test('usage and configuration errors exit 2', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined };
    expect(await main([], io, {})).toBe(2);
    expect(await main(['frobnicate'], io, {})).toBe(2);
    expect(await main(['diff', file, '--force'], io, {})).toBe(2);
    let stderr = '';
    expect(await main(['export'], { stdout: () => undefined, stderr: (t) => (stderr += t) }, {})).toBe(2);
    expect(stderr).toContain('PLANGRAPH_URL');
    expect(stderr).toContain('PLANGRAPH_TOKEN');
  });
});

const exportedHeader = '# yaml-language-server: $schema=./schema/catalog.schema.json\nversion: 1\n';
