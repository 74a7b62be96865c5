import { buildSchema, isEnumType, isInputObjectType, isObjectType, isScalarType, isSpecifiedScalarType, parse } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@theguild/federation-composition';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { PgPubSub } from '../../common/pubsub';
import { plansSubgraph } from '.';
import { productsSubgraph } from '../products';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';

const CREATE_PRODUCT = `mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id } errors { code field message } }
}`;

const CREATE = `mutation($input: CreatePlanInput!) {
  createPlan(input: $input) {
    plan { id name displayName description status version quota { unlimited requests periodSeconds } rateLimit { unlimited requests perSeconds } products { id } createdAt updatedAt }
    errors { code field message }
  }
}`;

const PLANS = `query($first: Int, $after: String, $filter: PlanFilter) {
  plans(first: $first, after: $after, filter: $filter) { totalCount edges { cursor node { name status } } pageInfo { hasNextPage hasPreviousPage endCursor } }
}`;

const PLAN = `query($id: ID!) { plan(id: $id) { id name status } }`;

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id availablePlans { name } } } }`;

/** Statements that touch the plans table (MikroORM quotes identifiers: "plans"."plan"). */
const PLAN_TABLE = /"?plans"?\."?plan"?(?![_a-z])/i;

describe('plans subgraph', () => {
  let products: RunningSubgraph;
  let plans: RunningSubgraph;
  const queries: string[] = [];
  const admin = portalAdmin();

  async function createProduct(status: 'DRAFT' | 'PUBLISHED' = 'PUBLISHED'): Promise<string> {
    const res = await subgraphRequest(products.url, CREATE_PRODUCT, { input: { slug: unique('prod'), name: 'Product', status } }, admin);
    expect(res.data.createProduct.errors).toEqual([]);
    return res.data.createProduct.product.id;
  }

  async function createPlan(input: Record<string, unknown>, identity: Identity | null = admin) {
    return subgraphRequest(plans.url, CREATE, { input: { name: unique('plan'), displayName: 'Plan', ...input } }, identity);
  }

  async function createdPlan(input: Record<string, unknown>) {
    const res = await createPlan(input);
    expect(res.errors).toBeUndefined();
    expect(res.data.createPlan.errors).toEqual([]);
    return res.data.createPlan.plan as { id: string; name: string };
  }

  beforeAll(async () => {
    products = await startSubgraph(productsSubgraph, { databaseUrl: testDatabaseUrl(), port: 0 });
    plans = await startSubgraph(plansSubgraph, { databaseUrl: testDatabaseUrl(), port: 0, onQuery: (sql) => queries.push(sql) });
  });
  afterAll(async () => {
    await plans?.stop();
    await products?.stop();
  });

  it('creates a plan for a portal admin and reads it back through plan and plans', async () => {
    const [p1, p2] = [await createProduct(), await createProduct()];
    const name = unique('gold');
    const created = await createPlan({
      name,
      displayName: 'Gold',
      description: '**Fast** lane',
      productIds: [p1, p2, p1],
      quota: { requests: 10000, periodSeconds: 2592000 },
      rateLimit: { requests: 50, perSeconds: 1 },
      status: 'PUBLISHED',
    });
    expect(created.errors).toBeUndefined();
    expect(created.data.createPlan.errors).toEqual([]);
    const plan = created.data.createPlan.plan;
    expect(plan).toMatchObject({
      name,
      displayName: 'Gold',
      description: '**Fast** lane',
      status: 'PUBLISHED',
      version: 1,
      quota: { unlimited: false, requests: 10000, periodSeconds: 2592000 },
      rateLimit: { unlimited: false, requests: 50, perSeconds: 1 },
      products: [{ id: p1 }, { id: p2 }],
    });
    expect(new Date(plan.createdAt).toISOString()).toBe(plan.createdAt);

    const read = await subgraphRequest(plans.url, PLAN, { id: plan.id }, null);
    expect(read.data.plan).toEqual({ id: plan.id, name, status: 'PUBLISHED' });
    const listed = await subgraphRequest(plans.url, PLANS, { filter: { productId: p2 } }, developer());
    expect(listed.data.plans.totalCount).toBe(1);
    expect(listed.data.plans.edges[0].node).toEqual({ name, status: 'PUBLISHED' });

    // Defaults: DRAFT, no description, unlimited quota and rate limit.
    const minimal = await createdPlan({ productIds: [p1] });
    const again = await subgraphRequest(
      plans.url,
      `query($id: ID!) { plan(id: $id) { status description quota { unlimited requests periodSeconds } rateLimit { unlimited requests perSeconds } } }`,
      { id: minimal.id },
      admin,
    );
    expect(again.data.plan).toEqual({
      status: 'DRAFT',
      description: '',
      quota: { unlimited: true, requests: null, periodSeconds: null },
      rateLimit: { unlimited: true, requests: null, perSeconds: null },
    });
    expect((await subgraphRequest(plans.url, PLAN, { id: 'not-a-uuid' }, admin)).data.plan).toBeNull();
  });

  it('pages through plans with cursors and filters by status', async () => {
    const product = await createProduct();
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await createdPlan({ productIds: [product], status: 'PUBLISHED' })).name);
    const first = await subgraphRequest(plans.url, PLANS, { first: 2, filter: { productId: product } }, developer());
    expect(first.data.plans.totalCount).toBe(3);
    expect(first.data.plans.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(names.slice(0, 2));
    expect(first.data.plans.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await subgraphRequest(plans.url, PLANS, { first: 2, after: first.data.plans.pageInfo.endCursor, filter: { productId: product } }, developer());
    expect(second.data.plans.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(names.slice(2));
    expect(second.data.plans.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    const byStatus = await subgraphRequest(plans.url, PLANS, { filter: { productId: product, status: ['DRAFT'] } }, admin);
    expect(byStatus.data.plans.totalCount).toBe(0);
    const badProduct = await subgraphRequest(plans.url, PLANS, { filter: { productId: 'nope' } }, admin);
    expect(badProduct.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.productId' });
    const badCursor = await subgraphRequest(plans.url, PLANS, { after: 'garbage' }, admin);
    expect(badCursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('shows draft and archived plans to portal admins only', async () => {
    const product = await createProduct();
    const published = await createdPlan({ productIds: [product], status: 'PUBLISHED' });
    const draft = await createdPlan({ productIds: [product] });
    const archived = await createdPlan({ productIds: [product], status: 'ARCHIVED' });
    for (const identity of [null, developer()]) {
      expect((await subgraphRequest(plans.url, PLAN, { id: draft.id }, identity)).data.plan).toBeNull();
      expect((await subgraphRequest(plans.url, PLAN, { id: archived.id }, identity)).data.plan).toBeNull();
      const list = await subgraphRequest(plans.url, PLANS, { filter: { productId: product } }, identity);
      expect(list.data.plans.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([published.name]);
      const onlyDrafts = await subgraphRequest(plans.url, PLANS, { filter: { productId: product, status: ['DRAFT'] } }, identity);
      expect(onlyDrafts.data.plans.totalCount).toBe(0);
    }
    expect((await subgraphRequest(plans.url, PLAN, { id: draft.id }, admin)).data.plan).toMatchObject({ status: 'DRAFT' });
    const all = await subgraphRequest(plans.url, PLANS, { filter: { productId: product } }, admin);
    expect(all.data.plans.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([published.name, draft.name, archived.name]);
    const drafts = await subgraphRequest(plans.url, PLANS, { filter: { productId: product, status: ['DRAFT'] } }, admin);
    expect(drafts.data.plans.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual([draft.name]);
  });

  it('refuses anonymous callers and developers with typed errors, writing nothing', async () => {
    const product = await createProduct();
    const anonymous = await createPlan({ productIds: [product] }, null);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(anonymous.data?.createPlan ?? null).toBeNull();
    const dev = await createPlan({ productIds: [product] }, developer());
    expect(dev.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const read = await subgraphRequest(plans.url, PLANS, { filter: { productId: product } }, admin);
    expect(read.data.plans.totalCount).toBe(0);
  });

  it('returns a validation error for each invalid field, writing nothing', async () => {
    const product = await createProduct();
    const bad = await createPlan({
      name: 'no/slashes!',
      displayName: '   ',
      description: 'x'.repeat(20001),
      productIds: [product],
      quota: { requests: 0, periodSeconds: 31536001 },
      rateLimit: { requests: 0, perSeconds: 0 },
    });
    expect(bad.errors).toBeUndefined();
    expect(bad.data.createPlan.plan).toBeNull();
    const errors = bad.data.createPlan.errors as { code: string; field: string; message: string }[];
    expect(errors.map((e) => e.field).sort()).toEqual([
      'input.description',
      'input.displayName',
      'input.name',
      'input.quota.periodSeconds',
      'input.quota.requests',
      'input.rateLimit.perSeconds',
      'input.rateLimit.requests',
    ]);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['VALIDATION_FAILED']));
    expect(errors.every((e) => e.message.length > 10)).toBe(true);

    const tooLong = await createPlan({ name: 'a'.repeat(101), productIds: [product] });
    expect(tooLong.data.createPlan.errors.map((e: { field: string }) => e.field)).toEqual(['input.name']);
    const periodZero = await createPlan({ productIds: [product], quota: { requests: 1, periodSeconds: 0 } });
    expect(periodZero.data.createPlan.errors.map((e: { field: string }) => e.field)).toEqual(['input.quota.periodSeconds']);
    const noProducts = await createPlan({ productIds: [] });
    expect(noProducts.data.createPlan.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.productIds', message: expect.stringContaining('at least one') }]);
    const notIds = await createPlan({ productIds: [product, 'payments'] });
    expect(notIds.data.createPlan.errors).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.productIds', message: expect.stringContaining('payments') }]);

    // The largest allowed values pass.
    const edge = await createdPlan({ name: `${'a'.repeat(90)} -_${Date.now() % 1000}`.slice(0, 100), productIds: [product], quota: { requests: 1, periodSeconds: 31536000 }, rateLimit: { requests: 1, perSeconds: 1 } });
    expect(edge.id).toBeTruthy();
    const list = await subgraphRequest(plans.url, PLANS, { filter: { productId: product } }, admin);
    expect(list.data.plans.totalCount).toBe(1);
  });

  it('refuses unknown product ids with NOT_FOUND listing them', async () => {
    const product = await createProduct();
    const missingA = '00000000-0000-4000-8000-00000000000a';
    const missingB = '00000000-0000-4000-8000-00000000000b';
    const name = unique('orphan');
    const res = await createPlan({ name, productIds: [missingA, product, missingB] });
    expect(res.data.createPlan.plan).toBeNull();
    expect(res.data.createPlan.errors).toEqual([{ code: 'NOT_FOUND', field: 'input.productIds', message: expect.stringContaining(missingA) }]);
    expect(res.data.createPlan.errors[0].message).toContain(missingB);
    expect(res.data.createPlan.errors[0].message).not.toContain(product);
    const read = await subgraphRequest(plans.url, PLANS, { filter: { productId: product } }, admin);
    expect(read.data.plans.totalCount).toBe(0);
  });

  it('refuses a duplicate name with ALREADY_EXISTS', async () => {
    const product = await createProduct();
    const name = unique('dup');
    await createdPlan({ name, productIds: [product] });
    const dup = await createPlan({ name, productIds: [product] });
    expect(dup.data.createPlan).toEqual({
      plan: null,
      errors: [{ code: 'ALREADY_EXISTS', field: 'input.name', message: expect.stringContaining('name') }],
    });
    const read = await subgraphRequest(plans.url, PLANS, { filter: { productId: product } }, admin);
    expect(read.data.plans.totalCount).toBe(1);
  });

  it('resolves Product.availablePlans for many products with ONE plans statement', async () => {
    const [a, b, c] = [await createProduct(), await createProduct(), await createProduct()];
    const both = await createdPlan({ productIds: [a, b], status: 'PUBLISHED' });
    const onlyB = await createdPlan({ productIds: [b], status: 'PUBLISHED' });
    const draftC = await createdPlan({ productIds: [c] });
    const representations = [a, b, c].map((id) => ({ __typename: 'Product', id }));

    queries.length = 0;
    const asDeveloper = await subgraphRequest(plans.url, ENTITIES, { r: representations }, developer());
    expect(asDeveloper.errors).toBeUndefined();
    expect(asDeveloper.data._entities).toEqual([
      { id: a, availablePlans: [{ name: both.name }] },
      { id: b, availablePlans: [{ name: both.name }, { name: onlyB.name }] },
      { id: c, availablePlans: [] },
    ]);
    expect(queries.filter((sql) => PLAN_TABLE.test(sql))).toHaveLength(1);

    queries.length = 0;
    const asAdmin = await subgraphRequest(plans.url, ENTITIES, { r: representations }, admin);
    expect(asAdmin.data._entities[2]).toEqual({ id: c, availablePlans: [{ name: draftC.name }] });
    expect(queries.filter((sql) => PLAN_TABLE.test(sql))).toHaveLength(1);
  });

  it('resolves Plan references in one statement, hiding drafts from developers', async () => {
    const product = await createProduct();
    const published = await createdPlan({ productIds: [product], status: 'PUBLISHED' });
    const draft = await createdPlan({ productIds: [product] });
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Plan { id name products { id } } } }`;
    const r = [published, draft].map((p) => ({ __typename: 'Plan', id: p.id }));
    queries.length = 0;
    const res = await subgraphRequest(plans.url, query, { r }, developer());
    expect(res.data._entities).toEqual([{ id: published.id, name: published.name, products: [{ id: product }] }, null]);
    expect(queries.filter((sql) => PLAN_TABLE.test(sql))).toHaveLength(1);
    const asAdmin = await subgraphRequest(plans.url, query, { r }, admin);
    expect(asAdmin.data._entities[1]).toMatchObject({ id: draft.id });
  });

  it('composes with the products subgraph and documents everything it adds', async () => {
    const services = [];
    for (const module of [productsSubgraph, plansSubgraph]) {
      const schema = await module.buildSchema(new PgPubSub());
      services.push({ name: module.name, url: `http://localhost/${module.name}`, typeDefs: parse(printSubgraphSchema(schema)) });
    }
    const result = composeServices(services);
    expect(result.errors ?? []).toEqual([]);
    const schema = buildSchema(result.publicSdl!);
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
      if (!type.description?.trim() && !['Query', 'Mutation'].includes(type.name)) missing.push(type.name);
      if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
          for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      } else if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
      } else if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(schema.getType('Product')).toBeDefined();
    expect(Object.keys((schema.getType('Product') as import('graphql').GraphQLObjectType).getFields())).toContain('availablePlans');
  });
});
