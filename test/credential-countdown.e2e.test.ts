import WebSocket from 'ws';
import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { testDatabaseUrl, unique } from './helpers/db';
import { waitFor } from './helpers/wait';
import { Seed } from './kit/seed';
import { ManualClock } from './kit/clock';

const DAY = 86_400;
const HOUR = 3_600;

/**
 * The expiring-credential countdown through the gateway: CREDENTIAL_EXPIRING at 7 days, 1 day and
 * 1 hour before `expiresAt`, in order, each with the time left, on `accessRequestEvents` and as
 * webhook events; nothing after the credential is revoked. The developers subgraph runs on a
 * manual clock; after moving it, the test makes the queued countdown job due at once (as the queue
 * would when that much real time had passed).
 */
describe('expiring-credential countdown through the gateway', () => {
  let platform: TestPlatform;
  let seed: Seed;
  let db: pg.Pool;
  const clock = new ManualClock(new Date());
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const owner = developer();
  const outsider = developer();
  const clients: Client[] = [];
  const ids: Record<string, string> = {};

  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const r = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    expect(r.data[name].errors).toEqual([]);
    return r.data[name];
  };

  function subscribe(identity: Identity, organizationId: string) {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(client);
    const events: any[] = [];
    const errors: any[] = [];
    client.subscribe(
      {
        query: `subscription($org: ID) { accessRequestEvents(organizationId: $org) {
          type occurredAt expiresAt secondsLeft leadSeconds credential { id }
        } }`,
        variables: { org: organizationId },
      },
      {
        next: (r) => (r.errors ? errors.push(...r.errors) : events.push(r.data!.accessRequestEvents)),
        error: (e) => errors.push(e),
        complete: () => undefined,
      },
    );
    return { events, errors };
  }

  /** The countdown job queued for a credential (null when none). */
  async function queued(credentialId: string): Promise<{ id: string; run_at: Date } | null> {
    const { rows } = await db.query(`select id::text, run_at from graphile_worker._private_jobs where key = $1`, [
      `credential-expiring:${credentialId}`,
    ]);
    return rows[0] ?? null;
  }

  /** Moves the manual clock and makes the credential's queued countdown job due now. */
  async function advanceAndRun(seconds: number, credentialId: string): Promise<void> {
    clock.advance(seconds);
    await waitFor(async () => (await queued(credentialId)) !== null, { what: 'the next countdown job to be queued' });
    await db.query(`update graphile_worker._private_jobs set run_at = now() where key = $1`, [`credential-expiring:${credentialId}`]);
  }

  const expiring = (events: any[], credentialId: string) =>
    events.filter((e) => e.type === 'CREDENTIAL_EXPIRING' && e.credential?.id === credentialId);

  async function credentialFor(appName: string): Promise<{ id: string; expiresAt: string }> {
    const app = await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: appName }, 'app { id }', owner);
    const granted = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: app.app.id, planId: ids.plan, productIds: [ids.product] },
      'credential { id expiresAt }',
      owner,
    );
    return granted.credential;
  }

  beforeAll(async () => {
    platform = await startPlatform({ clockOf: { developers: clock } });
    db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
    seed = new Seed(platform.gatewayUrl, admin);
    ids.org = await seed.organization(owner.sub);
    ids.outsiderOrg = await seed.organization(outsider.sub);
    ids.catalog = await seed.catalog();
    ids.product = await seed.product({ catalogIds: [ids.catalog] });
    ids.plan = await seed.plan({ name: unique('expiring'), catalogIds: [ids.catalog], autoApprove: true, keyExpiresAfterSeconds: 8 * DAY });
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await db?.end();
    await platform?.stop();
  });

  it('publishes the stages in order with the time left, on the subscription and as webhook events', async () => {
    const member = subscribe(owner, ids.org);
    const stranger = subscribe(outsider, ids.org);
    const credential = await credentialFor(unique('countdown'));
    const expiresAt = new Date(credential.expiresAt);
    expect(expiresAt.getTime() - clock.now().getTime()).toBe(8 * DAY * 1000);
    await waitFor(() => member.events.some((e) => e.type === 'CREDENTIAL_ISSUED'), { what: 'CREDENTIAL_ISSUED' });
    // The first stage is queued for 7 days before the expiry, not published yet.
    expect(expiring(member.events, credential.id)).toEqual([]);
    expect((await queued(credential.id))!.run_at.getTime()).toBe(expiresAt.getTime() - 7 * DAY * 1000);

    for (const [advance, lead] of [
      [DAY, 7 * DAY],
      [6 * DAY, DAY],
      [23 * HOUR, HOUR],
    ]) {
      await advanceAndRun(advance, credential.id);
      await waitFor(() => expiring(member.events, credential.id).some((e) => e.leadSeconds === lead), {
        what: `the ${lead}s stage`,
      });
    }
    expect(expiring(member.events, credential.id).map((e) => [e.leadSeconds, e.secondsLeft, e.expiresAt])).toEqual([
      [7 * DAY, 7 * DAY, expiresAt.toISOString()],
      [DAY, DAY, expiresAt.toISOString()],
      [HOUR, HOUR, expiresAt.toISOString()],
    ]);
    // The last stage queues nothing more.
    await waitFor(async () => (await queued(credential.id)) === null, { what: 'the countdown to end' });

    const { rows } = await db.query(
      `select data from platform.webhook_event where type = 'CREDENTIAL_EXPIRING' and data->>'credentialId' = $1 order by id`,
      [credential.id],
    );
    expect(rows.map((r) => [r.data.leadSeconds, r.data.secondsLeft, r.data.expiresAt])).toEqual([
      [7 * DAY, 7 * DAY, expiresAt.toISOString()],
      [DAY, DAY, expiresAt.toISOString()],
      [HOUR, HOUR, expiresAt.toISOString()],
    ]);
    // An organization admin of another organization is refused the stream and got nothing.
    expect(stranger.events).toEqual([]);
    expect(stranger.errors[0]?.extensions?.code ?? stranger.errors[0]?.message).toMatch(/FORBIDDEN/);
  });

  it('publishes nothing after the credential is revoked, even when a stale stage job runs', async () => {
    const member = subscribe(owner, ids.org);
    const credential = await credentialFor(unique('revoked'));
    await waitFor(() => member.events.some((e) => e.type === 'CREDENTIAL_ISSUED' && e.credential.id === credential.id), {
      what: 'CREDENTIAL_ISSUED',
    });
    await advanceAndRun(DAY, credential.id);
    await waitFor(() => expiring(member.events, credential.id).length === 1, { what: 'the first stage' });
    expect(expiring(member.events, credential.id)[0]).toMatchObject({ leadSeconds: 7 * DAY, secondsLeft: 7 * DAY });
    await waitFor(async () => (await queued(credential.id)) !== null, { what: 'the 1-day stage to be queued' });

    await mutate('revokeCredential', 'RevokeCredentialInput', { id: credential.id }, 'credential { status }', owner);
    await waitFor(() => member.events.some((e) => e.type === 'CREDENTIAL_REVOKED' && e.credential.id === credential.id), {
      what: 'CREDENTIAL_REVOKED',
    });
    // Revoking dropped the queued stage ...
    expect(await queued(credential.id)).toBeNull();
    // ... and a stage job that runs anyway (queued before, say) publishes nothing.
    clock.advance(6 * DAY);
    const { rows } = await db.query(`select (graphile_worker.add_job('developers.credentialExpiring', $1::json)).id::text as id`, [
      JSON.stringify({ credentialId: credential.id, expiresAt: credential.expiresAt }),
    ]);
    await waitFor(async () => (await db.query(`select 1 from graphile_worker._private_jobs where id = $1`, [rows[0].id])).rowCount === 0, {
      what: 'the stale job to finish',
    });
    const history = await gatewayRequest(
      platform.gatewayUrl,
      `query($org: ID!) { accessRequestEventsHistory(organizationId: $org, first: 100) { edges { node { type credential { id } } } } }`,
      { org: ids.org },
      owner,
    );
    const mine = history.data.accessRequestEventsHistory.edges
      .map((e: any) => e.node)
      .filter((n: any) => n.credential?.id === credential.id)
      .map((n: any) => n.type);
    expect(mine.slice(mine.indexOf('CREDENTIAL_REVOKED'))).toEqual(['CREDENTIAL_REVOKED']);
    expect(mine.filter((t: string) => t === 'CREDENTIAL_EXPIRING')).toHaveLength(1);
    expect(expiring(member.events, credential.id)).toHaveLength(1);
  });
});
