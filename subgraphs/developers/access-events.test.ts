import { randomUUID } from 'node:crypto';
import { waitFor } from '../../test/helpers/wait';
import {
  offer,
  ok,
  organization,
  portalAdmin,
  sql,
  startAccessHarness,
  subscribe,
  type AccessHarness,
  type Collected,
  type Identity,
} from '../../test/kit/access';
import { sealSecret } from './secrets';
import { ACCESS_REQUEST_EVENTS_TOPIC, type AccessRequestEventPayload } from './services/events';
import { AccessRequestEventType } from './entities/access-request-event';

/** Realtime events over graphql-ws straight to the subgraph, and the job handlers behind some of them. */
describe('developers: access-request events and jobs', () => {
  let h: AccessHarness;
  beforeAll(async () => {
    h = await startAccessHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const EVENTS = `subscription($org: ID) {
    accessRequestEvents(organizationId: $org) {
      id type occurredAt organizationId
      accessRequest { id status kind plan { id } products { id } credential { id } }
      credential { id status prefix secretRevealed plan { id } replaces { id } }
    }
  }`;

  const listen = (who: Identity | null, org: string | null): Collected => subscribe(h, who, EVENTS, { org }, 'accessRequestEvents');

  /** An event with no access request or credential, to learn when subscriptions are live (graphql-ws has no acknowledgement). */
  async function ping(organizationId: string): Promise<string> {
    const payload: AccessRequestEventPayload = {
      id: randomUUID(),
      type: AccessRequestEventType.REQUESTED,
      occurredAt: new Date().toISOString(),
      organizationId,
      accessRequestId: null,
      credentialId: null,
    };
    await h.subgraph.pubsub.emit(h.subgraph.orm.em.fork(), ACCESS_REQUEST_EVENTS_TOPIC, payload);
    return payload.id;
  }

  /** Pings until every listener has received a ping for its organization. */
  async function untilLive(listeners: [Collected, string][]): Promise<void> {
    const seen = (c: Collected, ids: Set<string>) => c.data.some((e) => ids.has(e.id));
    const sent = new Set<string>();
    await waitFor(
      async () => {
        for (const org of new Set(listeners.map(([, o]) => o))) sent.add(await ping(org));
        await new Promise((resolve) => setTimeout(resolve, 50));
        return listeners.every(([c]) => seen(c, sent));
      },
      { what: 'subscriptions to be live' },
    );
  }

  const realEvents = (c: Collected) => c.data.filter((e) => e.accessRequest !== null || e.credential !== null);

  it('delivers REQUESTED, APPROVED, CREDENTIAL_ISSUED in order to members and portal admins, with current data; nothing to outsiders', async () => {
    const org = await organization(h);
    const outsiderOrg = await organization(h);
    const { planId, productIds } = await offer(h);

    const member = listen(org.member, org.id);
    const admin = listen(portalAdmin(), null);
    const outsider = listen(outsiderOrg.owner, outsiderOrg.id);
    const refused = listen(outsiderOrg.owner, org.id);
    const noOrg = listen(org.member, null);
    const anonymous = listen(null, org.id);
    await waitFor(() => refused.completed && noOrg.completed && anonymous.completed, { what: 'refused subscriptions to end' });
    expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(noOrg.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(anonymous.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect([refused.data, noOrg.data, anonymous.data]).toEqual([[], [], []]);
    await untilLive([
      [member, org.id],
      [admin, org.id],
      [outsider, outsiderOrg.id],
    ]);

    const { accessRequest } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
    await waitFor(() => realEvents(member).length === 1, { what: 'REQUESTED' });
    expect(realEvents(member)[0]).toMatchObject({
      type: 'REQUESTED',
      organizationId: org.id,
      accessRequest: { id: accessRequest.id, status: 'PENDING', kind: 'NEW_ACCESS', plan: { id: planId }, credential: null },
      credential: null,
    });

    const approved = await ok(h, 'approveAccessRequest', { id: accessRequest.id }, h.admin);
    const credentialId = approved.accessRequest.credential.id;
    await waitFor(() => realEvents(member).length === 3, { what: 'APPROVED and CREDENTIAL_ISSUED' });
    const events = realEvents(member);
    expect(events.map((e) => e.type)).toEqual(['REQUESTED', 'APPROVED', 'CREDENTIAL_ISSUED']);
    // Read when delivered: the same request is now APPROVED with its credential.
    expect(events[1]).toMatchObject({
      accessRequest: { id: accessRequest.id, status: 'APPROVED', credential: { id: credentialId } },
      credential: { id: credentialId, status: 'ACTIVE', secretRevealed: false },
    });
    expect(events[2]).toMatchObject({ accessRequest: { id: accessRequest.id }, credential: { id: credentialId, plan: { id: planId } } });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);

    await waitFor(() => realEvents(admin).filter((e) => e.organizationId === org.id).length >= 3, { what: 'the portal admin to see them' });
    expect(
      realEvents(admin)
        .filter((e) => e.organizationId === org.id)
        .map((e) => e.type),
    ).toEqual(['REQUESTED', 'APPROVED', 'CREDENTIAL_ISSUED']);

    // The outsider's subscription is live (it gets its own organization's ping) yet saw none of it.
    await untilLive([[outsider, outsiderOrg.id]]);
    expect(realEvents(outsider)).toEqual([]);
    expect(outsider.data.every((e) => e.organizationId === outsiderOrg.id)).toBe(true);
    expect(member.errors).toEqual([]);
  });

  it('stops delivering to a member who leaves the organization', async () => {
    const org = await organization(h);
    const leaver = listen(org.member, org.id);
    await untilLive([[leaver, org.id]]);
    const owner = listen(org.owner, org.id);
    await untilLive([[owner, org.id]]);
    await sql(h, 'delete from developers.organization_member where organization_id = ? and subject = ?', [org.id, org.member.sub]);
    const before = leaver.data.length;
    const { planId, productIds } = await offer(h, { autoApprove: true });
    await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.owner);
    await waitFor(() => realEvents(owner).length === 3, { what: 'the remaining member to get the events' });
    await untilLive([[owner, org.id]]);
    expect(leaver.data.length).toBe(before);
    expect(leaver.errors).toEqual([]);
  });

  it('publishes CREDENTIAL_ROTATED and CREDENTIAL_REVOKED (rotation grace end through the job, and revocation)', async () => {
    const org = await organization(h);
    const { planId, productIds } = await offer(h, { autoApprove: true });
    const member = listen(org.member, org.id);
    await untilLive([[member, org.id]]);
    const { credential } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
    const rotated = await ok(h, 'rotateCredential', { id: credential.id, gracePeriodSeconds: 0 }, org.member);
    await waitFor(() => realEvents(member).some((e) => e.type === 'CREDENTIAL_REVOKED'), {
      what: 'CREDENTIAL_REVOKED from developers.credentialRevoked',
    });
    await ok(h, 'revokeCredential', { id: rotated.credential.id }, org.owner);
    await waitFor(() => realEvents(member).filter((e) => e.type === 'CREDENTIAL_REVOKED').length === 2, {
      what: 'the second CREDENTIAL_REVOKED',
    });
    const events = realEvents(member);
    expect(events.map((e) => [e.type, e.credential?.id ?? null])).toEqual([
      ['REQUESTED', null],
      ['APPROVED', credential.id],
      ['CREDENTIAL_ISSUED', credential.id],
      ['CREDENTIAL_ROTATED', rotated.credential.id],
      ['CREDENTIAL_REVOKED', credential.id],
      ['CREDENTIAL_REVOKED', rotated.credential.id],
    ]);
    expect(events[3].credential.replaces).toEqual({ id: credential.id });
    expect(events[5].credential.status).toBe('REVOKED');
  });

  describe('job handlers (run by the real worker)', () => {
    /** Enqueues a job as another subgraph would; returns its id. */
    async function enqueue(task: string, payload: Record<string, unknown>): Promise<string> {
      const [job] = await sql(h, 'select (graphile_worker.add_job(?, ?::json)).id::text as id', [task, JSON.stringify(payload)]);
      return job.id;
    }

    /** Waits until the worker has finished (and so removed) these jobs. */
    async function finished(ids: string[]): Promise<void> {
      await waitFor(
        async () => (await sql(h, 'select count(*)::int as n from graphile_worker._private_jobs where id::text in (?)', [ids]))[0].n === 0,
        {
          what: `jobs ${ids.join(', ')} to finish`,
        },
      );
    }

    it('developers.keyIssued clears the pending secret (for its version or later), idempotently', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true });
      const { credential } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      const pending = async () =>
        (await sql(h, 'select pending_secret_encrypted as p from developers.credential_contract where id = ?', [credential.id]))[0].p;
      // As if the pending copy had been written at version 2 and no provider had created the key yet
      // (set by hand: a provider worker of another test running at the same time may be quick).
      await sql(h, 'update developers.credential set pending_secret_encrypted = ?, pending_secret_version = 2 where id = ?', [
        sealSecret('pgk_placeholder'),
        credential.id,
      ]);
      // A key made from an older version does not clear it ...
      await finished([await enqueue('developers.keyIssued', { credentialId: credential.id, version: 1 })]);
      expect(await pending()).not.toBeNull();
      // ... one made from that version (or a later one) does.
      await enqueue('developers.keyIssued', { credentialId: credential.id, version: 2 });
      await waitFor(async () => (await pending()) === null, { what: 'pending_secret_encrypted to be cleared' });
      await finished([
        await enqueue('developers.keyIssued', { credentialId: credential.id, version: 2 }),
        await enqueue('developers.keyIssued', { credentialId: 'not-a-uuid', version: 1 }),
        await enqueue('developers.keyIssued', { credentialId: credential.id, version: 'one' }),
      ]);
      expect(await pending()).toBeNull();
      const [row] = await sql(h, 'select version, status from developers.credential where id = ?', [credential.id]);
      expect(row).toEqual({ version: 1, status: 'ACTIVE' });
    });

    it('developers.credentialExpiring publishes CREDENTIAL_EXPIRING at once when the warning time has passed, once', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true, keyExpiresAfterSeconds: 60 });
      const member = listen(org.member, org.id);
      await untilLive([[member, org.id]]);
      const { credential } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      await waitFor(() => realEvents(member).some((e) => e.type === 'CREDENTIAL_EXPIRING'), { what: 'CREDENTIAL_EXPIRING' });
      const expiring = realEvents(member).find((e) => e.type === 'CREDENTIAL_EXPIRING')!;
      expect(expiring).toMatchObject({ organizationId: org.id, credential: { id: credential.id, status: 'ACTIVE' } });
      const [row] = await sql(h, 'select expires_at, expiry_warned_for from developers.credential where id = ?', [credential.id]);
      expect(new Date(row.expiry_warned_for)).toEqual(new Date(row.expires_at));
      expect(new Date(row.expires_at).getTime() - new Date(credential.createdAt).getTime()).toBe(60_000);

      // Running it again (same expiry) publishes nothing more; a stale expiry is ignored too.
      await finished([
        await enqueue('developers.credentialExpiring', { credentialId: credential.id, expiresAt: new Date(row.expires_at).toISOString() }),
        await enqueue('developers.credentialExpiring', {
          credentialId: credential.id,
          expiresAt: new Date(Date.now() + 1000).toISOString(),
        }),
      ]);
      await untilLive([[member, org.id]]);
      expect(realEvents(member).filter((e) => e.type === 'CREDENTIAL_EXPIRING')).toHaveLength(1);
      const stored = await sql(
        h,
        `select count(*)::int as n from platform.event where topic = ? and payload->>'type' = 'CREDENTIAL_EXPIRING' and payload->>'credentialId' = ?`,
        [ACCESS_REQUEST_EVENTS_TOPIC, credential.id],
      );
      expect(stored).toEqual([{ n: 1 }]);
      // A credential that expires within the hour gets only the countdown's last stage (the
      // 7-day and 1-day ones are skipped, not published late), with the time it had left.
      const [event] = await sql(
        h,
        `select payload->'countdown' as countdown from platform.event where topic = ? and payload->>'type' = 'CREDENTIAL_EXPIRING' and payload->>'credentialId' = ?`,
        [ACCESS_REQUEST_EVENTS_TOPIC, credential.id],
      );
      expect(event.countdown).toMatchObject({ leadSeconds: 3600, expiresAt: new Date(row.expires_at).toISOString() });
      expect(event.countdown.secondsLeft).toBeGreaterThan(0);
      expect(event.countdown.secondsLeft).toBeLessThanOrEqual(60);
      const [warned] = await sql(h, 'select expiry_warned_lead_seconds as lead from developers.credential where id = ?', [credential.id]);
      expect(warned.lead).toBe(3600);
    });

    it('developers.credentialRevoked leaves a credential revoked by hand alone', async () => {
      const org = await organization(h);
      const { planId, productIds } = await offer(h, { autoApprove: true });
      const { credential } = await ok(h, 'requestAccess', { appId: org.app.id, planId, productIds }, org.member);
      await ok(h, 'rotateCredential', { id: credential.id, gracePeriodSeconds: 3600 }, org.member);
      const revoked = await ok(h, 'revokeCredential', { id: credential.id }, org.member);
      const before = (await sql(h, 'select status, revoked_at, version from developers.credential where id = ?', [credential.id]))[0];
      await finished([await enqueue('developers.credentialRevoked', { credentialId: credential.id })]);
      expect((await sql(h, 'select status, revoked_at, version from developers.credential where id = ?', [credential.id]))[0]).toEqual(
        before,
      );
      expect(new Date(before.revoked_at).toISOString()).toBe(revoked.credential.revokedAt);
    });
  });
});
