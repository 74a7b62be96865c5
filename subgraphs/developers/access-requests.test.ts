import {
  AR,
  archivePlan,
  call,
  catalog,
  errorsOf,
  gql,
  loggedJobs,
  offer,
  ok,
  organization,
  plan,
  product,
  sql,
  startAccessHarness,
  type AccessHarness,
} from '../../test/kit/access';
import { createApp, M, mutate } from '../../test/kit/developers';

/** requestAccess: every refusal, kinds (NEW_ACCESS / PLAN_CHANGE), decisions and their transitions, lists. */
describe('developers: access requests', () => {
  let h: AccessHarness;
  beforeAll(async () => {
    h = await startAccessHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const UNKNOWN = '00000000-0000-4000-8000-00000000beef';

  async function rowsOf(organizationId: string) {
    return {
      requests: await sql(h, 'select id, status, kind, plan_id from developers.access_request where organization_id = ? order by id', [
        organizationId,
      ]),
      credentials: await sql(h, 'select id, status, plan_id, version from developers.credential where organization_id = ? order by id', [
        organizationId,
      ]),
    };
  }

  describe('refusals (nothing is written)', () => {
    const f = {} as {
      org: Awaited<ReturnType<typeof organization>>;
      otherApp: { id: string };
      grantedApp: { id: string };
      planA: string;
      productsA: string[];
      draftPlan: string;
      archivedPlan: string;
      hiddenPlan: string;
      hiddenProduct: string;
      draftProduct: string;
      elsewhereProduct: string;
      autoPlan: string;
      suspendedOrg: Awaited<ReturnType<typeof organization>>;
    };

    beforeAll(async () => {
      f.org = await organization(h);
      f.otherApp = await createApp(h, f.org.id, f.org.member);
      f.grantedApp = await createApp(h, f.org.id, f.org.member);
      const a = await offer(h);
      f.planA = a.planId;
      f.productsA = a.productIds;
      f.draftPlan = await plan(h, { catalogIds: [a.catalogId], status: 'DRAFT' });
      f.archivedPlan = await plan(h, { catalogIds: [a.catalogId] });
      await archivePlan(h, f.archivedPlan);
      f.draftProduct = await product(h, { catalogIds: [a.catalogId], status: 'DRAFT' });
      // A private catalog shown to another organization only.
      const stranger = await organization(h);
      const hidden = await catalog(h, { visibility: 'PRIVATE', organizationIds: [stranger.id] });
      f.hiddenPlan = await plan(h, { catalogIds: [hidden] });
      f.hiddenProduct = await product(h, { catalogIds: [hidden] });
      // A published product in another public catalog that does not offer plan A.
      const elsewhere = await catalog(h);
      f.elsewhereProduct = await product(h, { catalogIds: [elsewhere] });
      // A pending request (app, plan A) and a granted credential (grantedApp, auto plan).
      await ok(h, 'requestAccess', { appId: f.org.app.id, planId: f.planA, productIds: f.productsA }, f.org.member);
      f.autoPlan = await plan(h, { catalogIds: [a.catalogId], autoApprove: true });
      await ok(h, 'requestAccess', { appId: f.grantedApp.id, planId: f.autoPlan, productIds: [f.productsA[0]] }, f.org.member);
      f.suspendedOrg = await organization(h);
      await mutate(h, 'suspendOrganization', M.suspendOrganization, { id: f.suspendedOrg.id, reason: 'Unpaid invoices' }, h.admin);
    });

    type Case = [string, () => Record<string, unknown>, { code: string; field: string | null }[]];
    const cases: Case[] = [
      [
        'an unknown plan',
        () => ({ appId: f.otherApp.id, planId: UNKNOWN, productIds: f.productsA }),
        [{ code: 'NOT_FOUND', field: 'input.planId' }],
      ],
      [
        'a plan in a catalog the organization cannot see',
        () => ({ appId: f.otherApp.id, planId: f.hiddenPlan, productIds: f.productsA }),
        [{ code: 'NOT_FOUND', field: 'input.planId' }],
      ],
      [
        'a DRAFT plan',
        () => ({ appId: f.otherApp.id, planId: f.draftPlan, productIds: f.productsA }),
        [{ code: 'PLAN_NOT_PUBLISHED', field: 'input.planId' }],
      ],
      [
        'an ARCHIVED plan',
        () => ({ appId: f.otherApp.id, planId: f.archivedPlan, productIds: f.productsA }),
        [{ code: 'PLAN_NOT_PUBLISHED', field: 'input.planId' }],
      ],
      [
        'an unknown product',
        () => ({ appId: f.otherApp.id, planId: f.planA, productIds: [f.productsA[0], UNKNOWN] }),
        [{ code: 'NOT_FOUND', field: 'input.productIds[1]' }],
      ],
      [
        'a product in a catalog the organization cannot see',
        () => ({ appId: f.otherApp.id, planId: f.planA, productIds: [f.hiddenProduct] }),
        [{ code: 'NOT_FOUND', field: 'input.productIds[0]' }],
      ],
      [
        'a DRAFT product',
        () => ({ appId: f.otherApp.id, planId: f.planA, productIds: [f.draftProduct] }),
        [{ code: 'PRODUCT_NOT_AVAILABLE', field: 'input.productIds[0]' }],
      ],
      [
        'a product not offered with the plan',
        () => ({ appId: f.otherApp.id, planId: f.planA, productIds: [f.productsA[1], f.elsewhereProduct] }),
        [{ code: 'PRODUCT_NOT_AVAILABLE', field: 'input.productIds[1]' }],
      ],
      [
        'no products',
        () => ({ appId: f.otherApp.id, planId: f.planA, productIds: [] }),
        [{ code: 'VALIDATION_FAILED', field: 'input.productIds' }],
      ],
      [
        'several problems at once',
        () => ({ appId: f.otherApp.id, planId: f.draftPlan, productIds: [UNKNOWN, f.draftProduct] }),
        [
          { code: 'PLAN_NOT_PUBLISHED', field: 'input.planId' },
          { code: 'NOT_FOUND', field: 'input.productIds[0]' },
          { code: 'PRODUCT_NOT_AVAILABLE', field: 'input.productIds[1]' },
        ],
      ],
      [
        'a second PENDING request for the app and plan',
        () => ({ appId: f.org.app.id, planId: f.planA, productIds: [f.productsA[1]] }),
        [{ code: 'ALREADY_EXISTS', field: 'input.planId' }],
      ],
      [
        'access the app has already (same products and plan, in any order)',
        () => ({ appId: f.grantedApp.id, planId: f.autoPlan, productIds: [f.productsA[0], f.productsA[0]] }),
        [{ code: 'ALREADY_GRANTED', field: 'input.planId' }],
      ],
    ];

    it.each(cases)('refuses %s', async (_name, input, expected) => {
      const before = await rowsOf(f.org.id);
      const response = await call(h, 'requestAccess', input(), f.org.member);
      expect(response.errors).toBeUndefined();
      expect(response.data.requestAccess).toMatchObject({ accessRequest: null, credential: null, secret: null });
      expect(response.data.requestAccess.errors.map((e: any) => ({ code: e.code, field: e.field }))).toEqual(expected);
      for (const e of response.data.requestAccess.errors) expect(e.message.length).toBeGreaterThan(10);
      expect(await rowsOf(f.org.id)).toEqual(before);
    });

    it.each([
      ['input.planId', () => ({ appId: f.otherApp.id, planId: 'basic', productIds: f.productsA })],
      ['input.productIds[0]', () => ({ appId: f.otherApp.id, planId: f.planA, productIds: ['nope'] })],
    ])('refuses a malformed id in %s before the resolver (BAD_USER_INPUT)', async (field, input) => {
      const before = await rowsOf(f.org.id);
      const response = await call(h, 'requestAccess', input(), f.org.member);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(await rowsOf(f.org.id)).toEqual(before);
    });

    it('gives the same answer for an unknown plan and a hidden one', async () => {
      const unknown = await call(h, 'requestAccess', { appId: f.otherApp.id, planId: UNKNOWN, productIds: f.productsA }, f.org.member);
      const hidden = await call(h, 'requestAccess', { appId: f.otherApp.id, planId: f.hiddenPlan, productIds: f.productsA }, f.org.member);
      expect(hidden.data.requestAccess.errors).toEqual(unknown.data.requestAccess.errors);
    });

    it('refuses organizations that are not ACTIVE', async () => {
      const response = await call(
        h,
        'requestAccess',
        { appId: f.suspendedOrg.app.id, planId: f.planA, productIds: f.productsA },
        f.suspendedOrg.member,
      );
      expect(errorsOf(response, 'requestAccess')).toEqual([{ code: 'ORGANIZATION_NOT_ACTIVE', field: 'input.appId' }]);
      expect((await rowsOf(f.suspendedOrg.id)).requests).toEqual([]);
    });

    it('refuses portal admins who are not members, and outsiders, with FORBIDDEN', async () => {
      for (const who of [h.admin, (await organization(h)).owner]) {
        const response = await call(h, 'requestAccess', { appId: f.otherApp.id, planId: f.planA, productIds: f.productsA }, who);
        expect(errorsOf(response, 'requestAccess')).toEqual([{ code: 'FORBIDDEN' }]);
      }
      expect(
        errorsOf(await call(h, 'requestAccess', { appId: f.otherApp.id, planId: f.planA, productIds: f.productsA }, null), 'requestAccess'),
      ).toEqual([{ code: 'UNAUTHENTICATED' }]);
    });
  });

  describe('requests and decisions', () => {
    it('creates a PENDING NEW_ACCESS request that members list and a portal admin approves once', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h);
      const requested = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds: [productIds[1], productIds[0]] }, org.member);
      expect(requested.credential).toBeNull();
      expect(requested.secret).toBeNull();
      const request = requested.accessRequest;
      expect(request).toMatchObject({
        kind: 'NEW_ACCESS',
        status: 'PENDING',
        decidedAt: null,
        decidedBy: null,
        credential: null,
        app: { id: org.app.id },
        organization: { id: org.id },
        plan: { id: planId },
        requestedBy: { subject: org.member.sub },
      });
      expect(request.products.map((p: any) => p.id)).toEqual([...productIds].sort());

      const lists = `query($org: ID!, $app: ID!, $id: ID!) {
        accessRequest(id: $id) { id status }
        organization(id: $org) { accessRequests(first: 10, status: [PENDING]) { totalCount edges { node { id } } } }
        app(id: $app) { accessRequests(first: 10) { totalCount edges { node { id } } } }
        accessRequests(first: 10, filter: { organizationId: $org, status: [PENDING] }) { totalCount edges { node { id } } }
      }`;
      const seen = await gql(h, lists, { org: org.id, app: org.app.id, id: request.id }, org.member);
      expect(seen.errors).toBeUndefined();
      expect(seen.data.accessRequest).toEqual({ id: request.id, status: 'PENDING' });
      expect(seen.data.organization.accessRequests).toEqual({ totalCount: 1, edges: [{ node: { id: request.id } }] });
      expect(seen.data.app.accessRequests).toEqual({ totalCount: 1, edges: [{ node: { id: request.id } }] });
      expect(seen.data.accessRequests).toEqual({ totalCount: 1, edges: [{ node: { id: request.id } }] });

      const approved = await ok(h, 'approveAccessRequest', { id: request.id }, h.admin);
      expect(approved.accessRequest).toMatchObject({
        status: 'APPROVED',
        decidedBy: h.admin.sub,
        credential: { id: expect.any(String), status: 'ACTIVE', secretRevealed: false },
      });
      expect(approved.accessRequest.decidedAt).not.toBeNull();
      // decidedBy: the ORG_ADMIN and portal admins see it, plain members do not.
      const decided = `query($id: ID!) { accessRequest(id: $id) { decidedBy } }`;
      expect((await gql(h, decided, { id: request.id }, org.owner)).data.accessRequest.decidedBy).toBe(h.admin.sub);
      expect((await gql(h, decided, { id: request.id }, org.member)).data.accessRequest.decidedBy).toBeNull();

      // Approving again changes nothing and issues no second credential; rejecting now is refused.
      const again = await ok(h, 'approveAccessRequest', { id: request.id }, portalAdminOther());
      expect(again.accessRequest).toMatchObject({
        status: 'APPROVED',
        decidedAt: approved.accessRequest.decidedAt,
        credential: { id: approved.accessRequest.credential.id },
      });
      expect(await sql(h, 'select count(*)::int as n from developers.credential where app_id = ?', [org.app.id])).toEqual([{ n: 1 }]);
      const reject = await call(h, 'rejectAccessRequest', { id: request.id, reason: 'Too late' }, h.admin);
      expect(errorsOf(reject, 'rejectAccessRequest')).toEqual([{ code: 'INVALID_TRANSITION', field: null }]);
      const cancel = await call(h, 'cancelAccessRequest', { id: request.id }, org.member);
      expect(errorsOf(cancel, 'cancelAccessRequest')).toEqual([{ code: 'INVALID_TRANSITION', field: null }]);
    });

    it('rejects with a reason once, idempotently, and refuses approving a rejected request', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h);
      const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      expect(
        errorsOf(await call(h, 'rejectAccessRequest', { id: accessRequest.id, reason: '   ' }, h.admin), 'rejectAccessRequest'),
      ).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.reason' }]);
      const rejected = await ok(h, 'rejectAccessRequest', { id: accessRequest.id, reason: ' Use the free plan ' }, h.admin);
      expect(rejected.accessRequest).toMatchObject({ status: 'REJECTED', decisionReason: 'Use the free plan', credential: null });
      const again = await ok(h, 'rejectAccessRequest', { id: accessRequest.id, reason: 'Another reason' }, h.admin);
      expect(again.accessRequest).toMatchObject({
        status: 'REJECTED',
        decisionReason: 'Use the free plan',
        decidedAt: rejected.accessRequest.decidedAt,
      });
      expect(errorsOf(await call(h, 'approveAccessRequest', { id: accessRequest.id }, h.admin), 'approveAccessRequest')).toEqual([
        { code: 'INVALID_TRANSITION', field: null },
      ]);
      expect(await sql(h, 'select count(*)::int as n from developers.credential where app_id = ?', [org.app.id])).toEqual([{ n: 0 }]);
      // A new request for the plan is possible once the old one is decided.
      await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
    });

    it('lets members cancel PENDING requests (idempotently) and nobody decide a cancelled one', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h);
      const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const cancelled = await ok(h, 'cancelAccessRequest', { id: accessRequest.id }, org.owner);
      expect(cancelled.accessRequest).toMatchObject({ status: 'CANCELLED', decidedBy: org.owner.sub });
      expect((await ok(h, 'cancelAccessRequest', { id: accessRequest.id }, org.member)).accessRequest).toMatchObject({
        status: 'CANCELLED',
        decidedAt: cancelled.accessRequest.decidedAt,
      });
      for (const name of ['approveAccessRequest', 'rejectAccessRequest'] as const) {
        expect(
          errorsOf(
            await call(h, name, { id: accessRequest.id, ...(name === 'rejectAccessRequest' ? { reason: 'x' } : {}) }, h.admin),
            name,
          ),
        ).toEqual([{ code: 'INVALID_TRANSITION', field: null }]);
      }
      // Portal admins decide, they do not cancel (unless they are members).
      expect(errorsOf(await call(h, 'cancelAccessRequest', { id: accessRequest.id }, h.admin), 'cancelAccessRequest')).toEqual([
        { code: 'FORBIDDEN' },
      ]);
    });

    it('lets nobody but portal admins decide: ORG_ADMINs and members get FORBIDDEN', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h);
      const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      for (const who of [org.owner, org.member]) {
        expect(errorsOf(await call(h, 'approveAccessRequest', { id: accessRequest.id }, who), 'approveAccessRequest')).toEqual([
          { code: 'FORBIDDEN' },
        ]);
        expect(errorsOf(await call(h, 'rejectAccessRequest', { id: accessRequest.id, reason: 'no' }, who), 'rejectAccessRequest')).toEqual([
          { code: 'FORBIDDEN' },
        ]);
      }
      expect((await rowsOf(org.id)).requests).toEqual([expect.objectContaining({ status: 'PENDING' })]);
      // Unknown ids: NOT_FOUND for portal admins.
      expect(errorsOf(await call(h, 'approveAccessRequest', { id: UNKNOWN }, h.admin), 'approveAccessRequest')).toEqual([
        { code: 'NOT_FOUND', field: 'input.id' },
      ]);
    });

    it('refuses approving when the plan was archived since (PLAN_NOT_PUBLISHED)', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h);
      const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      await archivePlan(h, planId);
      expect(errorsOf(await call(h, 'approveAccessRequest', { id: accessRequest.id }, h.admin), 'approveAccessRequest')).toEqual([
        { code: 'PLAN_NOT_PUBLISHED', field: null },
      ]);
      await ok(h, 'rejectAccessRequest', { id: accessRequest.id, reason: 'The plan is gone' }, h.admin);
    });

    it('allows private catalogs shown to the organization', async () => {
      const org = await organization(h);
      const privateCatalog = await catalog(h, { visibility: 'PRIVATE', organizationIds: [org.id] });
      const productId = await product(h, { catalogIds: [privateCatalog] });
      const planId = await plan(h, { catalogIds: [privateCatalog] });
      const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds: [productId] }, org.member);
      expect(accessRequest.status).toBe('PENDING');
    });
  });

  describe('plan changes', () => {
    it('is a PLAN_CHANGE when the app holds the products under another plan; approval moves the credential (same id, version + 1)', async () => {
      const org = await organization(h);
      const catalogId = await catalog(h);
      const productIds = [await product(h, { catalogIds: [catalogId] }), await product(h, { catalogIds: [catalogId] })];
      const basic = await plan(h, { catalogIds: [catalogId], autoApprove: true, credentialMetadata: [{ key: 'tier', value: 'basic' }] });
      const pro = await plan(h, {
        catalogIds: [catalogId],
        credentialMetadata: [
          { key: 'tier', value: 'pro' },
          { key: 'support', value: 'gold' },
        ],
      });
      const granted = await ok(h, 'requestAccess', { appId: org.app.id, planId: basic, productIds }, org.member);
      const credentialId = granted.credential.id;
      const [before] = await sql(h, 'select version, metadata, plan_id::text as plan_id from developers.credential_contract where id = ?', [
        credentialId,
      ]);
      expect(before).toMatchObject({ version: 1, plan_id: basic, metadata: expect.objectContaining({ tier: 'basic' }) });

      // Other products under the new plan are new access, not a change.
      const other = await call(h, 'requestAccess', { appId: org.app.id, planId: pro, productIds: [productIds[0]] }, org.member);
      expect(other.data.requestAccess.accessRequest.kind).toBe('NEW_ACCESS');
      await ok(h, 'cancelAccessRequest', { id: other.data.requestAccess.accessRequest.id }, org.member);

      const change = await ok(h, 'requestAccess', { appId: org.app.id, planId: pro, productIds }, org.member);
      expect(change.accessRequest).toMatchObject({ kind: 'PLAN_CHANGE', status: 'PENDING', credential: null });
      const approved = await ok(h, 'approveAccessRequest', { id: change.accessRequest.id }, h.admin);
      expect(approved.accessRequest.credential).toMatchObject({ id: credentialId, plan: { id: pro }, status: 'ACTIVE' });
      const [after] = await sql(h, 'select version, metadata, plan_id::text as plan_id from developers.credential_contract where id = ?', [
        credentialId,
      ]);
      expect(after).toMatchObject({ version: 2, plan_id: pro });
      expect(after.metadata).toEqual({ ...before.metadata, tier: 'pro', support: 'gold' });
      expect(await sql(h, 'select count(*)::int as n from developers.credential where app_id = ?', [org.app.id])).toEqual([{ n: 1 }]);
      // The old plan's request is untouched.
      const [old] = await sql(h, 'select status, credential_id::text as credential_id from developers.access_request where id = ?', [
        granted.accessRequest.id,
      ]);
      expect(old).toEqual({ status: 'APPROVED', credential_id: credentialId });
      // The provider swaps the key's policies (same job key as issuing it).
      expect(await loggedJobs(h, credentialId)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ task: 'provider.updateKeyPolicies', key: `key:${credentialId}`, payload: { credentialId } }),
        ]),
      );
      // Now the app holds the products under the new plan.
      const dup = await call(h, 'requestAccess', { appId: org.app.id, planId: pro, productIds }, org.member);
      expect(errorsOf(dup, 'requestAccess')).toEqual([{ code: 'ALREADY_GRANTED', field: 'input.planId' }]);
      const back = await ok(h, 'requestAccess', { appId: org.app.id, planId: basic, productIds }, org.member);
      expect(back.accessRequest).toMatchObject({ kind: 'PLAN_CHANGE', status: 'APPROVED', credential: { id: credentialId } });
      expect(back.secret).toBeNull();
      expect((await sql(h, 'select version from developers.credential where id = ?', [credentialId]))[0].version).toBe(3);
    });
  });

  describe('deleteApp', () => {
    it('is refused while the app has working credentials or pending requests, and allowed once they are gone', async () => {
      const org = await organization(h);
      const auto = await offer(h, { autoApprove: true });
      const manual = await offer(h);
      const { credential } = await ok(
        h,
        'requestAccess',
        { appId: org.app.id, planId: auto.planId, productIds: auto.productIds },
        org.member,
      );
      const { accessRequest } = await ok(
        h,
        'requestAccess',
        { appId: org.app.id, planId: manual.planId, productIds: manual.productIds },
        org.member,
      );
      const refused = await call(h, 'deleteApp', { id: org.app.id }, org.owner);
      expect(errorsOf(refused, 'deleteApp')).toEqual([
        { code: 'APP_HAS_LIVE_CREDENTIALS', field: 'input.id' },
        { code: 'APP_HAS_PENDING_ACCESS_REQUESTS', field: 'input.id' },
      ]);
      await ok(h, 'revokeCredential', { id: credential.id }, org.member);
      await ok(h, 'cancelAccessRequest', { id: accessRequest.id }, org.member);
      const deleted = await ok(h, 'deleteApp', { id: org.app.id }, org.owner);
      expect(deleted.deletedAppId).toBe(org.app.id);
      // Its revoked credential is gone; its requests stay (hidden) and still count towards limits.
      expect(await sql(h, 'select count(*)::int as n from developers.credential where id = ?', [credential.id])).toEqual([{ n: 0 }]);
      expect(
        await sql(h, 'select count(*)::int as n, count(app_id)::int as with_app from developers.access_request where organization_id = ?', [
          org.id,
        ]),
      ).toEqual([{ n: 2, with_app: 0 }]);
      expect(
        (await gql(h, `query($id: ID!) { accessRequest(id: $id) { id } }`, { id: accessRequest.id }, org.member)).data.accessRequest,
      ).toBeNull();
      const listed = await gql(
        h,
        `query($id: ID!) { organization(id: $id) { accessRequests { totalCount } } }`,
        { id: org.id },
        org.member,
      );
      expect(listed.data.organization.accessRequests.totalCount).toBe(0);
    });
  });

  it('lists access requests for portal admins across organizations, filtered', async () => {
    const a = await organization(h);
    const b = await organization(h);
    const { planId, productIds } = await offer(h);
    const ra = (await ok(h, 'requestAccess', { appId: a.app.id, planId, productIds }, a.member)).accessRequest;
    const rb = (await ok(h, 'requestAccess', { appId: b.app.id, planId, productIds }, b.member)).accessRequest;
    const q = `query($org: ID) { accessRequests(first: 100, filter: { organizationId: $org }) { totalCount edges { node { ${AR} } } } }`;
    const forA = await gql(h, q, { org: a.id }, h.admin);
    expect(forA.data.accessRequests.edges.map((e: any) => e.node.id)).toEqual([ra.id]);
    const all = await gql(h, q, { org: null }, h.admin);
    expect(all.data.accessRequests.edges.map((e: any) => e.node.id)).toEqual(expect.arrayContaining([ra.id, rb.id]));
    // A member of A sees A's only, even when asking for B's.
    const mine = await gql(h, q, { org: null }, a.member);
    expect(mine.data.accessRequests.edges.map((e: any) => e.node.id)).toEqual([ra.id]);
    expect((await gql(h, q, { org: b.id }, a.member)).data.accessRequests).toMatchObject({ totalCount: 0, edges: [] });
    expect((await gql(h, q, { org: null }, null)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

function portalAdminOther() {
  return { sub: `admin-${Math.random().toString(36).slice(2)}`, roles: ['portal_admin'] };
}
