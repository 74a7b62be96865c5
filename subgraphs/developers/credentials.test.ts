import { createHash } from 'node:crypto';
import { waitFor } from '../../test/helpers/wait';
import {
  call,
  CRED,
  errorsOf,
  gql,
  loggedJobs,
  offer,
  ok,
  organization,
  portalAdmin,
  queuedJobs,
  sql,
  startAccessHarness,
  type AccessHarness,
  type Identity,
} from '../../test/kit/access';
import { createApp, join } from '../../test/kit/developers';
import { openSecret } from './secrets';

/** Credentials: secrets shown exactly once, the published view, rotation, revocation, entitlements. */
describe('developers: credentials', () => {
  let h: AccessHarness;
  beforeAll(async () => {
    h = await startAccessHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
  const SECRET = /^pgk_[0-9A-Za-z]{46}$/;
  const DAY = 86_400;

  /** Labels of the responses recorded since `from` whose JSON contains `secret`. */
  function responsesWith(secret: string, from: number): string[] {
    return h.responses
      .slice(from)
      .filter((r) => JSON.stringify(r.body).includes(secret))
      .map((r) => r.label);
  }

  /** The secret must not be stored, logged as an event, or queued as a job in plain text. */
  async function notStoredInPlain(secret: string): Promise<void> {
    const found = await sql(
      h,
      `select (select count(*)::int from developers.credential c where row_to_json(c)::text like ?) as credentials,
              (select count(*)::int from platform.event e where e.payload::text like ?) as events,
              (select count(*)::int from graphile_worker._private_jobs j where j.payload::text like ?) as jobs`,
      [`%${secret}%`, `%${secret}%`, `%${secret}%`],
    );
    expect(found).toEqual([{ credentials: 0, events: 0, jobs: 0 }]);
  }

  describe('auto-approve', () => {
    it('returns the secret once in requestAccess; it is never shown again', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true });
      const from = h.responses.length;
      const result = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      expect(result.accessRequest).toMatchObject({
        status: 'APPROVED',
        kind: 'NEW_ACCESS',
        decidedBy: null,
        credential: { id: result.credential.id },
      });
      expect(result.secret).toMatch(SECRET);
      expect(result.credential).toMatchObject({
        status: 'ACTIVE',
        secretRevealed: true,
        prefix: result.secret.slice(0, 12),
        plan: { id: planId },
      });
      const [row] = await sql(h, 'select secret_hash, reveal_secret_encrypted, approved_by from developers.credential where id = ?', [
        result.credential.id,
      ]);
      expect(row).toEqual({ secret_hash: sha256(result.secret), reveal_secret_encrypted: null, approved_by: null });

      const reveal = await call(h, 'revealCredentialSecret', { id: result.credential.id }, org.member);
      expect(errorsOf(reveal, 'revealCredentialSecret')).toEqual([{ code: 'ALREADY_REVEALED', field: 'input.id' }]);
      await gql(
        h,
        `query($id: ID!) { credential(id: $id) { ${CRED} } organization(id: $id) { id } }`,
        { id: result.credential.id },
        org.member,
      );
      expect(responsesWith(result.secret, from)).toHaveLength(1);
      await notStoredInPlain(result.secret);
    });
  });

  describe('manual approval and the one-time reveal', () => {
    it('never gives the secret to the approver; one member reveals it once', async () => {
      const org = await organization(h);
      const admin = portalAdmin();
      const approver: Identity = { ...admin, email: `${admin.sub}@example.com` };
      // The approving admin is even a member of the organization: still refused.
      await join(h, org.id, approver, 'MEMBER');
      const { planId, productIds } = await offer(h);
      const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const from = h.responses.length;
      const approved = await ok(h, 'approveAccessRequest', { id: accessRequest.id }, approver);
      const credential = approved.accessRequest.credential;
      expect(credential).toMatchObject({ status: 'ACTIVE', secretRevealed: false });

      const byApprover = await call(h, 'revealCredentialSecret', { id: credential.id }, approver);
      expect(errorsOf(byApprover, 'revealCredentialSecret')).toEqual([{ code: 'FORBIDDEN' }]);
      const byOtherAdmin = await call(h, 'revealCredentialSecret', { id: credential.id }, h.admin);
      expect(errorsOf(byOtherAdmin, 'revealCredentialSecret')).toEqual([{ code: 'FORBIDDEN' }]);
      const byOutsider = await call(h, 'revealCredentialSecret', { id: credential.id }, (await organization(h)).owner);
      expect(errorsOf(byOutsider, 'revealCredentialSecret')).toEqual([{ code: 'FORBIDDEN' }]);

      const revealed = await ok(h, 'revealCredentialSecret', { id: credential.id }, org.owner);
      expect(revealed.secret).toMatch(SECRET);
      expect(revealed.credential).toMatchObject({ id: credential.id, secretRevealed: true, prefix: revealed.secret.slice(0, 12) });
      const [row] = await sql(h, 'select secret_hash, reveal_secret_encrypted, approved_by from developers.credential where id = ?', [
        credential.id,
      ]);
      expect(row).toEqual({ secret_hash: sha256(revealed.secret), reveal_secret_encrypted: null, approved_by: approver.sub });

      for (const who of [org.owner, org.member]) {
        const second = await call(h, 'revealCredentialSecret', { id: credential.id }, who);
        expect(errorsOf(second, 'revealCredentialSecret')).toEqual([{ code: 'ALREADY_REVEALED', field: 'input.id' }]);
      }
      await gql(h, `query($id: ID!) { credential(id: $id) { ${CRED} } }`, { id: credential.id }, approver);
      // Of every response since the approval, only the reveal carried the secret.
      expect(responsesWith(revealed.secret, from)).toEqual([expect.stringContaining('revealCredentialSecret')]);
      await notStoredInPlain(revealed.secret);
    });
  });

  describe('the published view developers.credential_contract', () => {
    it('holds the row the provider needs, and the jobs are enqueued with it', async () => {
      const org = await organization(h);
      const lifetime = 30 * DAY;
      const { planId, productIds } = await offer(h, {
        autoApprove: true,
        keyExpiresAfterSeconds: lifetime,
        credentialMetadata: [
          { key: 'team', value: 'growth' },
          { key: 'billing.code', value: 'B-7' },
        ],
      });
      const { credential, secret } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const rows = await sql(h, 'select * from developers.credential_contract where id = ?', [credential.id]);
      expect(rows).toHaveLength(1);
      const row = rows[0];
      expect(Object.keys(row)).toEqual([
        'id',
        'app_id',
        'organization_id',
        'plan_id',
        'product_ids',
        'status',
        'expires_at',
        'revokes_at',
        'alias',
        'metadata',
        'pending_secret_encrypted',
        'replaces_credential_id',
        'created_at',
        'version',
        'kind',
      ]);
      const [app] = await sql(h, 'select name from developers.app where id = ?', [org.app.id]);
      expect(row).toMatchObject({
        id: credential.id,
        app_id: org.app.id,
        organization_id: org.id,
        plan_id: planId,
        product_ids: [...productIds].sort(),
        status: 'ACTIVE',
        revokes_at: null,
        alias: `${app.name} (${secret.slice(0, 12)})`,
        metadata: { team: 'growth', 'billing.code': 'B-7', DeveloperID: org.member.sub, ApplicationID: org.app.id, OrganisationID: org.id },
        replaces_credential_id: null,
        version: 1,
      });
      expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(lifetime * 1000);
      expect(row.pending_secret_encrypted).not.toContain(secret);
      expect(openSecret(row.pending_secret_encrypted)).toBe(secret);
      expect(credential.metadata).toEqual([
        { key: 'ApplicationID', value: org.app.id },
        { key: 'DeveloperID', value: org.member.sub },
        { key: 'OrganisationID', value: org.id },
        { key: 'billing.code', value: 'B-7' },
        { key: 'team', value: 'growth' },
      ]);

      expect(await loggedJobs(h, credential.id)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ task: 'provider.issueKey', key: `key:${credential.id}`, payload: { credentialId: credential.id } }),
        ]),
      );
      const warnAt = new Date(new Date(row.expires_at).getTime() - 604_800_000);
      expect(await queuedJobs(h, credential.id)).toEqual(
        expect.arrayContaining([
          {
            task: 'developers.credentialExpiring',
            key: `credential-expiring:${credential.id}`,
            payload: { credentialId: credential.id, expiresAt: new Date(row.expires_at).toISOString() },
            run_at: warnAt,
          },
        ]),
      );

      const [requests] = await sql(h, 'select * from developers.access_request_contract where organization_id = ?', [org.id]);
      expect(Object.keys(requests)).toEqual(['id', 'app_id', 'organization_id', 'plan_id', 'product_ids', 'status', 'created_at']);
      expect(requests).toMatchObject({ app_id: org.app.id, plan_id: planId, product_ids: [...productIds].sort(), status: 'APPROVED' });
    });
  });

  describe('rotation', () => {
    it('issues a new credential with a new secret; the old one works until revokesAt, when jobs revoke it', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true, credentialMetadata: [{ key: 'env', value: 'prod' }] });
      const first = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const from = h.responses.length;
      const rotated = await ok(h, 'rotateCredential', { id: first.credential.id }, org.owner);
      const next = rotated.credential;
      const old = rotated.replacedCredential;
      expect(rotated.secret).toMatch(SECRET);
      expect(rotated.secret).not.toBe(first.secret);
      expect(next).toMatchObject({
        status: 'ACTIVE',
        secretRevealed: true,
        plan: { id: planId },
        app: { id: org.app.id },
        replaces: { id: old.id },
        replacedBy: null,
        metadata: first.credential.metadata,
        prefix: rotated.secret.slice(0, 12),
      });
      expect(next.products).toEqual(first.credential.products);
      expect(old).toMatchObject({ id: first.credential.id, status: 'ACTIVE', replacedBy: { id: next.id }, revokedAt: null });
      expect(new Date(old.revokesAt).getTime() - new Date(next.createdAt).getTime()).toBe(DAY * 1000);
      expect((await sql(h, 'select secret_hash from developers.credential where id = ?', [next.id]))[0].secret_hash).toBe(
        sha256(rotated.secret),
      );
      expect(responsesWith(rotated.secret, from)).toHaveLength(1);

      const revokesAt = new Date(old.revokesAt);
      const queued = await queuedJobs(h, old.id);
      expect(queued).toEqual(
        expect.arrayContaining([
          { task: 'provider.revokeKey', key: `revoke:${old.id}`, payload: { credentialId: old.id }, run_at: revokesAt },
          {
            task: 'developers.credentialRevoked',
            key: `credential-revoked:${old.id}`,
            payload: { credentialId: old.id },
            run_at: revokesAt,
          },
        ]),
      );
      expect(await loggedJobs(h, next.id)).toEqual(
        expect.arrayContaining([expect.objectContaining({ task: 'provider.issueKey', key: `key:${next.id}` })]),
      );
      const [view] = await sql(h, 'select status, revokes_at, version from developers.credential_contract where id = ?', [old.id]);
      expect({ ...view, revokes_at: new Date(view.revokes_at) }).toEqual({ status: 'ACTIVE', revokes_at: revokesAt, version: 2 });

      const again = await call(h, 'rotateCredential', { id: old.id }, org.member);
      expect(errorsOf(again, 'rotateCredential')).toEqual([{ code: 'ALREADY_ROTATED', field: 'input.id' }]);
      for (const grace of [-1, 2_592_001]) {
        const bad = await call(h, 'rotateCredential', { id: next.id, gracePeriodSeconds: grace }, org.member);
        expect(errorsOf(bad, 'rotateCredential')).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.gracePeriodSeconds' }]);
      }
      // Portal admins who are not members do not rotate (they revoke).
      expect(errorsOf(await call(h, 'rotateCredential', { id: next.id }, h.admin), 'rotateCredential')).toEqual([{ code: 'FORBIDDEN' }]);
    });

    it('with no grace period revokes the old credential at once (the job marks it REVOKED)', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true });
      const first = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const rotated = await ok(h, 'rotateCredential', { id: first.credential.id, gracePeriodSeconds: 0 }, org.member);
      expect(rotated.replacedCredential.status).toBe('REVOKED');
      expect(rotated.replacedCredential.revokesAt).toBe(rotated.credential.createdAt);
      const row = await waitFor(
        async () =>
          (
            await sql(h, `select status, revoked_at, version from developers.credential where id = ? and status = 'REVOKED'`, [
              first.credential.id,
            ])
          )[0],
        { what: 'developers.credentialRevoked to mark the old credential REVOKED' },
      );
      expect({ ...row, revoked_at: new Date(row.revoked_at) }).toEqual({
        status: 'REVOKED',
        revoked_at: new Date(rotated.credential.createdAt),
        version: 3,
      });
      expect(await loggedJobs(h, first.credential.id)).toEqual(
        expect.arrayContaining([expect.objectContaining({ task: 'provider.revokeKey', key: `revoke:${first.credential.id}` })]),
      );
    });
  });

  describe('revocation', () => {
    it('revokes now for members and for any portal admin, idempotently', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true });
      const a = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const revoked = await ok(h, 'revokeCredential', { id: a.credential.id }, org.member);
      expect(revoked.credential).toMatchObject({ id: a.credential.id, status: 'REVOKED', revokedAt: expect.any(String) });
      const [row] = await sql(
        h,
        'select c.status, c.version, x.revoked_by from developers.credential_contract c join developers.credential x using (id) where id = ?',
        [a.credential.id],
      );
      expect(row).toEqual({ status: 'REVOKED', version: 2, revoked_by: org.member.sub });
      expect(await loggedJobs(h, a.credential.id)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            task: 'provider.revokeKey',
            key: `revoke:${a.credential.id}`,
            payload: { credentialId: a.credential.id },
          }),
        ]),
      );
      const again = await ok(h, 'revokeCredential', { id: a.credential.id }, org.owner);
      expect(again.credential.revokedAt).toBe(revoked.credential.revokedAt);
      expect((await sql(h, 'select version from developers.credential where id = ?', [a.credential.id]))[0].version).toBe(2);
      expect(errorsOf(await call(h, 'rotateCredential', { id: a.credential.id }, org.member), 'rotateCredential')).toEqual([
        { code: 'CREDENTIAL_NOT_ACTIVE', field: 'input.id' },
      ]);

      // A portal admin who is not a member may revoke any credential.
      const second = await createApp(h, org.id, org.member);
      const b = await ok(h, 'requestAccess', { appId: second.id, planId, productIds }, org.member);
      expect((await ok(h, 'revokeCredential', { id: b.credential.id }, h.admin)).credential.status).toBe('REVOKED');
      expect(
        errorsOf(await call(h, 'revokeCredential', { id: '00000000-0000-4000-8000-000000000000' }, h.admin), 'revokeCredential'),
      ).toEqual([{ code: 'NOT_FOUND', field: 'input.id' }]);
    });
  });

  describe('queries and entitlements', () => {
    it('lists credentials by status and answers entitlements (ACTIVE and EXPIRED, not REVOKED)', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true, keyExpiresAfterSeconds: 30 * DAY });
      const apps = [org.app, await createApp(h, org.id, org.member), await createApp(h, org.id, org.member)];
      const creds: any[] = [];
      for (const app of apps) creds.push((await ok(h, 'requestAccess', { appId: app.id, planId, productIds }, org.member)).credential);
      await ok(h, 'revokeCredential', { id: creds[1].id }, org.member);
      // Make the third one expired (as if its lifetime had passed).
      await sql(h, `update developers.credential set expires_at = now() - interval '1 minute' where id = ?`, [creds[2].id]);

      const q = `query($org: ID!, $app: ID!) {
        organization(id: $org) {
          active: credentials(status: [ACTIVE]) { totalCount edges { node { id status } } }
          expired: credentials(status: [EXPIRED]) { totalCount edges { node { id status } } }
          revoked: credentials(status: [REVOKED]) { totalCount edges { node { id status } } }
          all: credentials { totalCount }
          entitlements { status expiresAt app { id } credential { id prefix } plan { id } products { id } }
        }
        app(id: $app) { credentials { totalCount edges { node { id } } } }
        viewer { entitlements { credential { id } } }
      }`;
      const r = await gql(h, q, { org: org.id, app: apps[0].id }, org.member);
      expect(r.errors).toBeUndefined();
      const o = r.data.organization;
      expect(o.active).toEqual({ totalCount: 1, edges: [{ node: { id: creds[0].id, status: 'ACTIVE' } }] });
      expect(o.expired).toEqual({ totalCount: 1, edges: [{ node: { id: creds[2].id, status: 'EXPIRED' } }] });
      expect(o.revoked).toEqual({ totalCount: 1, edges: [{ node: { id: creds[1].id, status: 'REVOKED' } }] });
      expect(o.all.totalCount).toBe(3);
      expect(o.entitlements).toEqual([
        {
          status: 'ACTIVE',
          expiresAt: creds[0].expiresAt,
          app: { id: apps[0].id },
          credential: { id: creds[0].id, prefix: creds[0].prefix },
          plan: { id: planId },
          products: creds[0].products,
        },
        {
          status: 'EXPIRED',
          expiresAt: expect.any(String),
          app: { id: apps[2].id },
          credential: { id: creds[2].id, prefix: creds[2].prefix },
          plan: { id: planId },
          products: creds[2].products,
        },
      ]);
      expect(r.data.app.credentials).toEqual({ totalCount: 1, edges: [{ node: { id: creds[0].id } }] });
      expect(r.data.viewer.entitlements).toEqual([{ credential: { id: creds[0].id } }, { credential: { id: creds[2].id } }]);
      // Portal admins read entitlements of any organization; outsiders see no organization at all.
      expect((await gql(h, q, { org: org.id, app: apps[0].id }, h.admin)).data.organization.entitlements).toHaveLength(2);
      expect((await gql(h, q, { org: org.id, app: apps[0].id }, (await organization(h)).owner)).data.organization).toBeNull();
    });

    it('answers entitlements with the same number of SQL statements for 1 and 10 credentials', async () => {
      const q = `query($org: ID!) { organization(id: $org) {
        entitlements { status expiresAt app { id name organization { id } } credential { id prefix status metadata { key } replaces { id } replacedBy { id } organization { id } } plan { id } products { id } }
      } viewer { entitlements { app { id } credential { id replacedBy { id } } } } }`;
      const counts: number[] = [];
      for (const size of [1, 10]) {
        const org = await organization(h);
        const { planId, productIds } = await offer(h, { autoApprove: true });
        const apps = [org.app];
        for (let i = 1; i < size; i++) apps.push(await createApp(h, org.id, org.member));
        const ids: string[] = [];
        for (const app of apps) ids.push((await ok(h, 'requestAccess', { appId: app.id, planId, productIds }, org.member)).credential.id);
        // One of them rotated, so replaces / replacedBy have something to find.
        await ok(h, 'rotateCredential', { id: ids[0] }, org.member);
        h.queries.length = 0;
        const r = await gql(h, q, { org: org.id }, org.member);
        expect(r.errors).toBeUndefined();
        expect(r.data.organization.entitlements).toHaveLength(size + 1);
        counts.push(h.queries.filter((s) => /^\s*(select|with)\b/i.test(s)).length);
      }
      expect(counts[1]).toBe(counts[0]);
      expect(counts[0]).toBeLessThanOrEqual(10);
    });
  });
});
