import pino from 'pino';
import { Registry } from 'prom-client';
import { testDatabaseUrl } from '../../test/helpers/db';
import { ManualClock } from '../../test/kit/clock';
import {
  errorsOf,
  gql,
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
import { createApp } from '../../test/kit/developers';
import type { JobRuntime } from '../../common/server';
import { accessReviewReport, revokeUnusedCredential } from './jobs/access-review';

const DAY = 86_400;
const DAY_MS = DAY * 1000;

/**
 * The access review in the developers subgraph: which credentials count as unused (from the usage
 * subgraph's published last use), who may review and schedule, the scheduled revocation's checks
 * (all or nothing), its job (too early, used meanwhile, kept, due), and the daily report. The
 * subgraph runs on a manual clock without its job worker; the tests run the job handlers
 * themselves. Usage is written straight into the usage subgraph's rollups (a fixture).
 */
describe('developers: access review', () => {
  let h: AccessHarness;
  const clock = new ManualClock(new Date(Date.now() - 60 * DAY_MS));
  let runtime: JobRuntime;
  const admin: Identity = portalAdmin();

  beforeAll(async () => {
    h = await startAccessHarness({ clock, jobs: false });
    runtime = {
      orm: h.subgraph.orm,
      pubsub: h.subgraph.pubsub,
      log: pino({ level: 'silent' }),
      clock,
      databaseUrl: testDatabaseUrl(),
      env: { ...process.env, ACCESS_REVIEW_UNUSED_DAYS: '30' },
      metrics: new Registry(),
    };
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** A request of the credential at `at`, as the usage ingest rolls it up (minute, hour and day buckets). */
  async function used(credentialId: string, at: Date): Promise<void> {
    const floor = (ms: number) => new Date(Math.floor(at.getTime() / ms) * ms).toISOString();
    for (const [granularity, ms] of [
      ['MINUTE', 60_000],
      ['HOUR', 3_600_000],
      ['DAY', DAY_MS],
    ] as const) {
      await sql(
        h,
        `insert into usage.usage_rollup (scope, scope_id, granularity, bucket, requests, errors_4xx, errors_5xx, rate_limited, quota_exceeded, latency_sum_ms, latency_histogram)
         values ('CREDENTIAL', ?, ?, ?, 1, 0, 0, 0, 0, 10, '{}')
         on conflict (scope, scope_id, granularity, bucket) do update set requests = usage.usage_rollup.requests + 1`,
        [credentialId, granularity, floor(ms)],
      );
    }
  }

  const appOf = new Map<string, string>();
  async function issue(org: Awaited<ReturnType<typeof organization>>, planId: string, productIds: string[]): Promise<string> {
    const app = await createApp(h, org.id, org.member);
    const { credential } = await ok(h, 'requestAccess', { appId: app.id, planId, productIds }, org.member);
    appOf.set(credential.id, app.id);
    clock.advance(1); // issue times differ: the review lists oldest first
    return credential.id as string;
  }

  const REVIEW = `query($days: Int!, $org: ID, $first: Int, $after: String) {
    accessReview(unusedForDays: $days, organizationId: $org, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { credentialId appId organizationId ownerSubject lastUsedAt createdAt revokeAt
        credential { id status } app { id } organization { id } owner { subject } } }
    }
  }`;
  const REVOKE = `mutation($input: RevokeUnusedCredentialsInput!) { revokeUnusedCredentials(input: $input) {
    scheduledCredentials { id scheduledRevocation { revokeAt scheduledAt reason } } revokeAt errors { code field message } } }`;
  const KEEP = `mutation($input: KeepCredentialInput!) { keepCredential(input: $input) {
    credential { id scheduledRevocation { revokeAt } } errors { code field message } } }`;

  async function review(identity: Identity, days: number, org: string | null = null, first?: number, after?: string) {
    const response = await gql(h, REVIEW, { days, org, first, after }, identity);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data.accessReview;
  }

  const revocationJobs = async (credentialId: string) =>
    (await queuedJobs(h, credentialId)).filter((j) => j.task === 'developers.revokeUnusedCredential');
  const accessEvents = async (credentialId: string) =>
    (
      await sql(h, `select payload from platform.event where topic = 'accessRequestEvents' and payload->>'credentialId' = ? order by id`, [
        credentialId,
      ])
    ).map((row) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload));
  const webhookEvents = async (type: string, key: string, value: string) =>
    sql(h, `select type, organization_id::text as organization_id, data from platform.webhook_event where type = ? and data->>? = ?`, [
      type,
      key,
      value,
    ]);

  it('lists ACTIVE credentials unused for N days (never, or long ago), to portal admins and the organization’s ORG_ADMINs only', async () => {
    const { planId, productIds } = await offer(h, { autoApprove: true });
    const org = await organization(h);
    const other = await organization(h);
    const issuedAt = clock.now();
    const never = await issue(org, planId, productIds);
    const longAgo = await issue(org, planId, productIds);
    const recent = await issue(org, planId, productIds);
    const revoked = await issue(org, planId, productIds);
    const otherOrgs = await issue(other, planId, productIds);
    await ok(h, 'revokeCredential', { id: revoked }, org.member);
    clock.advance(20 * DAY);
    await used(longAgo, new Date(issuedAt.getTime() + 2 * DAY_MS + 90_000));
    await used(recent, new Date(clock.now().getTime() - DAY_MS));
    const issuedLater = await issue(org, planId, productIds);

    const mine = await review(org.owner, 10);
    const ids = mine.edges.map((e: any) => e.node.credentialId);
    expect(ids).toEqual([never, longAgo]);
    expect(mine.totalCount).toBe(2);
    expect(ids).not.toContain(issuedLater);
    expect(mine.edges[0].node).toMatchObject({
      credentialId: never,
      appId: appOf.get(never),
      organizationId: org.id,
      ownerSubject: org.member.sub,
      lastUsedAt: null,
      createdAt: issuedAt.toISOString(),
      revokeAt: null,
      credential: { id: never, status: 'ACTIVE' },
      app: { id: appOf.get(never) },
      organization: { id: org.id },
    });
    // Usage counts to the minute: the start of the minute of the last request.
    const lastUse = issuedAt.getTime() + 2 * DAY_MS + 90_000;
    expect(mine.edges[1].node.lastUsedAt).toBe(new Date(Math.floor(lastUse / 60_000) * 60_000).toISOString());
    // Eighteen days without use is not enough for a 19-day review.
    expect((await review(org.owner, 19)).edges.map((e: any) => e.node.credentialId)).toEqual([never]);

    // Pages, oldest first.
    const first = await review(org.owner, 10, null, 1);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await review(org.owner, 10, null, 1, first.pageInfo.endCursor);
    expect(second.edges.map((e: any) => e.node.credentialId)).toEqual([longAgo]);

    // Portal admins see every organization's; a filter narrows it.
    const all = await review(admin, 10, null, 100);
    expect(all.edges.map((e: any) => e.node.credentialId)).toEqual(expect.arrayContaining([never, longAgo, otherOrgs]));
    expect((await review(admin, 10, other.id)).edges.map((e: any) => e.node.credentialId)).toEqual([otherOrgs]);

    // A member, another organization's ORG_ADMIN, bad days.
    expect((await gql(h, REVIEW, { days: 10, org: org.id }, org.member)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(h, REVIEW, { days: 10, org: org.id }, other.owner)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await review(other.owner, 10)).edges.map((e: any) => e.node.credentialId)).toEqual([otherOrgs]);
    for (const days of [0, 731]) {
      const bad = await gql(h, REVIEW, { days }, admin);
      expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'unusedForDays' });
    }
  });

  it('schedules revocations all or nothing, tells the organization, and the job revokes, skips used ones, or leaves kept ones', async () => {
    const { planId, productIds } = await offer(h, { autoApprove: true });
    const org = await organization(h);
    const other = await organization(h);
    const idle = await issue(org, planId, productIds);
    const willBeUsed = await issue(org, planId, productIds);
    const willBeKept = await issue(org, planId, productIds);
    const busy = await issue(org, planId, productIds);
    const foreign = await issue(other, planId, productIds);
    clock.advance(40 * DAY);
    await used(busy, new Date(clock.now().getTime() - 3_600_000));
    const input = { unusedForDays: 30, noticeDays: 7, reason: 'Unused for a month' };

    // Refusals: a member; an ORG_ADMIN naming another organization's credential; a used one (nothing scheduled).
    const asMember = await gql(h, REVOKE, { input: { ...input, credentialIds: [idle] } }, org.member);
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const crossing = await gql(h, REVOKE, { input: { ...input, credentialIds: [idle, foreign] } }, org.owner);
    expect(crossing.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const inUse = await gql(h, REVOKE, { input: { ...input, credentialIds: [idle, busy] } }, org.owner);
    expect(errorsOf(inUse, 'revokeUnusedCredentials')).toEqual([{ code: 'CREDENTIAL_IN_USE', field: 'input.credentialIds[1]' }]);
    const invalid = await gql(h, REVOKE, { input: { ...input, credentialIds: [idle, idle], noticeDays: 0, reason: ' ' } }, org.owner);
    expect(errorsOf(invalid, 'revokeUnusedCredentials').map((e) => e.field)).toEqual([
      'input.credentialIds',
      'input.noticeDays',
      'input.reason',
    ]);
    expect(await revocationJobs(idle)).toEqual([]);
    expect((await accessEvents(idle)).map((e) => e.type)).not.toContain('CREDENTIAL_REVOCATION_SCHEDULED');

    const scheduledAt = clock.now();
    const revokeAt = new Date(scheduledAt.getTime() + 7 * DAY_MS);
    const scheduled = (await gql(h, REVOKE, { input: { ...input, credentialIds: [idle, willBeUsed, willBeKept] } }, org.owner)).data
      .revokeUnusedCredentials;
    expect(scheduled.errors).toEqual([]);
    expect(scheduled.revokeAt).toBe(revokeAt.toISOString());
    expect(scheduled.scheduledCredentials[0].scheduledRevocation).toEqual({
      revokeAt: revokeAt.toISOString(),
      scheduledAt: scheduledAt.toISOString(),
      reason: input.reason,
    });
    for (const id of [idle, willBeUsed, willBeKept]) {
      expect(await revocationJobs(id)).toEqual([
        {
          task: 'developers.revokeUnusedCredential',
          key: `unused-revocation:${id}`,
          payload: expect.objectContaining({ credentialId: id, dueAt: revokeAt.toISOString() }),
          run_at: revokeAt,
        },
      ]);
      expect((await accessEvents(id)).at(-1)).toMatchObject({
        type: 'CREDENTIAL_REVOCATION_SCHEDULED',
        organizationId: org.id,
        revocation: { revokeAt: revokeAt.toISOString(), reason: input.reason },
      });
      expect(await webhookEvents('CREDENTIAL_REVOCATION_SCHEDULED', 'credentialId', id)).toEqual([
        expect.objectContaining({
          organization_id: org.id,
          data: expect.objectContaining({ revokeAt: revokeAt.toISOString(), reason: input.reason, lastUsedAt: null }),
        }),
      ]);
    }
    const audit = await sql(h, `select actor, after from platform.audit_log where action = 'revokeUnusedCredentials' and target_id = ?`, [
      org.id,
    ]);
    expect(audit).toEqual([expect.objectContaining({ actor: org.owner.sub })]);

    // A retry an hour later keeps the schedule and notifies nobody twice.
    clock.advance(3600);
    const again = (await gql(h, REVOKE, { input: { ...input, credentialIds: [idle] } }, org.owner)).data.revokeUnusedCredentials;
    expect(again.errors).toEqual([]);
    expect(again.scheduledCredentials[0].scheduledRevocation.revokeAt).toBe(revokeAt.toISOString());
    expect((await accessEvents(idle)).filter((e) => e.type === 'CREDENTIAL_REVOCATION_SCHEDULED')).toHaveLength(1);
    expect(await revocationJobs(idle)).toHaveLength(1);

    // The entry shows the schedule; keeping is for ORG_ADMINs (a member is refused), then NOT_SCHEDULED.
    expect((await review(org.owner, 30)).edges.find((e: any) => e.node.credentialId === idle).node.revokeAt).toBe(revokeAt.toISOString());
    expect((await gql(h, KEEP, { input: { credentialId: willBeKept } }, org.member)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(h, KEEP, { input: { credentialId: willBeKept } }, other.owner)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const kept = (await gql(h, KEEP, { input: { credentialId: willBeKept } }, org.owner)).data.keepCredential;
    expect(kept).toEqual({ credential: { id: willBeKept, scheduledRevocation: null }, errors: [] });
    expect(errorsOf(await gql(h, KEEP, { input: { credentialId: willBeKept } }, org.owner), 'keepCredential')).toEqual([
      { code: 'NOT_SCHEDULED', field: 'input.credentialId' },
    ]);
    expect(await revocationJobs(willBeKept)).toEqual([]);
    expect((await accessEvents(willBeKept)).at(-1)).toMatchObject({
      type: 'CREDENTIAL_REVOCATION_CANCELLED',
      revocation: { reason: 'KEPT' },
    });

    // A use after scheduling (in the same minute counts) calls the revocation off.
    await used(willBeUsed, new Date(scheduledAt.getTime() + 5_000));

    // Too early by the subgraph's clock: nothing happens, the job is queued again for the due time.
    clock.advance(6 * DAY);
    await revokeUnusedCredential(runtime, { credentialId: idle, dueAt: revokeAt.toISOString() });
    expect((await sql(h, `select status from developers.credential where id = ?`, [idle]))[0].status).toBe('ACTIVE');
    expect((await revocationJobs(idle)).map((j) => j.run_at)).toEqual([revokeAt]);

    clock.advance(DAY);
    for (const id of [idle, willBeUsed, willBeKept])
      await revokeUnusedCredential(runtime, { credentialId: id, dueAt: revokeAt.toISOString() });
    const rows = await sql(
      h,
      `select id::text as id, status, revoked_by, unused_revocation_due_at from developers.credential where id in (?, ?, ?)`,
      [idle, willBeUsed, willBeKept],
    );
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[idle]).toMatchObject({ status: 'REVOKED', revoked_by: org.owner.sub, unused_revocation_due_at: null });
    expect(byId[willBeUsed]).toMatchObject({ status: 'ACTIVE', unused_revocation_due_at: null });
    expect(byId[willBeKept]).toMatchObject({ status: 'ACTIVE', unused_revocation_due_at: null });
    expect((await accessEvents(idle)).at(-1)).toMatchObject({ type: 'CREDENTIAL_REVOKED' });
    expect((await accessEvents(willBeUsed)).at(-1)).toMatchObject({
      type: 'CREDENTIAL_REVOCATION_CANCELLED',
      revocation: { reason: 'USED' },
    });
    expect(await webhookEvents('CREDENTIAL_REVOCATION_CANCELLED', 'credentialId', willBeUsed)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ cancelledBecause: 'USED' }) }),
    ]);
    expect((await queuedJobs(h, idle)).map((j) => j.task)).toContain('provider.revokeKey');
    const revokedAudit = await sql(
      h,
      `select after from platform.audit_log where action = 'developers.revokeUnusedCredential' and target_id = ?`,
      [idle],
    );
    expect(revokedAudit).toEqual([
      expect.objectContaining({ after: expect.objectContaining({ reason: input.reason, scheduledBy: org.owner.sub }) }),
    ]);

    // Running a job again changes nothing (idempotent).
    const before = (await accessEvents(idle)).length;
    await revokeUnusedCredential(runtime, { credentialId: idle, dueAt: revokeAt.toISOString() });
    expect((await accessEvents(idle)).length).toBe(before);
  });

  it('makes one daily report for portal admins, announced as a platform webhook event', async () => {
    const { planId, productIds } = await offer(h, { autoApprove: true });
    const org = await organization(h);
    const idle = await issue(org, planId, productIds);
    clock.advance(31 * DAY);
    await accessReviewReport(runtime);
    await accessReviewReport(runtime); // the same day: no second report

    const REPORTS = `{ accessReviewReports(first: 5) { totalCount edges { node { id generatedAt unusedForDays credentialCount organizationCount truncated
      entries { credentialId organizationId ownerSubject lastUsedAt credential { id } } } } } }`;
    const reports = (await gql(h, REPORTS, {}, admin)).data.accessReviewReports;
    const latest = reports.edges[0].node;
    expect(latest).toMatchObject({ generatedAt: clock.now().toISOString(), unusedForDays: 30, truncated: false });
    expect(latest.entries).toContainEqual({
      credentialId: idle,
      organizationId: org.id,
      ownerSubject: org.member.sub,
      lastUsedAt: null,
      credential: { id: idle },
    });
    expect(latest.credentialCount).toBe(latest.entries.length);
    expect(reports.edges.filter((e: any) => e.node.generatedAt === latest.generatedAt)).toHaveLength(1);
    expect(await webhookEvents('ACCESS_REVIEW_REPORT', 'accessReviewReportId', latest.id)).toEqual([
      expect.objectContaining({
        organization_id: null,
        data: expect.objectContaining({ unusedForDays: 30, credentialCount: latest.credentialCount }),
      }),
    ]);
    for (const who of [org.owner, org.member]) {
      expect((await gql(h, REPORTS, {}, who)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});
