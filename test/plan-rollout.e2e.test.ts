import type { Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, type Identity } from './helpers/graphql';
import { unique } from './helpers/db';
import { Fixtures } from './helpers/fixtures';
import { waitFor } from './helpers/wait';
import { parseMetrics, valueOf } from './helpers/prometheus';
import { analytics, postAnalytics } from './kit/usage';
import { ManualClock } from './kit/clock';
import { TykTestServer } from './tyk/server';
import { emitAccessEvent } from '../subgraphs/developers/services/events';
import { AccessRequestEventType } from '../subgraphs/developers/entities/access-request-event';
import { watchAccessEvents } from './kit/events';

/**
 * Staged rollout of a plan change through the gateway, against the Tyk test server: a plan (100
 * requests an hour) has two subscribers. One portal admin proposes 200 an hour; another approves it
 * with a rollout of [50, 100]: the plan keeps its version, one key (the deterministic half) carries
 * the candidate policy with the new quota, the other the plan's. When the cohort's 5xx share is
 * worse than the rest's, the evaluation rolls back: both keys on the plan's policy, the candidate
 * policy deleted, the request ROLLED_BACK with the figures, a webhook event. Proposed again and
 * healthy, the rollout completes: the plan gets the change as a new version, both keys its policy.
 * Organization admins and developers are refused; the steps are audited. The organizations hear
 * of it on `accessRequestEvents` (graphql-ws through the gateway): the cohort's gets
 * PLAN_ROLLOUT_LIMITS_CHANGED for its credential, then PLAN_ROLLOUT_ROLLED_BACK; on completion
 * both get PLAN_ROLLOUT_COMPLETED; an organization not on the plan gets none of them.
 */
describe('staged rollout of a plan change through the gateway', () => {
  let platform: TestPlatform;
  let tyk: TykTestServer;
  let fixtures: Fixtures;
  const proposer: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const approver: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  /** The plans subgraph's clock: stage windows pass when the test says so. */
  const clock = new ManualClock(new Date());
  let planId = '';
  let apiId = '';
  const subscribers: { organizationId: string; credentialId: string; keyHash: string; owner: Identity; watch: Watch }[] = [];
  type Watch = { events: any[]; errors: unknown[]; rollout: () => any[] };
  const clients: Client[] = [];
  const outsider = developer();
  let outsiderOrganization = '';
  let outsiderWatch: Watch;

  /** `accessRequestEvents` of an organization, as `identity` receives them. */
  function watchEvents(identity: Identity, organizationId: string): Watch {
    const watched = watchAccessEvents(
      platform.wsUrl,
      clients,
      identity,
      organizationId,
      `type organizationId reason planRolloutId effectiveQuotaRequests effectiveQuotaPeriodSeconds effectiveRateRequests
          plan { id } credential { id }`,
    );
    return { ...watched, rollout: () => watched.events.filter((e) => e.type.startsWith('PLAN_ROLLOUT_')) };
  }

  /** A probe event for each watched organization: once each watcher got its own, the subscriptions are live and everything before it arrived. */
  async function probe(): Promise<void> {
    const watches = [...subscribers.map((s) => [s.organizationId, s.watch] as const), [outsiderOrganization, outsiderWatch] as const];
    const seen = watches.map(([, w]) => w.events.filter((e) => e.type === 'REQUESTED').length);
    const developersSubgraph = platform.subgraphs.developers!;
    await waitFor(
      async () => {
        if (watches.every(([, w], i) => w.events.filter((e) => e.type === 'REQUESTED').length > seen[i]!)) return true;
        await developersSubgraph.orm.em.fork().transactional(async (em) => {
          for (const [organizationId] of watches) {
            await emitAccessEvent(developersSubgraph.pubsub, em as never, {
              type: AccessRequestEventType.REQUESTED,
              organizationId,
              at: new Date(),
            });
          }
        });
        return false;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'a probe event on every subscription' },
    );
  }

  async function gql(query: string, variables: Record<string, unknown>, identity: Identity | null = approver) {
    const response = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (response.errors?.length) throw new Error(JSON.stringify(response.errors));
    return response.data;
  }

  async function mutate(name: string, inputType: string, selection: string, input: Record<string, unknown>, identity: Identity = approver) {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} errors { code field message } } }`,
      { i: input },
      identity,
    );
    if (data[name].errors.length) throw new Error(`${name}: ${JSON.stringify(data[name].errors)}`);
    return data[name];
  }

  const policyOf = (id: string) => `pg-plan-${id.replace(/-/g, '')}`;
  const candidateOf = (rolloutId: string) => `pg-rollout-${rolloutId.replace(/-/g, '')}`;
  const session = (keyHash: string) => tyk.keySession(keyHash) as { apply_policies: string[]; quota_max: number };

  const ROLLOUT = `id status currentStagePercent cohortSize stageStartedAt nextEvaluationAt rollbackReason startedBy
    steps { action stagePercent reason cohortRequests cohortErrorRatePercent restRequests restErrorRatePercent }
    changeRequest { id status decisionReason appliedVersion }`;
  const APPROVE = `mutation($i: ApprovePlanChangeInput!) { approvePlanChange(input: $i) {
    changeRequest { id status rollout { ${ROLLOUT} } } plan { version quota { requests } } errors { code field message } } }`;
  const READ = `query($id: ID!) { planRollout(id: $id) { ${ROLLOUT} } }`;

  beforeAll(async () => {
    platform = await startPlatform({ clockOf: { plans: clock } });
    tyk = await TykTestServer.start();
    fixtures = new Fixtures(platform.gatewayUrl, approver);
    const provider = await mutate('registerProvider', 'RegisterProviderInput', 'provider { id }', {
      name: unique('tyk'),
      kind: 'TYK_GATEWAY',
      baseUrl: tyk.url,
      secret: tyk.secret,
      tykOrgId: tyk.orgId,
      makeDefault: true,
    });
    const catalogId = await fixtures.catalog();
    apiId = unique('forecast');
    tyk.addApi({ apiId, listenPath: `/${apiId}/` });
    const productId = await fixtures.product({ slug: unique('weather'), tykApiIds: [apiId], catalogIds: [catalogId] });
    planId = await fixtures.plan({
      name: unique('standard'),
      catalogIds: [catalogId],
      quota: { requests: 100, period: 'HOUR' },
      rateLimit: null,
      autoApprove: true,
    });
    for (const subject of [{ planId }, { productId }]) {
      await mutate('assignProvider', 'AssignProviderInput', '__typename', { ...subject, providerId: provider.provider.id });
    }
    for (let i = 0; i < 2; i++) {
      const owner = developer();
      const organizationId = await fixtures.organization(owner.sub);
      const app = await mutate('createApp', 'CreateAppInput', 'app { id }', { organizationId, name: unique('app') }, owner);
      const access = await mutate(
        'requestAccess',
        'RequestAccessInput',
        'credential { id }',
        { appId: app.app.id, planId, productIds: [productId] },
        owner,
      );
      const credentialId: string = access.credential.id;
      const keyHash = await waitFor(
        async () => {
          const [row] = await platform.subgraphs
            .provider!.orm.em.getConnection()
            .execute<{ key_hash: string }[]>(`select key_hash from provider.credential_key where credential_id = ? and status = 'ACTIVE'`, [
              credentialId,
            ]);
          return row && tyk.keySession(row.key_hash) ? row.key_hash : null;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: 'the key in the Tyk test server' },
      );
      subscribers.push({ organizationId, credentialId, keyHash, owner, watch: null as unknown as Watch });
    }
    for (const s of subscribers) s.watch = watchEvents(s.owner, s.organizationId);
    outsiderOrganization = await fixtures.organization(outsider.sub);
    outsiderWatch = watchEvents(outsider, outsiderOrganization);
    await probe();
  });

  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await platform?.stop();
    await tyk?.stop();
  });

  async function propose(): Promise<string> {
    const proposed = await mutate(
      'proposePlanChange',
      'ProposePlanChangeInput',
      'changeRequest { id }',
      { id: planId, changes: { quota: { requests: 200, period: 'HOUR' } }, reason: 'Double the quota' },
      proposer,
    );
    return proposed.changeRequest.id;
  }

  /** Starts a rollout of [50, 100] and waits until the half in its cohort carries the candidate policy. */
  async function startRollout(changeRequestId: string) {
    const approved = (
      await gql(APPROVE, {
        i: { id: changeRequestId, rollout: { stages: [50, 100], stageDurationSeconds: 60, minRequests: 5 } },
      })
    ).approvePlanChange;
    expect(approved.errors).toEqual([]);
    expect(approved.plan).toMatchObject({ quota: { requests: 100 } });
    const rollout = approved.changeRequest.rollout;
    expect(approved.changeRequest.status).toBe('ROLLING_OUT');
    expect(rollout).toMatchObject({ status: 'RUNNING', currentStagePercent: 50, cohortSize: 1, startedBy: approver.sub });
    expect(rollout.steps).toEqual([expect.objectContaining({ action: 'STAGE_STARTED', stagePercent: 50 })]);
    const cohort = await waitFor(() => subscribers.find((s) => session(s.keyHash).apply_policies.includes(candidateOf(rollout.id))), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'a key on the candidate policy',
    });
    const rest = subscribers.find((s) => s !== cohort)!;
    expect(session(cohort.keyHash).apply_policies).not.toContain(policyOf(planId));
    expect(session(cohort.keyHash).quota_max).toBe(200);
    expect(session(rest.keyHash).apply_policies).toContain(policyOf(planId));
    expect(session(rest.keyHash).quota_max).toBe(100);
    // The cohort's member sees why: the candidate policy in place of the plan's, and the key consistent with it.
    const limits = (
      await gql(
        `query($id: ID!) { credential(id: $id) { effectiveLimits { consistent policies { policyId kind } expected { quotaMax } } } }`,
        { id: cohort.credentialId },
        cohort.owner,
      )
    ).credential.effectiveLimits;
    expect(limits).toMatchObject({ consistent: true, expected: { quotaMax: 200 } });
    expect(limits.policies).toContainEqual({ policyId: candidateOf(rollout.id), kind: 'PLAN' });
    return { rollout, cohort, rest };
  }

  /** Feeds one minute into the stage: 10 requests of each key, `cohortErrors` of the cohort's answered 502; the window passes and the evaluation runs. */
  async function judge(rollout: { id: string; stageStartedAt: string }, cohortKey: string, restKey: string, cohortErrors: number) {
    const after = new Date(new Date(rollout.stageStartedAt).getTime() + 61_000);
    const second = (i: number) => new Date(after.getTime() + i * 1000);
    const traffic = Array.from({ length: 10 }, (_, i) => [
      analytics({ keyHash: cohortKey, policyIds: [] }, second(i), { api_id: apiId, response_code: i < cohortErrors ? 502 : 200 }),
      analytics({ keyHash: restKey, policyIds: [] }, second(i), { api_id: apiId }),
    ]).flat();
    const fed = await postAnalytics(platform.subgraphs.usage!.url, traffic);
    expect(fed.body).toMatchObject({ accepted: 20, rejected: [] });
    clock.advance(125);
    await platform.subgraphs
      .plans!.orm.em.getConnection()
      .execute(`select graphile_worker.add_job('plans.evaluatePlanRollout', json_build_object('planRolloutId', ?::text), job_key := ?)`, [
        rollout.id,
        `plan-rollout-evaluate:${rollout.id}`,
      ]);
  }

  async function webhook(type: string, rolloutId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await platform.subgraphs
      .plans!.orm.em.getConnection()
      .execute<{ data: Record<string, unknown> }[]>(
        `select data from platform.webhook_event where type = ? and data->>'planRolloutId' = ?`,
        [type, rolloutId],
      );
    return row?.data;
  }

  it('refuses everyone but portal admins, and rolls back automatically when the cohort’s 5xx share is worse', async () => {
    const changeRequestId = await propose();
    // Refused: the subscriber organizations' own admins, anonymous callers; the proposer may not approve.
    const input = { id: changeRequestId, rollout: { stages: [50, 100], stageDurationSeconds: 60 } };
    const codes = async (identity: Identity | null) =>
      ((await gatewayRequest(platform.gatewayUrl, APPROVE, { i: input }, identity)).errors ?? []).map((e) => e.extensions?.code);
    expect(await codes({ ...subscribers[0]!.owner, amr: ['pwd', 'mfa'] })).toEqual(['FORBIDDEN']);
    expect(await codes(null)).toEqual(['UNAUTHENTICATED']);
    const own = (await gql(APPROVE, { i: input }, proposer)).approvePlanChange;
    expect(own.errors.map((e: { code: string }) => e.code)).toEqual(['SELF_APPROVAL_FORBIDDEN']);
    // Bad staging is a typed error, nothing changes.
    const bad = (await gql(APPROVE, { i: { ...input, rollout: { stages: [50, 80], stageDurationSeconds: 1 } } })).approvePlanChange;
    expect(bad.errors.map((e: { field: string }) => e.field)).toEqual(['input.rollout.stages', 'input.rollout.stageDurationSeconds']);

    const { rollout, cohort, rest } = await startRollout(changeRequestId);
    expect(await webhook('PLAN_ROLLOUT_STARTED', rollout.id)).toMatchObject({ planId, stagePercent: 50 });
    const refusedRead = await gatewayRequest(platform.gatewayUrl, READ, { id: rollout.id }, subscribers[0]!.owner);
    expect(refusedRead.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    await judge(rollout, cohort.keyHash, rest.keyHash, 4);
    const rolledBack = await waitFor(async () => {
      const r = (await gql(READ, { id: rollout.id })).planRollout;
      return r.status === 'ROLLED_BACK' ? r : null;
    });
    expect(rolledBack.rollbackReason).toContain('5xx share is 40 points above');
    expect(rolledBack.changeRequest).toMatchObject({ status: 'ROLLED_BACK', appliedVersion: null });
    expect(rolledBack.changeRequest.decisionReason).toBe(rolledBack.rollbackReason);
    expect(rolledBack.steps.map((s: { action: string; stagePercent: number }) => [s.action, s.stagePercent])).toEqual([
      ['STAGE_STARTED', 50],
      ['ROLLED_BACK', 50],
    ]);
    expect(rolledBack.steps[1]).toMatchObject({
      cohortRequests: 10,
      cohortErrorRatePercent: 40,
      restRequests: 10,
      restErrorRatePercent: 0,
    });
    // Both keys on the plan's policy again, its quota; the candidate policy is gone.
    await waitFor(
      () => subscribers.every((s) => session(s.keyHash).apply_policies.includes(policyOf(planId))) && !tyk.policy(candidateOf(rollout.id)),
      {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: 'every key back on the plan policy and the candidate deleted',
      },
    );
    expect(session(cohort.keyHash)).toMatchObject({ quota_max: 100 });
    expect(await webhook('PLAN_ROLLOUT_ROLLED_BACK', rollout.id)).toMatchObject({ planId, stagePercent: 50 });
    // The cohort's organization heard of both steps, for its credential; the others of neither.
    const common = { planRolloutId: rollout.id, plan: { id: planId }, credential: { id: cohort.credentialId } };
    await waitFor(() => cohort.watch.rollout().length >= 2, { timeoutMs: 15_000, intervalMs: 100, what: 'the cohort’s rollout events' });
    expect(cohort.watch.rollout()).toEqual([
      {
        type: 'PLAN_ROLLOUT_LIMITS_CHANGED',
        organizationId: cohort.organizationId,
        reason: null,
        effectiveQuotaRequests: 200,
        effectiveQuotaPeriodSeconds: 3600,
        effectiveRateRequests: null,
        ...common,
      },
      {
        type: 'PLAN_ROLLOUT_ROLLED_BACK',
        organizationId: cohort.organizationId,
        reason: rolledBack.rollbackReason,
        effectiveQuotaRequests: 100,
        effectiveQuotaPeriodSeconds: 3600,
        effectiveRateRequests: null,
        ...common,
      },
    ]);
    await probe();
    expect(rest.watch.rollout()).toEqual([]);
    expect(outsiderWatch.rollout()).toEqual([]);
    const plan = await gql(`query($id: ID!) { plan(id: $id) { version quota { requests } rollouts { id status } } }`, { id: planId });
    expect(plan.plan).toMatchObject({ quota: { requests: 100 }, rollouts: [{ id: rollout.id, status: 'ROLLED_BACK' }] });
    // Audited: the approval that started it, and the evaluation job's rollback.
    const audit = await gql(`query($f: AuditLogFilter) { auditLog(filter: $f) { edges { node { actor action } } } }`, {
      f: { targetType: 'PlanRollout', targetId: rollout.id },
    });
    const entries = audit.auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(entries).toContainEqual({ actor: approver.sub, action: 'approvePlanChange' });
    expect(entries).toContainEqual({ actor: 'system', action: 'plans.evaluatePlanRollout' });
  });

  it('widens a healthy rollout to completion: the plan gets the change as a new version and every key its policy', async () => {
    const before = (await gql(`query($id: ID!) { plan(id: $id) { version } }`, { id: planId })).plan.version as number;
    // A gateway with the response cache, holding the anonymous view of the plan: the job that
    // completes the rollout changes public limits, so the cache must drop it (a catalogue change).
    const cached = await platform.extraGateway({ ...process.env, RESPONSE_CACHE_TTL_SECONDS: '600' });
    const PUBLIC_QUOTA = `query($id: ID!) { plan(id: $id) { quota { requests } } }`;
    const publicQuota = async () => (await gatewayRequest(cached.url, PUBLIC_QUOTA, { id: planId }, null)).data?.plan?.quota?.requests;
    const hits = async () =>
      valueOf(parseMetrics(await (await fetch(new URL('/metrics', cached.url))).text()), 'gateway_response_cache_total', { result: 'hit' });
    expect(await publicQuota()).toBe(100);
    const hitsBefore = await hits();
    expect(await publicQuota()).toBe(100);
    expect(await hits()).toBe(hitsBefore + 1);
    const { rollout, cohort, rest } = await startRollout(await propose());
    await judge(rollout, cohort.keyHash, rest.keyHash, 0);
    const completed = await waitFor(async () => {
      const r = (await gql(READ, { id: rollout.id })).planRollout;
      return r.status === 'COMPLETED' ? r : null;
    });
    expect(completed.steps.map((s: { action: string; stagePercent: number }) => [s.action, s.stagePercent])).toEqual([
      ['STAGE_STARTED', 50],
      ['WIDENED', 50],
      ['COMPLETED', 100],
    ]);
    expect(completed.changeRequest).toMatchObject({ status: 'APPROVED', appliedVersion: before + 1 });
    const plan = await gql(`query($id: ID!) { plan(id: $id) { version quota { requests } } }`, { id: planId });
    expect(plan.plan).toEqual({ version: before + 1, quota: { requests: 200 } });
    await waitFor(async () => (await publicQuota()) === 200, {
      timeoutMs: 10_000,
      what: 'the cached anonymous view to show the new quota',
    });
    await waitFor(
      () =>
        subscribers.every((s) => session(s.keyHash).apply_policies.includes(policyOf(planId)) && session(s.keyHash).quota_max === 200) &&
        !tyk.policy(candidateOf(rollout.id)),
      { timeoutMs: 15_000, intervalMs: 100, what: 'every key on the plan policy with the new quota, the candidate deleted' },
    );
    expect(await webhook('PLAN_ROLLOUT_COMPLETED', rollout.id)).toMatchObject({ planId, version: before + 1 });
    // The cohort heard it joined; once applied, every organization on the plan hears of it, the outsider of nothing.
    const ofThis = (w: Watch) => w.rollout().filter((e) => e.planRolloutId === rollout.id);
    await waitFor(() => ofThis(cohort.watch).length >= 2 && ofThis(rest.watch).length >= 1, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the completion on both subscriptions',
    });
    const applied = { type: 'PLAN_ROLLOUT_COMPLETED', reason: null, effectiveQuotaRequests: 200, effectiveQuotaPeriodSeconds: 3600 };
    expect(ofThis(cohort.watch)).toEqual([
      expect.objectContaining({
        type: 'PLAN_ROLLOUT_LIMITS_CHANGED',
        credential: { id: cohort.credentialId },
        effectiveQuotaRequests: 200,
      }),
      expect.objectContaining({ ...applied, credential: { id: cohort.credentialId }, plan: { id: planId } }),
    ]);
    expect(ofThis(rest.watch)).toEqual([
      expect.objectContaining({ ...applied, credential: { id: rest.credentialId }, organizationId: rest.organizationId }),
    ]);
    await probe();
    expect(outsiderWatch.rollout()).toEqual([]);
    expect([...subscribers.flatMap((s) => s.watch.errors), ...outsiderWatch.errors]).toEqual([]);
    // The rollback plan no longer applies to a completed rollout.
    const late = (
      await gql(`mutation($i: RollBackPlanRolloutInput!) { rollBackPlanRollout(input: $i) { rollout { status } errors { code } } }`, {
        i: { id: rollout.id, reason: 'too late' },
      })
    ).rollBackPlanRollout;
    expect(late).toEqual({ rollout: null, errors: [{ code: 'INVALID_TRANSITION' }] });
  });
});
