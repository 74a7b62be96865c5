import {
  activeOrganization,
  call,
  codes,
  createApp,
  developer,
  gql,
  join,
  M,
  mutate,
  sql,
  startHarness,
  unique,
  type Harness,
  type Identity,
} from '../../test/kit/developers';

/** Developer profiles and the organization lifecycle (request, approve, reject, suspend, reactivate). */
describe('developers: profiles and organization lifecycle', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const VIEWER = `{ viewer { subject developer { id subject email displayName createdAt } } }`;

  async function requestOrganization(who: Identity, slug = unique('req')) {
    return (await mutate(h, 'requestOrganization', M.requestOrganization, { name: `Req ${slug}`, slug }, who)).organization as {
      id: string;
      slug: string;
      status: string;
      viewerRole: string;
    };
  }

  describe('developer profile', () => {
    it('is null until registered, then comes from the token (subject, email) and the input (display name)', async () => {
      const me = developer();
      expect((await gql(h, VIEWER, {}, me)).data.viewer).toEqual({ subject: me.sub, developer: null });

      const registered = await call(h, 'registerDeveloper', { displayName: '  Ada Lovelace ' }, me);
      expect(registered.errors).toBeUndefined();
      expect(registered.data.registerDeveloper).toEqual({
        developer: { id: expect.any(String), subject: me.sub, email: me.email, displayName: 'Ada Lovelace' },
        errors: [],
      });
      const viewer = await gql(h, VIEWER, {}, me);
      expect(viewer.data.viewer.developer).toMatchObject({
        id: registered.data.registerDeveloper.developer.id,
        displayName: 'Ada Lovelace',
      });

      // Registering again updates the same profile; a new email in the token replaces the old one.
      const renamed = await call(h, 'registerDeveloper', { displayName: 'Ada King' }, { ...me, email: 'ada@new.example.com' });
      expect(renamed.data.registerDeveloper.developer).toEqual({
        id: registered.data.registerDeveloper.developer.id,
        subject: me.sub,
        email: 'ada@new.example.com',
        displayName: 'Ada King',
      });
      expect(await sql(h, 'select count(*)::int as n from developers.developer where subject = ?', [me.sub])).toEqual([{ n: 1 }]);
    });

    it('refuses anonymous callers, bad names and client-supplied identity, writing nothing', async () => {
      const anonymous = await call(h, 'registerDeveloper', { displayName: 'X' }, null);
      expect(codes(anonymous, 'registerDeveloper')).toEqual(['UNAUTHENTICATED']);

      const me = developer();
      for (const displayName of ['   ', 'x'.repeat(121)]) {
        const bad = await call(h, 'registerDeveloper', { displayName }, me);
        expect(bad.data.registerDeveloper).toEqual({
          developer: null,
          errors: [{ code: 'VALIDATION_FAILED', field: 'input.displayName', message: expect.any(String) }],
        });
      }
      const forged = await call(h, 'registerDeveloper', { displayName: 'Mallory', subject: 'someone-else', email: 'x@y.z' }, me);
      expect(forged.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT'); // unknown input fields: the schema has no way to pass identity
      expect((await gql(h, VIEWER, {}, me)).data.viewer.developer).toBeNull();
    });

    it('is created by the first successful mutation, named from the token', async () => {
      const named: Identity = { ...developer(), name: 'Grace Hopper' };
      await requestOrganization(named);
      expect((await gql(h, VIEWER, {}, named)).data.viewer.developer).toMatchObject({
        subject: named.sub,
        email: named.email,
        displayName: 'Grace Hopper',
      });

      const plain = developer();
      // A failed mutation writes nothing, not even the profile.
      const failed = await call(h, 'requestOrganization', { name: '', slug: 'Not A Slug' }, plain);
      expect(codes(failed, 'requestOrganization')).toEqual(['VALIDATION_FAILED', 'VALIDATION_FAILED']);
      expect((await gql(h, VIEWER, {}, plain)).data.viewer.developer).toBeNull();
      await requestOrganization(plain);
      expect((await gql(h, VIEWER, {}, plain)).data.viewer.developer).toMatchObject({ displayName: plain.sub });
    });

    it('creates one profile when a developer’s first requests arrive together', async () => {
      const me = developer();
      const results = await Promise.all(
        [0, 1, 2, 3].map(() => call(h, 'requestOrganization', { name: 'Parallel', slug: unique('par') }, me)),
      );
      for (const r of results) expect(r.data.requestOrganization.errors).toEqual([]);
      expect(await sql(h, 'select count(*)::int as n from developers.developer where subject = ?', [me.sub])).toEqual([{ n: 1 }]);
    });
  });

  describe('requestOrganization', () => {
    it('creates a PENDING organization with the caller as ORG_ADMIN that published views do not treat as active', async () => {
      const me = developer();
      const org = await requestOrganization(me);
      expect(org).toMatchObject({ status: 'PENDING', viewerRole: 'ORG_ADMIN' });

      const listed = await gql(h, `{ organizations(filter: { status: [PENDING] }) { edges { node { id status } } } }`, {}, me);
      expect(listed.data.organizations.edges).toEqual([{ node: { id: org.id, status: 'PENDING' } }]);
      expect(
        await sql(h, 'select subject, role, organization_status from developers.membership_contract where organization_id = ?', [org.id]),
      ).toEqual([{ subject: me.sub, role: 'ORG_ADMIN', organization_status: 'PENDING' }]);
      expect(await sql(h, `select * from developers.organization_contract where id = ? and status = 'ACTIVE'`, [org.id])).toEqual([]);

      // Nothing can be built in it until it is approved.
      for (const [name, input] of [
        ['createTeam', { organizationId: org.id, name: 'Team' }],
        ['createApp', { organizationId: org.id, name: 'App' }],
        ['inviteMember', { organizationId: org.id, email: 'someone@example.com', role: 'MEMBER' }],
      ] as const) {
        const refused = await call(h, name, input, me);
        expect(refused.data[name].errors).toEqual([
          { code: 'ORGANIZATION_NOT_ACTIVE', field: null, message: expect.stringContaining('PENDING') },
        ]);
      }
    });

    it('refuses anonymous callers, invalid input and taken slugs', async () => {
      expect(codes(await call(h, 'requestOrganization', { name: 'X', slug: unique('anon') }, null), 'requestOrganization')).toEqual([
        'UNAUTHENTICATED',
      ]);
      const slug = unique('taken');
      await requestOrganization(developer(), slug);
      const latecomer = developer();
      const dup = await call(h, 'requestOrganization', { name: 'Again', slug }, latecomer);
      expect(dup.data.requestOrganization).toEqual({
        organization: null,
        errors: [{ code: 'ALREADY_EXISTS', field: 'input.slug', message: expect.stringContaining('slug') }],
      });
      expect(await sql(h, 'select * from developers.membership_contract where subject = ?', [latecomer.sub])).toEqual([]);
    });
  });

  describe('decisions', () => {
    it('approves PENDING → ACTIVE once; approving again changes nothing; rejecting afterwards is INVALID_TRANSITION', async () => {
      const owner = developer();
      const org = await requestOrganization(owner);
      expect(codes(await call(h, 'approveOrganization', { id: org.id }, owner), 'approveOrganization')).toEqual(['FORBIDDEN']);
      expect(codes(await call(h, 'approveOrganization', { id: org.id }, null), 'approveOrganization')).toEqual(['UNAUTHENTICATED']);

      const approved = await mutate(h, 'approveOrganization', M.approveOrganization, { id: org.id }, h.admin);
      expect(approved.organization).toEqual({
        id: org.id,
        status: 'ACTIVE',
        decidedBy: h.admin.sub,
        decidedAt: expect.any(String),
        decisionReason: null,
      });

      const again = await call(h, 'approveOrganization', { id: org.id }, h.admin);
      expect(again.data.approveOrganization).toEqual({ organization: approved.organization, errors: [] });

      const reject = await call(h, 'rejectOrganization', { id: org.id, reason: 'Too late' }, h.admin);
      expect(reject.data.rejectOrganization).toEqual({
        organization: null,
        errors: [{ code: 'INVALID_TRANSITION', field: null, message: expect.stringContaining('ACTIVE') }],
      });
      expect(await sql(h, 'select status, decision_reason from developers.organization where id = ?', [org.id])).toEqual([
        { status: 'ACTIVE', decision_reason: null },
      ]);
      // Now it counts for consumers of the published views, and its admin can build in it.
      expect(await sql(h, 'select organization_status from developers.membership_contract where organization_id = ?', [org.id])).toEqual([
        { organization_status: 'ACTIVE' },
      ]);
      await createApp(h, org.id, owner);
    });

    it('rejects PENDING → REJECTED with a reason; rejecting again keeps the first decision; approving afterwards is INVALID_TRANSITION', async () => {
      const owner = developer();
      const org = await requestOrganization(owner);
      const blank = await call(h, 'rejectOrganization', { id: org.id, reason: '  ' }, h.admin);
      expect(blank.data.rejectOrganization.errors).toEqual([
        { code: 'VALIDATION_FAILED', field: 'input.reason', message: expect.any(String) },
      ]);

      const rejected = await mutate(h, 'rejectOrganization', M.rejectOrganization, { id: org.id, reason: ' Unknown company ' }, h.admin);
      expect(rejected.organization).toMatchObject({ status: 'REJECTED', decidedBy: h.admin.sub, decisionReason: 'Unknown company' });
      const again = await call(h, 'rejectOrganization', { id: org.id, reason: 'Another reason' }, h.admin);
      expect(again.data.rejectOrganization).toEqual({ organization: rejected.organization, errors: [] });
      expect(codes(await call(h, 'approveOrganization', { id: org.id }, h.admin), 'approveOrganization')).toEqual(['INVALID_TRANSITION']);
      expect(codes(await call(h, 'suspendOrganization', { id: org.id, reason: 'x' }, h.admin), 'suspendOrganization')).toEqual([
        'INVALID_TRANSITION',
      ]);
      expect(codes(await call(h, 'reactivateOrganization', { id: org.id }, h.admin), 'reactivateOrganization')).toEqual([
        'INVALID_TRANSITION',
      ]);
    });

    it('shows the decision to portal admins and the organization’s ORG_ADMINs only', async () => {
      const owner = developer();
      const member = developer();
      const org = await requestOrganization(owner);
      await mutate(h, 'approveOrganization', M.approveOrganization, { id: org.id }, h.admin);
      await join(h, org.id, member, 'MEMBER');
      const q = `query($id: ID!) { organization(id: $id) { decidedBy decidedAt decisionReason } }`;
      expect((await gql(h, q, { id: org.id }, owner)).data.organization).toEqual({
        decidedBy: h.admin.sub,
        decidedAt: expect.any(String),
        decisionReason: null,
      });
      expect((await gql(h, q, { id: org.id }, member)).data.organization).toEqual({
        decidedBy: null,
        decidedAt: null,
        decisionReason: null,
      });
      expect((await gql(h, q, { id: org.id }, h.admin)).data.organization.decidedBy).toBe(h.admin.sub);
    });

    it('answers NOT_FOUND to portal admins for unknown ids', async () => {
      const r = await call(h, 'approveOrganization', { id: '00000000-0000-4000-8000-000000000000' }, h.admin);
      expect(r.data.approveOrganization.errors).toEqual([{ code: 'NOT_FOUND', field: 'input.id', message: expect.any(String) }]);
      // A malformed id is refused before the resolver (common/input-boundary.ts).
      expect((await call(h, 'approveOrganization', { id: 'not-a-uuid' }, h.admin)).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.id',
      });
    });

    it('decides a request exactly once when approval and rejection race', async () => {
      const org = await requestOrganization(developer());
      const [approve, reject] = await Promise.all([
        call(h, 'approveOrganization', { id: org.id }, h.admin),
        call(h, 'rejectOrganization', { id: org.id, reason: 'Race' }, h.admin),
      ]);
      const outcomes = [approve.data.approveOrganization.errors.length, reject.data.rejectOrganization.errors.length].sort();
      expect(outcomes).toEqual([0, 1]);
      const [row] = await sql(h, 'select status from developers.organization where id = ?', [org.id]);
      expect(row.status).toBe(approve.data.approveOrganization.errors.length ? 'REJECTED' : 'ACTIVE');
    });

    it('suspends ACTIVE organizations (read-only for members) and reactivates them, idempotently', async () => {
      const owner = developer();
      const org = await activeOrganization(h, owner);
      const app = await createApp(h, org.id, owner);

      expect(codes(await call(h, 'suspendOrganization', { id: org.id, reason: 'Abuse' }, owner), 'suspendOrganization')).toEqual([
        'FORBIDDEN',
      ]);
      const suspended = await mutate(h, 'suspendOrganization', M.suspendOrganization, { id: org.id, reason: 'Abuse report #12' }, h.admin);
      expect(suspended.organization).toMatchObject({ status: 'SUSPENDED', decisionReason: 'Abuse report #12' });
      const again = await call(h, 'suspendOrganization', { id: org.id, reason: 'Other' }, h.admin);
      expect(again.data.suspendOrganization).toEqual({ organization: suspended.organization, errors: [] });
      expect(codes(await call(h, 'approveOrganization', { id: org.id }, h.admin), 'approveOrganization')).toEqual(['INVALID_TRANSITION']);
      expect(codes(await call(h, 'rejectOrganization', { id: org.id, reason: 'x' }, h.admin), 'rejectOrganization')).toEqual([
        'INVALID_TRANSITION',
      ]);

      // Members still read; they cannot create or change anything.
      const read = await gql(h, `query($id: ID!) { app(id: $id) { id organization { status } } }`, { id: app.id }, owner);
      expect(read.data.app).toEqual({ id: app.id, organization: { status: 'SUSPENDED' } });
      expect(codes(await call(h, 'createApp', { organizationId: org.id, name: 'New' }, owner), 'createApp')).toEqual([
        'ORGANIZATION_NOT_ACTIVE',
      ]);
      expect(codes(await call(h, 'updateApp', { id: app.id, name: 'Renamed' }, owner), 'updateApp')).toEqual(['ORGANIZATION_NOT_ACTIVE']);

      const reactivated = await mutate(h, 'reactivateOrganization', M.reactivateOrganization, { id: org.id }, h.admin);
      expect(reactivated.organization).toMatchObject({ status: 'ACTIVE', decidedBy: h.admin.sub, decisionReason: null });
      const twice = await call(h, 'reactivateOrganization', { id: org.id }, h.admin);
      expect(twice.data.reactivateOrganization).toEqual({ organization: reactivated.organization, errors: [] });
      await mutate(h, 'updateApp', M.updateApp, { id: app.id, name: 'Renamed' }, owner);

      const pending = await requestOrganization(developer());
      expect(codes(await call(h, 'suspendOrganization', { id: pending.id, reason: 'x' }, h.admin), 'suspendOrganization')).toEqual([
        'INVALID_TRANSITION',
      ]);
      expect(codes(await call(h, 'reactivateOrganization', { id: pending.id }, h.admin), 'reactivateOrganization')).toEqual([
        'INVALID_TRANSITION',
      ]);
    });
  });
});
