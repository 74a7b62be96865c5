import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { decryptSecret, keyRingFromEnv, sealedWith } from '../../common/crypto';
import { providerSubgraph } from '.';
import { healthOf, ProviderHealthStatus } from './entities/provider';
import { unique } from '../../test/helpers/db';
import { createDatabase, waitFor } from '../../test/kit/provider';
import { freePort } from '../../test/helpers/ports';
import { developer, portalAdmin, subgraphRequest, type GraphQLResponse, type Identity } from '../../test/helpers/graphql';

const FIELDS = `id name kind baseUrl tykOrgId policyTags isDefault hasSecret
  health { status lastSuccessAt lastErrorAt lastError } createdAt updatedAt`;

const REGISTER = `mutation($input: RegisterProviderInput!) {
  registerProvider(input: $input) { provider { ${FIELDS} } errors { code field message retryAfter } }
}`;
const READ = `query($id: ID!) { provider(id: $id) { ${FIELDS} } }`;
const LIST = `query($after: String) { providers(first: 100, after: $after) {
  totalCount edges { cursor node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Provider { id name hasSecret } } }`;

function input(overrides: Record<string, unknown> = {}) {
  return {
    name: unique('tyk'),
    kind: 'TYK_GATEWAY',
    baseUrl: 'http://tyk-gateway.example.com:8080/',
    secret: `s3cret-${unique('gw')}`,
    tykOrgId: 'org-1',
    ...overrides,
  };
}

const fieldsOf = (errors: { field: string }[]) => errors.map((e) => e.field).sort();

/** A portal admin whose token asserts MFA (registering and changing providers needs it). */
const mfaAdmin = (): Identity => ({ ...portalAdmin(), amr: ['pwd', 'mfa'] });

describe('provider subgraph', () => {
  let subgraph: RunningSubgraph;
  /** Every response seen, so no test can leak a secret unnoticed. */
  const responses: GraphQLResponse[] = [];
  const secrets: string[] = [];

  async function call(query: string, variables: Record<string, unknown>, identity: Identity | null) {
    const response = await subgraphRequest(subgraph.url, query, variables, identity);
    responses.push(response);
    return response;
  }

  async function register(values: Record<string, unknown>, identity: Identity | null = mfaAdmin()) {
    if (typeof values.secret === 'string') secrets.push(values.secret);
    return call(REGISTER, { input: values }, identity);
  }

  async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    return subgraph.orm.em.getConnection().execute(text, params);
  }

  const defaults = async () => (await sql<{ id: string }>('select id from provider.provider where is_default')).map((r) => r.id);

  /** SQL statements the subgraph ran (batching checks). */
  const queries: string[] = [];
  const allQueries: string[] = [];

  // A database of its own: provider sync jobs of other test files (plans, products) never run here.
  let database: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    database = await createDatabase();
    subgraph = await startSubgraph(providerSubgraph, {
      databaseUrl: database.url,
      port: 0,
      onQuery: (q) => queries.push(q) && allQueries.push(q),
    });
  });
  afterAll(async () => {
    await subgraph?.stop();
    await database?.drop();
  });

  it('registers a provider for a portal admin, then lists and reads it', async () => {
    const admin = mfaAdmin();
    const values = input({ kind: 'TYK_DASHBOARD', baseUrl: 'https://Dashboard.Example.com/tyk//', tykOrgId: '5e9d9544a1dcd60001d0ed20' });
    const created = await register(values, admin);
    expect(created.errors).toBeUndefined();
    expect(created.data.registerProvider.errors).toEqual([]);
    const provider = created.data.registerProvider.provider;
    expect(provider).toMatchObject({
      name: values.name,
      kind: 'TYK_DASHBOARD',
      baseUrl: 'https://dashboard.example.com/tyk',
      tykOrgId: '5e9d9544a1dcd60001d0ed20',
      policyTags: ['plangraph'],
      hasSecret: true,
      health: { status: 'UNKNOWN', lastSuccessAt: null, lastErrorAt: null, lastError: null },
    });
    expect(typeof provider.isDefault).toBe('boolean');
    expect(new Date(provider.createdAt).getTime()).not.toBeNaN();

    const read = await call(READ, { id: provider.id }, admin);
    expect(read.data.provider).toEqual(provider);
    expect((await call(READ, { id: 'not-a-uuid' }, admin)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect((await call(READ, { id: '00000000-0000-4000-8000-000000000000' }, admin)).data.provider).toBeNull();

    // Page through every provider (other test files may have registered some too).
    const seen: { id: string }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: GraphQLResponse = await call(LIST, { after }, admin);
      expect(page.errors).toBeUndefined();
      seen.push(...page.data.providers.edges.map((e: { node: { id: string } }) => e.node));
      if (!page.data.providers.pageInfo.hasNextPage) break;
      after = page.data.providers.pageInfo.endCursor;
    }
    expect(seen.find((p) => p.id === provider.id)).toEqual(provider);

    // Federation: batched reference resolution for admins, null for everyone else.
    const reps = [{ __typename: 'Provider', id: provider.id }];
    expect((await call(ENTITIES, { reps }, admin)).data._entities).toEqual([{ id: provider.id, name: values.name, hasSecret: true }]);
    expect((await call(ENTITIES, { reps }, developer())).data._entities).toEqual([null]);
    expect((await call(ENTITIES, { reps }, null)).data._entities).toEqual([null]);
  });

  it('keeps custom policy tags (without duplicates) and a gateway URL without path', async () => {
    const created = await register(
      input({ policyTags: ['plangraph', 'team:payments', 'plangraph', 'env.prod_1-a'], baseUrl: 'http://10.0.0.5:8080' }),
    );
    expect(created.data.registerProvider.errors).toEqual([]);
    expect(created.data.registerProvider.provider).toMatchObject({
      policyTags: ['plangraph', 'team:payments', 'env.prod_1-a'],
      baseUrl: 'http://10.0.0.5:8080',
    });
  });

  it('resolves many references with one SQL statement', async () => {
    const admin = mfaAdmin();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await register(input(), admin)).data.registerProvider.provider.id);
    const reps = [...ids, ids[0], '00000000-0000-4000-8000-000000000000', 'junk'].map((id) => ({ __typename: 'Provider', id }));
    queries.length = 0;
    const result = await call(ENTITIES, { reps }, admin);
    expect(result.data._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([...ids, ids[0], null, null]);
    expect(queries.filter((q) => /^select/i.test(q.trim()))).toHaveLength(1);
  });

  it('refuses anonymous callers and developers, writing nothing', async () => {
    const values = input();
    const anonymous = await register(values, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const dev = await register(values, developer());
    expect(dev.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await sql('select id from provider.provider where name = ?', [values.name])).toEqual([]);

    for (const [identity, code] of [
      [null, 'UNAUTHENTICATED'],
      [developer(), 'FORBIDDEN'],
    ] as const) {
      const list = await call(LIST, {}, identity);
      expect(list.errors?.[0].extensions?.code).toBe(code);
      const one = await call(READ, { id: '00000000-0000-4000-8000-000000000000' }, identity);
      expect(one.errors?.[0].extensions?.code).toBe(code);
    }
  });

  it('stores the secret only encrypted, so that it decrypts back to the plaintext', async () => {
    const secret = `tyk-admin-${unique('plain')}`;
    const created = await register(input({ secret }));
    const { id } = created.data.registerProvider.provider;
    const [row] = await sql<{ secret_encrypted: string; secret_key_id: string }>(
      'select secret_encrypted, secret_key_id from provider.provider where id = ?',
      [id],
    );
    expect(row.secret_encrypted).not.toContain(secret);
    expect(row.secret_encrypted).not.toContain(Buffer.from(secret).toString('base64'));
    expect(row.secret_encrypted).not.toContain(Buffer.from(secret).toString('base64url'));
    expect(decryptSecret(keyRingFromEnv(), row.secret_encrypted)).toBe(secret);
    expect(row.secret_key_id).toBe(sealedWith(row.secret_encrypted));
    expect(row.secret_key_id).toBe(keyRingFromEnv().current.id);

    // The published view carries no secrets and no connection details.
    const columns = await sql<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = 'provider' and table_name = 'provider_contract' order by ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'kind', 'is_default']);
    const [published] = await sql('select * from provider.provider_contract where id = ?', [id]);
    expect(JSON.stringify(published)).not.toContain(secret);
  });

  it('returns validation failures per field and writes nothing', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ baseUrl: 'tyk.example.com' }, ['input.baseUrl']],
      [{ baseUrl: 'ftp://tyk.example.com' }, ['input.baseUrl']],
      [{ baseUrl: 'https://tyk.example.com/?x=1' }, ['input.baseUrl']],
      [{ baseUrl: 'https://tyk.example.com/#top' }, ['input.baseUrl']],
      [{ baseUrl: 'https://admin:pw@tyk.example.com' }, ['input.baseUrl']],
      [{ tykOrgId: 'org id!' }, ['input.tykOrgId']],
      [{ tykOrgId: 'x'.repeat(129) }, ['input.tykOrgId']],
      [{ policyTags: ['ok', 'not ok'] }, ['input.policyTags']],
      [{ policyTags: ['t'.repeat(65)] }, ['input.policyTags']],
      [{ policyTags: [] }, ['input.policyTags']],
      [{ policyTags: Array.from({ length: 21 }, (_, i) => `tag${i}`) }, ['input.policyTags']],
      [{ secret: '' }, ['input.secret']],
      [{ secret: 'x'.repeat(4097) }, ['input.secret']],
      [{ secret: 'line\nbreak-secret' }, ['input.secret']],
      [{ name: '   ' }, ['input.name']],
      [{ name: 'n'.repeat(81) }, ['input.name']],
      [
        { name: '', baseUrl: 'nope', tykOrgId: '', policyTags: ['bad tag'], secret: '' },
        ['input.baseUrl', 'input.name', 'input.policyTags', 'input.secret', 'input.tykOrgId'],
      ],
    ];
    for (const [overrides, fields] of cases) {
      const values = input(overrides);
      const result = await register(values);
      expect(result.errors).toBeUndefined();
      const payload = result.data.registerProvider;
      expect({ overrides, fields: fieldsOf(payload.errors) }).toEqual({ overrides, fields });
      expect(payload.provider).toBeNull();
      for (const error of payload.errors) {
        expect(error.code).toBe('VALIDATION_FAILED');
        expect(error.message.length).toBeGreaterThan(10);
      }
      expect(await sql('select id from provider.provider where name = ?', [values.name])).toEqual([]);
    }
  });

  it('reports a duplicate name as ALREADY_EXISTS on input.name', async () => {
    const name = unique('dup');
    const first = await register(input({ name }));
    expect(first.data.registerProvider.errors).toEqual([]);
    const second = await register(input({ name: `  ${name} ` }));
    expect(second.data.registerProvider).toEqual({
      provider: null,
      errors: [{ code: 'ALREADY_EXISTS', field: 'input.name', message: expect.stringContaining('name'), retryAfter: null }],
    });
    expect(await sql('select id from provider.provider where name = ?', [name])).toHaveLength(1);
  });

  it('keeps exactly one default provider and moves it with makeDefault', async () => {
    const a = (await register(input())).data.registerProvider.provider;
    expect(await defaults()).toHaveLength(1);

    const b = (await register(input({ makeDefault: true }))).data.registerProvider.provider;
    expect(b.isDefault).toBe(true);
    expect(await defaults()).toEqual([b.id]);

    const c = (await register(input({ makeDefault: false }))).data.registerProvider.provider;
    expect(c.isDefault).toBe(false);
    expect(await defaults()).toEqual([b.id]);

    const admin = mfaAdmin();
    expect((await call(READ, { id: a.id }, admin)).data.provider.isDefault).toBe(false);
    expect((await call(READ, { id: b.id }, admin)).data.provider.isDefault).toBe(true);

    // Concurrent makeDefault registrations still leave exactly one default, one of them.
    const racers = await Promise.all([1, 2, 3, 4].map(() => register(input({ makeDefault: true }))));
    const ids = racers.map((r) => {
      expect(r.data.registerProvider.errors).toEqual([]);
      return r.data.registerProvider.provider.id as string;
    });
    const now = await defaults();
    expect(now).toHaveLength(1);
    expect(ids).toContain(now[0]);
  });

  it('makes the first provider of an empty installation the default', async () => {
    // A database of its own, so "first" does not depend on other tests' rows.
    const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL!;
    const name = `plangraph_provider_first_${Date.now()}_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const own = await startSubgraph(providerSubgraph, { databaseUrl: url.toString(), port: 0 });
    try {
      const registerHere = async (values: Record<string, unknown>) => {
        secrets.push(values.secret as string);
        const response = await subgraphRequest(own.url, REGISTER, { input: values }, mfaAdmin());
        responses.push(response);
        expect(response.data.registerProvider.errors).toEqual([]);
        return response.data.registerProvider.provider;
      };
      const first = await registerHere(input());
      expect(first.isDefault).toBe(true);
      const second = await registerHere(input());
      expect(second.isDefault).toBe(false);
      const third = await registerHere(input({ makeDefault: true }));
      expect(third.isDefault).toBe(true);
      const rows = await own.orm.em.getConnection().execute<{ id: string }[]>('select id from provider.provider where is_default');
      expect(rows.map((r) => r.id)).toEqual([third.id]);
    } finally {
      await own.stop();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it('refuses registerProvider without a token that asserts MFA, and writes nothing', async () => {
    const values = input();
    const plain = await register(values, portalAdmin());
    expect(plain.errors?.[0].extensions?.code).toBe('MFA_REQUIRED');
    expect(plain.errors?.[0].message).toMatch(/multi-factor/);
    const falseClaim = await register(values, { ...portalAdmin(), amr: ['pwd'] });
    expect(falseClaim.errors?.[0].extensions?.code).toBe('MFA_REQUIRED');
    // The role is checked first: a developer with MFA is FORBIDDEN.
    expect((await register(values, { ...developer(), amr: ['mfa'] })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await sql('select id from provider.provider where name = ?', [values.name])).toEqual([]);
  });

  describe('updateProvider', () => {
    const UPDATE = `mutation($input: UpdateProviderInput!) { updateProvider(input: $input) { provider { ${FIELDS} } errors { code field message retryAfter } } }`;
    const update = async (values: Record<string, unknown>, identity: Identity | null = mfaAdmin()) => {
      if (typeof values.secret === 'string') secrets.push(values.secret);
      return call(UPDATE, { input: values }, identity);
    };

    it('needs a portal admin with MFA; without it nothing changes', async () => {
      const created = (await register(input())).data.registerProvider.provider;
      expect((await update({ id: created.id, name: unique('renamed') }, portalAdmin())).errors?.[0].extensions?.code).toBe('MFA_REQUIRED');
      expect(
        (await update({ id: created.id, name: unique('renamed') }, { ...developer(), amr: ['mfa'] })).errors?.[0].extensions?.code,
      ).toBe('FORBIDDEN');
      expect((await update({ id: created.id, name: unique('renamed') }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const [row] = await sql('select name from provider.provider where id = ?', [created.id]);
      expect(row.name).toBe(created.name);
    });

    it('changes only the given fields, re-encrypts a new secret, and validates like registerProvider', async () => {
      const created = (await register(input({ policyTags: ['plangraph', 'eu'] }))).data.registerProvider.provider;
      const [before] = await sql('select secret_encrypted from provider.provider where id = ?', [created.id]);
      const name = unique('renamed');
      const renamed = await update({ id: created.id, name: `  ${name} `, tykOrgId: 'org-2' });
      expect(renamed.data.updateProvider.errors).toEqual([]);
      expect(renamed.data.updateProvider.provider).toMatchObject({
        id: created.id,
        name,
        tykOrgId: 'org-2',
        baseUrl: created.baseUrl,
        policyTags: ['plangraph', 'eu'],
        kind: created.kind,
        hasSecret: true,
      });
      expect((await sql('select secret_encrypted from provider.provider where id = ?', [created.id]))[0].secret_encrypted).toBe(
        before.secret_encrypted,
      );

      const secret = `rotated-${unique('secret')}`;
      expect((await update({ id: created.id, secret })).data.updateProvider.errors).toEqual([]);
      const [after] = await sql<{ secret_encrypted: string; secret_key_id: string }>(
        'select secret_encrypted, secret_key_id from provider.provider where id = ?',
        [created.id],
      );
      expect(after.secret_encrypted).not.toBe(before.secret_encrypted);
      expect(after.secret_encrypted).not.toContain(secret);
      expect(decryptSecret(keyRingFromEnv(), after.secret_encrypted)).toBe(secret);
      expect(after.secret_key_id).toBe(keyRingFromEnv().current.id);

      const bad = await update({ id: created.id, baseUrl: 'ftp://x', tykOrgId: 'no spaces!', policyTags: [], secret: '', name: '' });
      expect(fieldsOf(bad.data.updateProvider.errors)).toEqual([
        'input.baseUrl',
        'input.name',
        'input.policyTags',
        'input.secret',
        'input.tykOrgId',
      ]);
      expect((await update({ id: created.id, name: null })).data.updateProvider.errors).toEqual([
        expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'input.name' }),
      ]);
      const other = (await register(input())).data.registerProvider.provider;
      expect((await update({ id: created.id, name: other.name })).data.updateProvider.errors).toEqual([
        expect.objectContaining({ code: 'ALREADY_EXISTS', field: 'input.name' }),
      ]);
      expect((await update({ id: '00000000-0000-4000-8000-000000000000', name: unique('x') })).data.updateProvider.errors).toEqual([
        expect.objectContaining({ code: 'NOT_FOUND', field: 'input.id' }),
      ]);
      const [still] = await sql('select name, tyk_org_id from provider.provider where id = ?', [created.id]);
      expect(still).toEqual({ name, tyk_org_id: 'org-2' });
    });

    it('moves the default with makeDefault and refuses un-defaulting the default', async () => {
      const created = (await register(input())).data.registerProvider.provider;
      const moved = await update({ id: created.id, makeDefault: true });
      expect(moved.data.updateProvider.provider.isDefault).toBe(true);
      expect(await defaults()).toEqual([created.id]);
      expect((await update({ id: created.id, makeDefault: false })).data.updateProvider.errors).toEqual([
        expect.objectContaining({ code: 'DEFAULT_REQUIRED', field: 'input.makeDefault' }),
      ]);
      expect(await defaults()).toEqual([created.id]);
    });

    it('syncs the provider at once when where or how it is reached changes', async () => {
      const created = (await register(input())).data.registerProvider.provider;
      expect(created.health.status).toBe('UNKNOWN');
      // Nothing listens there: the immediate sync fails and the health says so.
      expect((await update({ id: created.id, baseUrl: `http://127.0.0.1:${await freePort()}` })).data.updateProvider.errors).toEqual([]);
      await waitFor(async () => (await call(READ, { id: created.id }, mfaAdmin())).data.provider.health.status === 'FAILING', {
        timeoutMs: 15_000,
        what: 'the immediate sync to fail',
      });
      const health = (await call(READ, { id: created.id }, mfaAdmin())).data.provider.health;
      expect(health.lastError).toMatch(/ECONNREFUSED/);
    });
  });

  it('derives health from the latest success and error', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-02T00:00:00Z');
    expect(healthOf({ lastSuccessAt: null, lastErrorAt: null, lastError: null }).status).toBe(ProviderHealthStatus.UNKNOWN);
    expect(healthOf({ lastSuccessAt: t1, lastErrorAt: null, lastError: null }).status).toBe(ProviderHealthStatus.HEALTHY);
    expect(healthOf({ lastSuccessAt: t2, lastErrorAt: t1, lastError: 'old' }).status).toBe(ProviderHealthStatus.HEALTHY);
    expect(healthOf({ lastSuccessAt: t1, lastErrorAt: t2, lastError: '403' })).toMatchObject({
      status: ProviderHealthStatus.FAILING,
      lastError: '403',
    });
  });

  it('never puts a plaintext secret into a GraphQL response or an SQL statement', () => {
    expect(responses.length).toBeGreaterThan(20);
    expect(secrets.length).toBeGreaterThan(10);
    const everything = JSON.stringify(responses);
    for (const secret of secrets.filter((s) => s.length >= 8)) expect(everything).not.toContain(secret);
    const statements = allQueries.join('\n');
    expect(statements).toContain('secret_encrypted');
    for (const secret of secrets.filter((s) => s.length >= 8)) expect(statements).not.toContain(secret);
  });
});
