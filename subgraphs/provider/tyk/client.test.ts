/**
 * The Tyk clients translate every failure into a ProviderError (status, Tyk's message,
 * retryable) and report each call's outcome; no URL (which may hold a key's secret) reaches an
 * error message.
 */
import { TykTestServer } from '../../../test/tyk/server';
import { DashboardClient, GatewayClient } from './client';
import { ProviderError } from './errors';
import type { CallOutcome } from './http';
import { planPolicy } from './bodies';

describe('Tyk clients', () => {
  let tyk: TykTestServer;
  const outcomes: CallOutcome[] = [];
  beforeAll(async () => {
    tyk = await TykTestServer.start({ secret: 'right', dashboardSecret: 'dash' });
  });
  afterAll(async () => {
    await tyk?.stop();
  });
  beforeEach(() => {
    outcomes.length = 0;
    tyk.heal();
  });

  const gateway = (secret = 'right', timeoutMs = 1000) =>
    new GatewayClient({ kind: 'TYK_GATEWAY', baseUrl: tyk.url, secret, timeoutMs, onOutcome: (o) => outcomes.push(o) });
  const failure = async (work: Promise<unknown>): Promise<ProviderError> => {
    const error = await work.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  };

  it("carries Tyk's status and message; 4xx are not retryable, 5xx are", async () => {
    const denied = await failure(gateway('wrong').listPolicies());
    expect(denied).toMatchObject({
      status: 403,
      message: 'Attempted administrative access with invalid or missing key!',
      retryable: false,
      operation: 'listPolicies',
    });
    const invalid = await failure(
      gateway().createPolicy({
        ...planPolicy(
          {
            id: '00000000-0000-4000-8000-000000000000',
            name: 'x',
            status: 'DRAFT',
            key_expires_after_seconds: null,
            quota_scope: 'CREDENTIAL',
            quota_requests: null,
            quota_period_seconds: null,
            rate_requests: null,
            rate_per_seconds: null,
            credential_metadata: null,
            version: 1,
          },
          { orgId: 'o', tags: ['t'] },
        ),
        id: 'bad id',
      }),
    );
    expect(invalid).toMatchObject({
      status: 400,
      message: 'Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~',
      retryable: false,
    });
    tyk.failNext(1, { status: 503, message: 'overloaded' });
    expect(await failure(gateway().getPolicy('p'))).toMatchObject({ status: 503, message: 'overloaded', retryable: true });
    const dashboard = new DashboardClient({ kind: 'TYK_DASHBOARD', baseUrl: tyk.url, secret: 'nope', timeoutMs: 1000 });
    expect(await failure(dashboard.getPolicy('p'))).toMatchObject({ status: 401, message: 'Not authorised', retryable: false });
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, false]);
  });

  it('reports timeouts and refused connections as retryable, without the URL', async () => {
    tyk.slow(300);
    const slow = await failure(gateway('right', 100).createKey('pgk_secret_in_path', { org_id: 'o' }));
    expect(slow).toMatchObject({ status: null, retryable: true, message: 'The provider did not answer within 100 ms' });
    tyk.heal();
    await tyk.down();
    try {
      const refused = await failure(gateway().createKey('pgk_secret_in_path', { org_id: 'o' }));
      expect(refused).toMatchObject({ status: null, retryable: true, message: 'Could not reach the provider (ECONNREFUSED)' });
      expect(refused.message).not.toContain('pgk_secret_in_path');
    } finally {
      await tyk.up();
    }
  });

  it('treats 404 on lookups and deletes as an answer (and a healthy call), not an error', async () => {
    expect(await gateway().getPolicy('missing')).toBeNull();
    expect(await gateway().getKey('missing')).toBeNull();
    expect(await gateway().deleteKey('missing')).toBe('absent');
    expect(await gateway().deletePolicy('missing')).toBe('absent'); // Tyk says 500 "Delete failed"
    expect(outcomes.slice(0, 3).every((o) => o.ok)).toBe(true);
  });
});
