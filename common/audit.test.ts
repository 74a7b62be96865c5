import pg from 'pg';
import { startSubgraph, type RunningSubgraph } from './server';
import { verifyAuditChain } from './audit';
import { productsSubgraph } from '../subgraphs/products';
import { developersSubgraph } from '../subgraphs/developers';
import { unique } from '../test/helpers/db';
import { portalAdmin, subgraphRequest } from '../test/helpers/graphql';
import { Seed } from '../test/kit/seed';

/** The audit trail on a database of its own (the tamper test breaks the chain on purpose). */
describe('audit log', () => {
  const adminUrl = process.env.PLANGRAPH_TEST_ADMIN_URL!;
  const name = `plangraph_audit_${Date.now()}`;
  let url: string;
  let products: RunningSubgraph;
  let developers: RunningSubgraph;
  const admin = portalAdmin();

  async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`create database ${name}`);
    await client.end();
    const parsed = new URL(adminUrl);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    developers = await startSubgraph(developersSubgraph, { databaseUrl: url, port: 0 });
    products = await startSubgraph(productsSubgraph, { databaseUrl: url, port: 0 });
  });
  afterAll(async () => {
    await products?.stop();
    await developers?.stop();
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  });

  it('records who changed what, with before and after, in the transaction of the mutation', async () => {
    const catalogName = unique('Audited');
    const id = await new Seed({ products: products.url }, admin).catalog({ name: catalogName });
    await subgraphRequest(
      products.url,
      `mutation($i: UpdateCatalogInput!) { updateCatalog(input: $i) { errors { code } } }`,
      { i: { id, name: `${catalogName} 2` } },
      admin,
    );
    const rows = await sql(
      `select actor, actor_roles, action, change, target_type, target_id, before, after, request_id from platform.audit_log where target_id = $1 order by id`,
      [id],
    );
    expect(rows.map((r) => [r.actor, r.action, r.change, r.target_type])).toEqual([
      [admin.sub, 'createCatalog', 'CREATE', 'Catalog'],
      [admin.sub, 'updateCatalog', 'UPDATE', 'Catalog'],
    ]);
    expect(rows[0].actor_roles).toEqual(['portal_admin']);
    expect(rows[0].after.name).toBe(catalogName);
    expect(rows[1].before.name).toBe(catalogName);
    expect(rows[1].after.name).toBe(`${catalogName} 2`);
    expect(rows[1].request_id).toEqual(expect.any(String));

    const refused = await subgraphRequest(
      products.url,
      `mutation($i: CreateCatalogInput!) { createCatalog(input: $i) { errors { code } } }`,
      { i: { name: catalogName + ' 2', visibility: 'PUBLIC' } },
      admin,
    );
    expect(refused.data.createCatalog.errors[0].code).toBe('ALREADY_EXISTS');
    expect(
      await sql(`select 1 from platform.audit_log where after->>'name' = $1 and change = 'CREATE' and target_id <> $2`, [
        catalogName + ' 2',
        id,
      ]),
    ).toEqual([]);
  });

  it('refuses updates and deletes, and verification finds the first altered or removed entry', async () => {
    await expect(sql(`update platform.audit_log set actor = 'mallory'`)).rejects.toThrow(/append-only/);
    await expect(sql(`delete from platform.audit_log`)).rejects.toThrow(/append-only/);
    const em = products.orm.em.fork();
    expect(await verifyAuditChain(em)).toMatchObject({ valid: true, firstBrokenId: null });

    const [second] = await sql<{ id: string }>(`select id from platform.audit_log order by id offset 1 limit 1`);
    // A database owner bypassing the triggers, as an attacker with DBA rights would.
    await sql(`alter table platform.audit_log disable trigger audit_log_no_update`);
    await sql(`update platform.audit_log set actor = 'mallory' where id = $1`, [second.id]);
    await sql(`alter table platform.audit_log enable trigger audit_log_no_update`);
    const tampered = await verifyAuditChain(em);
    expect(tampered).toMatchObject({ valid: false, firstBrokenId: String(second.id), reason: expect.stringMatching(/changed/) });
  });
});
