/**
 * Governance in the developers subgraph: `revokeOrganizationCredentials` (step-up),
 * `auditLog` (portal admins: everything; ORG_ADMINs: their organizations only; others FORBIDDEN)
 * and `verifyAuditLog` on the shared test database.
 */
import { randomUUID } from 'node:crypto';
import {
  CRED,
  developer,
  errorsOf,
  gql,
  loggedJobs,
  offer,
  ok,
  organization,
  portalAdmin,
  sql,
  startAccessHarness,
  type AccessHarness,
  type Identity,
} from '../../test/kit/access';

const mfa = (identity: Identity): Identity => ({ ...identity, amr: ['pwd', 'mfa'] });

const REVOKE_ALL = `mutation($input: RevokeOrganizationCredentialsInput!) { revokeOrganizationCredentials(input: $input) {
  organization { id } revokedCredentials { ${CRED} } errors { code field message } } }`;
const AUDIT = `query($filter: AuditLogFilter, $first: Int, $after: String) { auditLog(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id occurredAt subgraph actor actorRoles action change targetType targetId organizationId before after requestId hash prevHash } } } }`;
const VERIFY = `{ verifyAuditLog { valid checkedEntries firstBrokenId reason } }`;

describe('developers: governance', () => {
  let h: AccessHarness;
  beforeAll(async () => {
    h = await startAccessHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** An organization whose member holds two ACTIVE credentials (auto-approved). */
  async function withCredentials() {
    const org = await organization(h);
    const first = await offer(h, { autoApprove: true });
    const second = await offer(h, { autoApprove: true });
    const a = await ok(h, 'requestAccess', { appId: org.app.id, planId: first.planId, productIds: first.productIds }, org.member);
    const b = await ok(h, 'requestAccess', { appId: org.app.id, planId: second.planId, productIds: second.productIds }, org.member);
    return { org, credentials: [a.credential.id as string, b.credential.id as string] };
  }

  describe('revokeOrganizationCredentials', () => {
    it('needs a portal admin with MFA; without it nothing is revoked', async () => {
      const { org, credentials } = await withCredentials();
      const input = { organizationId: org.id, reason: 'Leaked keys' };
      const noMfa = await gql(h, REVOKE_ALL, { input }, portalAdmin());
      expect(noMfa.errors?.[0]?.extensions?.code).toBe('MFA_REQUIRED');
      expect((await gql(h, REVOKE_ALL, { input }, mfa(org.owner))).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, REVOKE_ALL, { input }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const rows = await sql(h, `select status from developers.credential where id in (?, ?)`, credentials);
      expect(rows.map((r: any) => r.status)).toEqual(['ACTIVE', 'ACTIVE']);
    });

    it('revokes every ACTIVE credential in one go, deletes their keys, publishes one event each, and records the reason', async () => {
      const { org, credentials } = await withCredentials();
      const admin = mfa(portalAdmin());
      const result = await gql(h, REVOKE_ALL, { input: { organizationId: org.id, reason: '  Leaked keys  ' } }, admin);
      expect(result.errors).toBeUndefined();
      const payload = result.data.revokeOrganizationCredentials;
      expect(payload.errors).toEqual([]);
      expect(payload.organization).toEqual({ id: org.id });
      expect(payload.revokedCredentials.map((c: any) => c.id).sort()).toEqual([...credentials].sort());
      expect(payload.revokedCredentials.every((c: any) => c.status === 'REVOKED')).toBe(true);

      const rows = await sql(h, `select status, revoked_by from developers.credential where organization_id = ?`, [org.id]);
      expect(rows).toEqual([
        { status: 'REVOKED', revoked_by: admin.sub },
        { status: 'REVOKED', revoked_by: admin.sub },
      ]);
      for (const id of credentials) {
        expect(await loggedJobs(h, id)).toEqual(
          expect.arrayContaining([expect.objectContaining({ task: 'provider.revokeKey', key: `revoke:${id}` })]),
        );
      }
      // One stored (and published) CREDENTIAL_REVOKED per credential.
      const events = await sql(
        h,
        `select payload->>'credentialId' as id from platform.event where payload->>'type' = 'CREDENTIAL_REVOKED' and payload->>'organizationId' = ?`,
        [org.id],
      );
      expect(events.map((e: any) => e.id).sort()).toEqual([...credentials].sort());

      const audit = await sql(
        h,
        `select actor, action, change, target_type, organization_id::text as organization_id, after from platform.audit_log where action = 'revokeOrganizationCredentials' and target_id = ?`,
        [org.id],
      );
      expect(audit.find((a: any) => a.change === 'CALL')).toMatchObject({
        actor: admin.sub,
        target_type: 'Organization',
        organization_id: org.id,
        after: { reason: 'Leaked keys' },
      });
      expect(audit.find((a: any) => a.change === 'CALL').after.revokedCredentialIds.sort()).toEqual([...credentials].sort());

      // Again: nothing more to revoke.
      const again = await gql(h, REVOKE_ALL, { input: { organizationId: org.id, reason: 'again' } }, admin);
      expect(again.data.revokeOrganizationCredentials).toMatchObject({ errors: [], revokedCredentials: [] });
      const missing = await gql(h, REVOKE_ALL, { input: { organizationId: randomUUID(), reason: 'x' } }, admin);
      expect(errorsOf(missing, 'revokeOrganizationCredentials')).toEqual([{ code: 'NOT_FOUND', field: 'input.organizationId' }]);
      const noReason = await gql(h, REVOKE_ALL, { input: { organizationId: org.id, reason: '   ' } }, admin);
      expect(errorsOf(noReason, 'revokeOrganizationCredentials')).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.reason' }]);
    });
  });

  describe('auditLog', () => {
    it('shows an ORG_ADMIN only their organization’s entries, refuses members and outsiders', async () => {
      const mine = await withCredentials();
      const theirs = await withCredentials();
      const owner = mine.org.owner;

      const all = await gql(h, AUDIT, { first: 100 }, owner);
      expect(all.errors).toBeUndefined();
      const nodes = all.data.auditLog.edges.map((e: any) => e.node);
      expect(nodes.length).toBeGreaterThan(0);
      expect(new Set(nodes.map((n: any) => n.organizationId))).toEqual(new Set([mine.org.id]));
      // Newest first, with the credential creation among them (secret material redacted).
      const ids = nodes.map((n: any) => Number(n.id));
      expect([...ids].sort((a, b) => b - a)).toEqual(ids);
      const created = nodes.find((n: any) => n.targetType === 'Credential' && n.change === 'CREATE' && n.targetId === mine.credentials[0]);
      expect(created).toMatchObject({
        subgraph: 'developers',
        action: 'requestAccess',
        actor: mine.org.member.sub,
        requestId: expect.any(String),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(created.after).toMatchObject({ secretHash: '[redacted]', pendingSecretEncrypted: '[redacted]' });
      // Rows that reach their organization through a relation (apps, memberships, …) are filed under it too.
      const byApp = await gql(h, AUDIT, { filter: { targetType: 'App', targetId: mine.org.app.id } }, owner);
      expect(byApp.data.auditLog.edges.map((e: any) => [e.node.action, e.node.change, e.node.organizationId])).toEqual([
        ['createApp', 'CREATE', mine.org.id],
      ]);
      const memberships = await gql(h, AUDIT, { filter: { targetType: 'OrganizationMember' }, first: 100 }, owner);
      expect(memberships.data.auditLog.edges.length).toBeGreaterThanOrEqual(2);

      // Asking for another organization is FORBIDDEN; filters narrow within the own organization.
      expect((await gql(h, AUDIT, { filter: { organizationId: theirs.org.id } }, owner)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const narrowed = await gql(
        h,
        AUDIT,
        { filter: { organizationId: mine.org.id, targetType: 'Credential', targetId: mine.credentials[1] } },
        owner,
      );
      expect(narrowed.data.auditLog.edges.map((e: any) => e.node.targetId)).toEqual([mine.credentials[1]]);
      // A member (no ORG_ADMIN anywhere), a developer without organization: FORBIDDEN; anonymous: UNAUTHENTICATED.
      expect((await gql(h, AUDIT, {}, mine.org.member)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, AUDIT, {}, developer())).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, AUDIT, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('lets portal admins read and filter everything, page by page', async () => {
      const { org } = await withCredentials();
      const admin = portalAdmin();
      const filter = { organizationId: org.id };
      const first = await gql(h, AUDIT, { filter, first: 2 }, admin);
      expect(first.errors).toBeUndefined();
      const total = first.data.auditLog.totalCount;
      expect(total).toBeGreaterThan(2);
      expect(first.data.auditLog.pageInfo.hasNextPage).toBe(true);
      const seen: string[] = first.data.auditLog.edges.map((e: any) => e.node.id);
      let after = first.data.auditLog.pageInfo.endCursor;
      while (after) {
        const page = await gql(h, AUDIT, { filter, first: 2, after }, admin);
        seen.push(...page.data.auditLog.edges.map((e: any) => e.node.id));
        after = page.data.auditLog.pageInfo.hasNextPage ? page.data.auditLog.pageInfo.endCursor : null;
      }
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);

      const byActor = await gql(h, AUDIT, { filter: { ...filter, actor: org.member.sub, action: 'requestAccess' }, first: 100 }, admin);
      expect(byActor.data.auditLog.edges.length).toBeGreaterThan(0);
      expect(byActor.data.auditLog.edges.every((e: any) => e.node.actor === org.member.sub && e.node.action === 'requestAccess')).toBe(
        true,
      );
      const future = await gql(h, AUDIT, { filter: { ...filter, from: new Date(Date.now() + 3_600_000).toISOString() } }, admin);
      expect(future.data.auditLog.totalCount).toBe(0);
      const past = await gql(h, AUDIT, { filter: { ...filter, to: new Date(Date.now() - 3_600_000).toISOString() } }, admin);
      expect(past.data.auditLog.totalCount).toBe(0);
      expect((await gql(h, AUDIT, { filter: { organizationId: 'nope' } }, admin)).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'filter.organizationId',
      });
      expect((await gql(h, AUDIT, { after: 'bogus' }, admin)).errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'after',
      });
    });
  });

  describe('verifyAuditLog', () => {
    it('reports a valid chain on the shared database, for portal admins only', async () => {
      const result = await gql(h, VERIFY, {}, portalAdmin());
      expect(result.errors).toBeUndefined();
      expect(result.data.verifyAuditLog).toMatchObject({ valid: true, firstBrokenId: null, reason: null });
      expect(result.data.verifyAuditLog.checkedEntries).toBeGreaterThan(0);
      const { org } = await withCredentials();
      expect((await gql(h, VERIFY, {}, org.owner)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(h, VERIFY, {}, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});
