import { call, errorsOf, offer, ok, organization, sql, startAccessHarness, type AccessHarness } from '../../test/kit/access';
import { createApp } from '../../test/kit/developers';

/** requestAccess with `idempotencyKey` (issue 21 item 3): a retry returns the first result, once. */
describe('developers: idempotent requestAccess', () => {
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
});
