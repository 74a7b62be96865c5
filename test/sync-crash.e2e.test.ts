import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import {
  compact,
  createProduct,
  credentialContractFixture,
  enqueue,
  insertCredential,
  mutate,
  planPolicyIdOf,
  productPolicyIdOf,
  startHarness,
  unique,
  waitForLink,
  type Harness,
} from './kit/provider';
import { buildDist } from './helpers/build';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';

/**
 * Provider sync survives `kill -9` in the middle of a write to Tyk, the way a Kubernetes
 * operator must: the only process that runs provider jobs is a real child process (built from
 * `dist/`, like production); it is killed while Tyk holds one of its writes (the plan's policy
 * already written, its endpoint-rule policy half way), the held write then lands in Tyk as if
 * the request had got there just before the crash, and a restarted process finishes the job.
 * Afterwards Tyk holds exactly what the plan says, the plan's `sync` says SYNCED with nothing
 * pending, and nothing was written twice except the one write the crash interrupted.
 */
describe('provider sync after kill -9 mid-sync', () => {
  const LOCK_TIMEOUT_SECONDS = 2;
  let h: Harness;
  let dist: string;
  let child: ChildProcess | null = null;
  let output = '';

  async function startChild(): Promise<ChildProcess> {
    const port = await freePort();
    const started = spawn(process.execPath, [path.join(dist, 'scripts', 'start-one.js'), 'provider'], {
      env: {
        ...process.env,
        DATABASE_URL: h.databaseUrl,
        PROVIDER_PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        JOB_CONCURRENCY: '4',
        JOB_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS),
        PROVIDER_SYNC_INTERVAL_SECONDS: '3600',
        // A held write must outlast the observation below, however slow the machine.
        PROVIDER_HTTP_TIMEOUT_MS: '600000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.stdout!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    started.stderr!.on('data', (chunk) => (output = (output + chunk).slice(-20_000)));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `the provider child process to be ready\n${output.slice(-2000)}`,
    });
    return started;
  }

  beforeAll(async () => {
    // The harness's own provider serves the API only (JOB_CONCURRENCY=0): every provider job runs in the child.
    h = await startHarness({
      with: ['products', 'plans'],
      beforeProvider: credentialContractFixture,
      env: { JOB_CONCURRENCY: '0', JOB_LOCK_TIMEOUT_SECONDS: String(LOCK_TIMEOUT_SECONDS) },
    });
    dist = await buildDist();
    child = await startChild();
  }, 300_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await h?.stop();
  }, 60_000);

  const SYNC = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Plan { sync { status pendingSince stuck lastError } } } }`;
  const planSync = async (planId: string) =>
    (await h.gql('provider', SYNC, { reps: [{ __typename: 'Plan', id: planId }] }, h.admin)).data._entities[0].sync;
  const providerJobs = async () =>
    h.sql<{ key: string; locked_at: Date | null }>(
      `select key, locked_at from graphile_worker.jobs where task_identifier like 'provider.%' and task_identifier <> 'provider.syncProvider'`,
    );

  it('converges after the process is killed while Tyk holds one of its writes', async () => {
    const product = await createProduct(h, { tykApiIds: ['crash-api'] });
    const plan = await mutate(h, 'plans', 'createPlan', 'CreatePlanInput', 'plan { id version }', {
      name: unique('crash'),
      displayName: 'Crash',
      quota: { requests: 1000, period: 'DAY' },
    });
    const planId = plan.plan.id as string;
    const credential = await insertCredential(h, planId, [product.id]);
    await enqueue(h, 'provider.issueKey', { credentialId: credential.id }, `key:${credential.id}`);
    const issued = await waitFor(
      async () =>
        (await h.sql(`select key_hash from provider.credential_key where credential_id = ? and status = 'ACTIVE'`, [credential.id]))[0],
      { timeoutMs: 60_000, intervalMs: 100, what: 'the key to be issued' },
    );
    const keyHash = issued.key_hash as string;
    await waitFor(async () => (await providerJobs()).length === 0, { timeoutMs: 60_000, what: 'the queue to drain' });

    // The change: a new quota and an endpoint rule (plan policy, then a new restriction policy, then the key).
    const planPolicy = planPolicyIdOf(planId);
    const rulesPolicy = `pg-rules-${compact(planId)}-${compact(product.id)}`;
    const held = h.tyk.hold((r) => r.method === 'POST' && r.path === '/tyk/policies' && (r.body as { id?: string })?.id === rulesPolicy);
    const mark = h.tyk.history.length;
    const updated = await mutate(h, 'plans', 'updatePlan', 'UpdatePlanInput', 'plan { version }', {
      id: planId,
      quota: { requests: 2500, period: 'DAY' },
      endpointRules: [{ productId: product.id, allow: [{ path: '/premium', methods: ['GET'] }] }],
    });
    await held.arrived;
    // Mid-sync: the plan policy is in Tyk already, the restriction policy is on its way, the database knows nothing yet.
    expect(h.tyk.policy(planPolicy)?.quota_max).toBe(2500);
    expect((await providerJobs()).find((j) => j.key === `plan:${planId}`)?.locked_at).not.toBeNull();
    expect(await planSync(planId)).toMatchObject({ status: 'PENDING', pendingSince: expect.any(String) });

    const dying = child!;
    const exited = new Promise((resolve) => dying.once('exit', resolve));
    dying.kill('SIGKILL');
    await exited;
    child = null;
    // The request had reached Tyk: it is handled although its client is gone (not loaded until a reload).
    held.release();
    await waitFor(() => h.tyk.policyFiles.has(rulesPolicy), { what: 'the held write to land' });

    // Restarted, the process takes the dead worker's job back once its lock times out, and finishes it.
    child = await startChild();
    await waitForLink(
      h,
      'PLAN',
      planId,
      (row) => row.status === 'SYNCED' && row.synced_version === updated.plan.version,
      'the plan sync',
      90_000,
    );
    await waitFor(
      async () => {
        const sync = await planSync(planId);
        return sync.status === 'SYNCED' && sync.pendingSince === null && (await providerJobs()).length === 0;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'the plan to be in sync with nothing pending' },
    );
    expect(await planSync(planId)).toEqual({ status: 'SYNCED', pendingSince: null, stuck: false, lastError: null });

    // Tyk equals what the plan says.
    expect(h.tyk.policy(planPolicy)).toMatchObject({ quota_max: 2500, quota_renewal_rate: 86400, tags: ['plangraph', 'team-x'] });
    expect(h.tyk.policy(rulesPolicy)).toMatchObject({
      id: rulesPolicy,
      tags: ['plangraph', 'team-x'],
      access_rights: { 'crash-api': expect.objectContaining({ allowed_urls: [{ url: '/premium', methods: ['GET'] }] }) },
    });
    expect(h.tyk.storedSession(keyHash)!.apply_policies).toEqual([productPolicyIdOf(product.id), rulesPolicy, planPolicy]);
    expect(h.tyk.keySession(keyHash)).toMatchObject({
      quota_max: 2500,
      access_rights: { 'crash-api': expect.objectContaining({ allowed_urls: [{ url: '/premium', methods: ['GET'] }] }) },
    });
    const [link] = await h.sql(`select rule_policy_ids, policy_present from provider.policy_link where kind = 'PLAN' and subject_id = ?`, [
      planId,
    ]);
    expect(link).toEqual({ rule_policy_ids: [rulesPolicy], policy_present: true });

    // Nothing written twice but the interrupted write: the plan policy once (found in place after
    // the restart), the restriction policy twice (the held POST and its redo, same body), the key once, no new key.
    const writes = h.tyk.history.slice(mark).filter((r) => r.method !== 'GET');
    const count = (method: string, p: string, id?: string) =>
      writes.filter((r) => r.method === method && r.path === p && (id === undefined || (r.body as { id?: string })?.id === id)).length;
    expect(count('PUT', `/tyk/policies/${planPolicy}`)).toBe(1);
    const ruleBodies = writes.filter((r) => r.method === 'POST' && (r.body as { id?: string })?.id === rulesPolicy).map((r) => r.body);
    expect(ruleBodies).toHaveLength(2);
    expect(ruleBodies[1]).toEqual(ruleBodies[0]);
    expect(count('POST', `/tyk/keys/policy/${keyHash}`)).toBe(1);
    expect(writes.filter((r) => r.path.startsWith('/tyk/keys/') && r.method === 'POST' && !r.path.startsWith('/tyk/keys/policy/'))).toEqual(
      [],
    );
    expect(writes.filter((r) => r.method === 'DELETE')).toEqual([]);
  }, 300_000);
});
