import { developer, portalAdmin } from '../../test/helpers/graphql';
import { waitFor } from '../../test/helpers/wait';
import { call, errorsOf, offer, ok, organization, sql, startAccessHarness, unique, type AccessHarness } from '../../test/kit/access';
import { call as callDevelopers, createApp } from '../../test/kit/developers';

/**
 * `idempotencyKey` (issue 21 item 3) on requestAccess, the create mutations, the decisions on
 * access requests and rotations: a retry returns the first result, once; the same key with other
 * input is IDEMPOTENCY_KEY_REUSED; keys are scoped per caller.
 */
describe('developers: idempotent retries', () => {
  let h: AccessHarness;
  beforeAll(async () => {
    h = await startAccessHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const requestsOf = (appId: string) =>
    sql(h, 'select id, status from developers.access_request where app_id = ? order by created_at', [appId]);
  const requestedEvents = (requestId: string) =>
    sql(
      h,
      `select count(*)::int as n from platform.event where topic = 'accessRequestEvents' and payload->>'accessRequestId' = ? and payload->>'type' = 'REQUESTED'`,
      [requestId],
    );

  it('returns the first PENDING request on a retry with the same key and input: one request, one event', async () => {
    const org = await organization(h);
    const manual = await offer(h);
    const input = { appId: org.app.id, planId: manual.planId, productIds: manual.productIds, idempotencyKey: `key-${org.id}` };
    const first = await ok(h, 'requestAccess', input, org.member);
    expect(first.accessRequest.status).toBe('PENDING');
    const retry = await ok(
      h,
      'requestAccess',
      { ...input, productIds: [...manual.productIds].reverse().map((id: string) => id.toUpperCase()) },
      org.member,
    );
    expect(retry.accessRequest).toEqual(first.accessRequest);
    expect(await requestsOf(org.app.id)).toEqual([{ id: first.accessRequest.id, status: 'PENDING' }]);
    expect(await requestedEvents(first.accessRequest.id)).toEqual([{ n: 1 }]);
    // Without the key, the same request is the conflict it always was.
    const plain = await call(h, 'requestAccess', { appId: org.app.id, planId: manual.planId, productIds: manual.productIds }, org.member);
    expect(errorsOf(plain, 'requestAccess')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.planId' }]);
  });

  it('refuses the same key with another input (IDEMPOTENCY_KEY_REUSED) and scopes keys per caller', async () => {
    const org = await organization(h);
    const manual = await offer(h);
    const key = `reuse-${org.id}`;
    await ok(
      h,
      'requestAccess',
      { appId: org.app.id, planId: manual.planId, productIds: manual.productIds, idempotencyKey: key },
      org.member,
    );
    const other = await call(
      h,
      'requestAccess',
      { appId: org.app.id, planId: manual.planId, productIds: [manual.productIds[0]], idempotencyKey: key },
      org.member,
    );
    expect(errorsOf(other, 'requestAccess')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
    expect(other.data.requestAccess.accessRequest).toBeNull();
    // Another caller's key of the same text is another key: its request is judged on its own.
    const byOwner = await call(
      h,
      'requestAccess',
      { appId: org.app.id, planId: manual.planId, productIds: manual.productIds, idempotencyKey: key },
      org.owner,
    );
    expect(errorsOf(byOwner, 'requestAccess')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.planId' }]);
    expect(await requestsOf(org.app.id)).toHaveLength(1);
  });

  it('never shows an auto-approved credential’s secret twice: the retry has the request and credential, secret null', async () => {
    const org = await organization(h);
    const auto = await offer(h, { autoApprove: true });
    const input = { appId: org.app.id, planId: auto.planId, productIds: auto.productIds, idempotencyKey: `auto-${org.id}` };
    const first = await ok(h, 'requestAccess', input, org.member);
    expect(first.accessRequest.status).toBe('APPROVED');
    expect(typeof first.secret).toBe('string');
    const retry = await ok(h, 'requestAccess', input, org.member);
    expect(retry.accessRequest.id).toBe(first.accessRequest.id);
    expect(retry.credential.id).toBe(first.credential.id);
    expect(retry.credential.secretRevealed).toBe(true);
    expect(retry.secret).toBeNull();
    expect(await sql(h, 'select count(*)::int as n from developers.credential where app_id = ?', [org.app.id])).toEqual([{ n: 1 }]);
  });

  it('lets concurrent retries wait for the first call and get its result', async () => {
    const org = await organization(h);
    const app = await createApp(h, org.id, org.member);
    const auto = await offer(h, { autoApprove: true });
    const input = { appId: app.id, planId: auto.planId, productIds: auto.productIds, idempotencyKey: `race-${org.id}` };
    const results = await Promise.all([1, 2, 3, 4].map(() => ok(h, 'requestAccess', input, org.member)));
    expect(new Set(results.map((r) => r.accessRequest.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.credential.id)).size).toBe(1);
    expect(results.filter((r) => r.secret !== null)).toHaveLength(1);
    expect(await requestsOf(app.id)).toHaveLength(1);
  });

  it('keeps a key for 24 hours only, and refuses malformed keys', async () => {
    const org = await organization(h);
    const manual = await offer(h);
    const key = `old-${org.id}`;
    const input = { appId: org.app.id, planId: manual.planId, productIds: manual.productIds, idempotencyKey: key };
    await ok(h, 'requestAccess', input, org.member);
    await sql(h, `update developers.idempotency_key set created_at = now() - interval '25 hours' where key = ?`, [key]);
    const late = await call(h, 'requestAccess', input, org.member);
    expect(errorsOf(late, 'requestAccess')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.planId' }]);
    for (const bad of ['', 'has space', 'x'.repeat(129), 'é']) {
      const refused = await call(h, 'requestAccess', { ...input, idempotencyKey: bad }, org.member);
      expect(errorsOf(refused, 'requestAccess')).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
    }
    expect(await requestsOf(org.app.id)).toHaveLength(1);
  });

  const countOf = async (text: string, params: unknown[]) => (await sql(h, text, params))[0].n as number;
  const events = (type: string, field: 'accessRequestId' | 'credentialId', id: string) =>
    countOf(
      `select count(*)::int as n from platform.event where topic = 'accessRequestEvents' and payload->>'type' = ? and payload->>? = ?`,
      [type, field, id],
    );
  const payloadErrors = (response: any, name: string) =>
    (response.data?.[name]?.errors ?? response.errors ?? []).map((e: any) => ({ code: e.code ?? e.extensions?.code, field: e.field }));

  describe('create mutations', () => {
    it('createOrganization: a retry returns the first organization; other input is refused; another admin’s key is its own', async () => {
      const admin = h.admin;
      const slug = unique('idem-org');
      const input = { name: 'Idem Org', slug, idempotencyKey: `org-${slug}` };
      const first = await callDevelopers(h, 'createOrganization', input, admin);
      const id = first.data!.createOrganization.organization.id;
      const retry = await callDevelopers(h, 'createOrganization', { ...input, adminSubject: null }, admin);
      expect(retry.data!.createOrganization).toEqual({ organization: { id, slug, status: 'ACTIVE' }, errors: [] });
      expect(await countOf('select count(*)::int as n from developers.organization where slug = ?', [slug])).toBe(1);
      const other = await callDevelopers(h, 'createOrganization', { ...input, name: 'Other name' }, admin);
      expect(payloadErrors(other, 'createOrganization')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      const secondAdmin = await callDevelopers(h, 'createOrganization', input, portalAdmin());
      expect(payloadErrors(secondAdmin, 'createOrganization')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.slug' }]);
    });

    it('requestOrganization: one PENDING organization per key and caller', async () => {
      const requester = developer();
      const slug = unique('idem-req');
      const input = { name: 'Requested', slug, idempotencyKey: `req-${slug}` };
      const first = await callDevelopers(h, 'requestOrganization', input, requester);
      const retry = await callDevelopers(h, 'requestOrganization', { ...input, name: '  Requested ' }, requester);
      expect(retry.data!.requestOrganization.organization).toEqual(first.data!.requestOrganization.organization);
      expect(retry.data!.requestOrganization.organization.status).toBe('PENDING');
      expect(await countOf('select count(*)::int as n from developers.organization where slug = ?', [slug])).toBe(1);
      const other = await callDevelopers(h, 'requestOrganization', { ...input, slug: `${slug}-x` }, requester);
      expect(payloadErrors(other, 'requestOrganization')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      const someoneElse = await callDevelopers(h, 'requestOrganization', input, developer());
      expect(payloadErrors(someoneElse, 'requestOrganization')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.slug' }]);
    });

    it('createTeam and createApp: a retry returns the first team and app; a deleted first result is NOT_FOUND, never a second one', async () => {
      const org = await organization(h);
      const teamInput = { organizationId: org.id, name: unique('team'), idempotencyKey: `team-${org.id}` };
      const team = (await callDevelopers(h, 'createTeam', teamInput, org.owner)).data!.createTeam.team;
      const teamRetry = await callDevelopers(h, 'createTeam', { ...teamInput, organizationId: org.id.toUpperCase() }, org.owner);
      expect(teamRetry.data!.createTeam.team.id).toBe(team.id);
      expect(await countOf('select count(*)::int as n from developers.team where organization_id = ?', [org.id])).toBe(1);
      const teamOther = await callDevelopers(h, 'createTeam', { ...teamInput, name: unique('team') }, org.owner);
      expect(payloadErrors(teamOther, 'createTeam')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);

      const appInput = { organizationId: org.id, teamId: team.id, name: unique('app'), idempotencyKey: `app-${org.id}` };
      const app = (await callDevelopers(h, 'createApp', appInput, org.member)).data!.createApp.app;
      const appRetry = await callDevelopers(h, 'createApp', appInput, org.member);
      expect(appRetry.data!.createApp).toEqual({ app, errors: [] });
      const apps = () => countOf('select count(*)::int as n from developers.app where organization_id = ?', [org.id]);
      expect(await apps()).toBe(2); // the fixture's app and this one
      const appOther = await callDevelopers(h, 'createApp', { ...appInput, description: 'another' }, org.member);
      expect(payloadErrors(appOther, 'createApp')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      // The owner's key of the same text is another key: the same input is judged on its own (the name is taken).
      const byOwner = await callDevelopers(h, 'createApp', appInput, org.owner);
      expect(payloadErrors(byOwner, 'createApp')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.name' }]);

      expect((await ok(h, 'deleteApp', { id: app.id }, org.owner)).deletedAppId).toBe(app.id);
      const afterDelete = await callDevelopers(h, 'createApp', appInput, org.member);
      expect(payloadErrors(afterDelete, 'createApp')).toEqual([{ code: 'NOT_FOUND', field: 'input.idempotencyKey' }]);
      expect(await apps()).toBe(1);
      const malformed = await callDevelopers(h, 'createApp', { ...appInput, idempotencyKey: 'has space' }, org.member);
      expect(payloadErrors(malformed, 'createApp')).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
    });
  });

  describe('decisions on access requests', () => {
    it('approveAccessRequest: a retry returns the first approval: one credential, one APPROVED event', async () => {
      const org = await organization(h);
      const manual = await offer(h);
      const request = await ok(h, 'requestAccess', { appId: org.app.id, planId: manual.planId, productIds: manual.productIds }, org.member);
      const id = request.accessRequest.id;
      const input = { id, idempotencyKey: `approve-${id}` };
      const first = await ok(h, 'approveAccessRequest', input, h.admin);
      expect(first.accessRequest.status).toBe('APPROVED');
      const retry = await ok(h, 'approveAccessRequest', { ...input, id: id.toUpperCase() }, h.admin);
      expect(retry.accessRequest).toEqual(first.accessRequest);
      expect(await countOf('select count(*)::int as n from developers.credential where app_id = ?', [org.app.id])).toBe(1);
      expect(await events('APPROVED', 'accessRequestId', id)).toBe(1);
      // The same key for another request is refused, and nothing is decided.
      const app2 = await createApp(h, org.id, org.member);
      const other = await ok(h, 'requestAccess', { appId: app2.id, planId: manual.planId, productIds: manual.productIds }, org.member);
      const reused = await call(h, 'approveAccessRequest', { id: other.accessRequest.id, idempotencyKey: input.idempotencyKey }, h.admin);
      expect(errorsOf(reused, 'approveAccessRequest')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      expect(await sql(h, 'select status from developers.access_request where id = ?', [other.accessRequest.id])).toEqual([
        { status: 'PENDING' },
      ]);
      // Another admin's key of the same text is theirs: it approves the other request.
      const byOther = await ok(
        h,
        'approveAccessRequest',
        { id: other.accessRequest.id, idempotencyKey: input.idempotencyKey },
        portalAdmin(),
      );
      expect(byOther.accessRequest.status).toBe('APPROVED');
    });

    it('rejectAccessRequest: a retry returns the first rejection; another reason with the same key is refused', async () => {
      const org = await organization(h);
      const manual = await offer(h);
      const request = await ok(h, 'requestAccess', { appId: org.app.id, planId: manual.planId, productIds: manual.productIds }, org.member);
      const id = request.accessRequest.id;
      const input = { id, reason: 'Not for this plan.', idempotencyKey: `reject-${id}` };
      const first = await ok(h, 'rejectAccessRequest', input, h.admin);
      const retry = await ok(h, 'rejectAccessRequest', { ...input, reason: ' Not for this plan. ' }, h.admin);
      expect(retry.accessRequest).toEqual(first.accessRequest);
      expect(retry.accessRequest.decisionReason).toBe('Not for this plan.');
      expect(await events('REJECTED', 'accessRequestId', id)).toBe(1);
      const other = await call(h, 'rejectAccessRequest', { ...input, reason: 'Another reason.' }, h.admin);
      expect(errorsOf(other, 'rejectAccessRequest')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
    });
  });

  describe('rotateCredential', () => {
    async function activeCredential() {
      const org = await organization(h);
      const auto = await offer(h, { autoApprove: true });
      const granted = await ok(h, 'requestAccess', { appId: org.app.id, planId: auto.planId, productIds: auto.productIds }, org.member);
      return { org, credentialId: granted.credential.id as string };
    }
    const credentials = (appId: string) => countOf('select count(*)::int as n from developers.credential where app_id = ?', [appId]);

    it('returns the first rotation’s credentials and secret to the same caller within the hour; no second rotation', async () => {
      const { org, credentialId } = await activeCredential();
      const input = { id: credentialId, gracePeriodSeconds: 600, idempotencyKey: `rotate-${credentialId}` };
      const first = await ok(h, 'rotateCredential', input, org.member);
      expect(first.secret).toMatch(/^pgk_/);
      const retry = await ok(h, 'rotateCredential', { ...input, id: credentialId.toUpperCase() }, org.member);
      expect(retry.credential).toEqual(first.credential);
      expect(retry.replacedCredential).toEqual(first.replacedCredential);
      expect(retry.secret).toBe(first.secret);
      expect(await credentials(org.app.id)).toBe(2);
      expect(await events('CREDENTIAL_ROTATED', 'credentialId', first.credential.id)).toBe(1);
      // The kept copy is sealed, never the secret in the clear.
      const [row] = await sql(h, `select result_secret_encrypted as s from developers.idempotency_key where key = ?`, [
        input.idempotencyKey,
      ]);
      expect(row.s).toMatch(/^v1:/);
      expect(row.s).not.toContain(first.secret.slice(4));

      const other = await call(h, 'rotateCredential', { ...input, gracePeriodSeconds: 0 }, org.member);
      expect(errorsOf(other, 'rotateCredential')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      // The owner's key of the same text is another key: their rotation is judged on its own.
      const byOwner = await call(h, 'rotateCredential', input, org.owner);
      expect(errorsOf(byOwner, 'rotateCredential')).toEqual([{ code: 'ALREADY_ROTATED', field: 'input.id' }]);
      expect(byOwner.data!.rotateCredential.secret).toBeNull();
      expect(await credentials(org.app.id)).toBe(2);
    });

    it('shows the secret again only within the replay window and while the new credential works; the job erases the sealed copy', async () => {
      const { org, credentialId } = await activeCredential();
      const key = `window-${credentialId}`;
      const input = { id: credentialId, idempotencyKey: key };
      const first = await ok(h, 'rotateCredential', input, org.member);
      const [job] = await sql(
        h,
        `select j.run_at, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = 'developers.forgetReplaySecret' and j.payload->>'key' = ?`,
        [key],
      );
      const [row] = await sql(h, `select created_at from developers.idempotency_key where key = ?`, [key]);
      expect(new Date(job.run_at).getTime() - new Date(row.created_at).getTime()).toBe(3_600_000);

      // Past the replay window (the key itself lasts 24 h): the same credentials, no secret.
      await sql(h, `update developers.idempotency_key set created_at = created_at - interval '61 minutes' where key = ?`, [key]);
      const late = await ok(h, 'rotateCredential', input, org.member);
      expect(late.credential.id).toBe(first.credential.id);
      expect(late.secret).toBeNull();
      await sql(h, `update developers.idempotency_key set created_at = created_at + interval '61 minutes' where key = ?`, [key]);
      expect((await ok(h, 'rotateCredential', input, org.member)).secret).toBe(first.secret);

      // A new credential that no longer works is never shown again.
      await ok(h, 'revokeCredential', { id: first.credential.id }, org.member);
      const revoked = await ok(h, 'rotateCredential', input, org.member);
      expect(revoked.credential.id).toBe(first.credential.id);
      expect(revoked.secret).toBeNull();

      // When the window ends the job erases the sealed copy.
      await sql(
        h,
        `update graphile_worker._private_jobs j set run_at = now() from graphile_worker._private_tasks t
          where t.id = j.task_id and t.identifier = 'developers.forgetReplaySecret' and j.payload->>'key' = ?`,
        [key],
      );
      await waitFor(
        async () =>
          (await sql(h, `select result_secret_encrypted as s from developers.idempotency_key where key = ?`, [key]))[0].s === null,
        { timeoutMs: 30_000, what: 'the sealed replay secret erased by developers.forgetReplaySecret' },
      );
    });
  });

  describe('inviteMember', () => {
    it('a retry returns the first invitation, as it is now: one invitation; other input is refused; another caller’s key is theirs', async () => {
      const org = await organization(h);
      const email = `${unique('invitee')}@example.com`;
      const input = { organizationId: org.id, email, role: 'MEMBER', idempotencyKey: `invite-${org.id}` };
      const invitations = () =>
        countOf('select count(*)::int as n from developers.invitation where organization_id = ? and email = ?', [org.id, email]);
      const first = await callDevelopers(h, 'inviteMember', input, org.owner);
      expect(first.data!.inviteMember.errors).toEqual([]);
      const invitation = first.data!.inviteMember.invitation;
      expect(invitation.status).toBe('PENDING');
      // The address is compared as stored (lowercase), the organization id in any case.
      const retry = await callDevelopers(
        h,
        'inviteMember',
        { ...input, organizationId: org.id.toUpperCase(), email: ` ${email.toUpperCase()} ` },
        org.owner,
      );
      expect(retry.data!.inviteMember).toEqual({ invitation, errors: [] });
      expect(await invitations()).toBe(1);
      // Without the key, the same invitation again is the conflict it always was.
      const plain = await callDevelopers(h, 'inviteMember', { organizationId: org.id, email, role: 'MEMBER' }, org.owner);
      expect(payloadErrors(plain, 'inviteMember')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.email' }]);
      const other = await callDevelopers(h, 'inviteMember', { ...input, role: 'ORG_ADMIN' }, org.owner);
      expect(payloadErrors(other, 'inviteMember')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      expect(other.data!.inviteMember.invitation).toBeNull();
      // A portal admin's key of the same text is another key: the same input is judged on its own.
      const byAdmin = await callDevelopers(h, 'inviteMember', input, h.admin);
      expect(payloadErrors(byAdmin, 'inviteMember')).toEqual([{ code: 'ALREADY_EXISTS', field: 'input.email' }]);
      expect(await invitations()).toBe(1);

      // Revoked since: the retry gets the invitation as it is now, and sends no new one.
      const revoked = await callDevelopers(h, 'revokeInvitation', { invitationId: invitation.id }, org.owner);
      expect(revoked.data!.revokeInvitation.errors).toEqual([]);
      const afterRevoke = await callDevelopers(h, 'inviteMember', input, org.owner);
      expect(afterRevoke.data!.inviteMember).toEqual({ invitation: { ...invitation, status: 'REVOKED' }, errors: [] });
      expect(await invitations()).toBe(1);
    });
  });

  describe('approveOrganization and rejectOrganization', () => {
    async function pending() {
      const slug = unique('idem-decide');
      const requested = await callDevelopers(h, 'requestOrganization', { name: 'Decide me', slug }, developer());
      expect(requested.data!.requestOrganization.errors).toEqual([]);
      return requested.data!.requestOrganization.organization.id as string;
    }
    const decide = async (
      name: 'approveOrganization' | 'rejectOrganization' | 'suspendOrganization',
      input: Record<string, unknown>,
      as = h.admin,
    ) => (await callDevelopers(h, name, input, as)).data![name];
    const auditEntries = (id: string) =>
      countOf(`select count(*)::int as n from platform.audit_log where target_type = 'Organization' and target_id = ?`, [id]);

    it('without a key a repeated decision already returns the same organization and changes nothing', async () => {
      const id = await pending();
      const first = await decide('approveOrganization', { id });
      expect(first.organization).toMatchObject({ id, status: 'ACTIVE', decidedBy: h.admin.sub });
      const entries = await auditEntries(id);
      expect(await decide('approveOrganization', { id })).toEqual(first);
      expect(await auditEntries(id)).toBe(entries);
      // What the key adds: after a later decision, a plain repeat is INVALID_TRANSITION.
      expect((await decide('suspendOrganization', { id, reason: 'Unpaid.' })).errors).toEqual([]);
      expect((await decide('approveOrganization', { id })).errors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);

      const rejectedId = await pending();
      const rejected = await decide('rejectOrganization', { id: rejectedId, reason: 'Not a company.' });
      expect(rejected.organization).toMatchObject({ status: 'REJECTED', decisionReason: 'Not a company.' });
      // Another reason without a key: the first decision stands, silently.
      expect(await decide('rejectOrganization', { id: rejectedId, reason: 'Another reason.' })).toEqual(rejected);
    });

    it('approveOrganization with a key: the retry returns the first result even after a suspension; other input is refused; keys are per caller', async () => {
      const id = await pending();
      const input = { id, idempotencyKey: `approve-org-${id}` };
      const first = await decide('approveOrganization', input);
      expect(first.organization).toMatchObject({ id, status: 'ACTIVE' });
      const entries = await auditEntries(id);
      expect(await decide('approveOrganization', { ...input, id: id.toUpperCase() })).toEqual(first);
      expect(await auditEntries(id)).toBe(entries);
      expect((await decide('suspendOrganization', { id, reason: 'Unpaid.' })).errors).toEqual([]);
      const retry = await decide('approveOrganization', input);
      expect(retry).toEqual({
        organization: { ...first.organization, status: 'SUSPENDED', decisionReason: 'Unpaid.', decidedAt: expect.any(String) },
        errors: [],
      });

      const otherId = await pending();
      const reused = await callDevelopers(h, 'approveOrganization', { id: otherId, idempotencyKey: input.idempotencyKey }, h.admin);
      expect(payloadErrors(reused, 'approveOrganization')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      expect(await sql(h, 'select status from developers.organization where id = ?', [otherId])).toEqual([{ status: 'PENDING' }]);
      // Another admin's key of the same text is theirs: it approves that organization.
      const secondAdmin = portalAdmin();
      const bySecond = await decide('approveOrganization', { id: otherId, idempotencyKey: input.idempotencyKey }, secondAdmin);
      expect(bySecond.organization).toMatchObject({ id: otherId, status: 'ACTIVE', decidedBy: secondAdmin.sub });
    });

    it('rejectOrganization with a key: the retry returns the first rejection; another reason is refused; keys are per caller', async () => {
      const id = await pending();
      const input = { id, reason: 'Not a company.', idempotencyKey: `reject-org-${id}` };
      const first = await decide('rejectOrganization', input);
      expect(first.organization).toMatchObject({ id, status: 'REJECTED', decidedBy: h.admin.sub, decisionReason: 'Not a company.' });
      const entries = await auditEntries(id);
      expect(await decide('rejectOrganization', { ...input, reason: '  Not a company. ' })).toEqual(first);
      expect(await auditEntries(id)).toBe(entries);
      const other = await callDevelopers(h, 'rejectOrganization', { ...input, reason: 'Another reason.' }, h.admin);
      expect(payloadErrors(other, 'rejectOrganization')).toEqual([{ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' }]);
      // Another admin's key of the same text is theirs: their call runs, and finds the decision made (first reason kept).
      const bySecond = await decide('rejectOrganization', input, portalAdmin());
      expect(bySecond).toEqual(first);
      const malformed = await callDevelopers(h, 'rejectOrganization', { ...input, idempotencyKey: 'has space' }, h.admin);
      expect(payloadErrors(malformed, 'rejectOrganization')).toEqual([{ code: 'VALIDATION_FAILED', field: 'input.idempotencyKey' }]);
    });
  });
});
