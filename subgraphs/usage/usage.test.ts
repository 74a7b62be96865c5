import { randomUUID } from 'node:crypto';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { Entity, PrimaryKey } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { initOrm, migrate } from '../../common/db';
import { createLogger } from '../../common/logger';
import { signForwardedAuth, type Claims } from '../../common/auth';
import { gatewaySharedSecret } from '../../common/config';
import { migrations as developersMigrations } from '../developers/migrations';
import { testDatabaseUrl, unique } from '../../test/helpers/db';
import { developer, portalAdmin, subgraphRequest, type Identity } from '../../test/helpers/graphql';
import { waitFor } from '../../test/helpers/wait';
import { usageSubgraph } from '.';
import { QuotaWarningKind } from './entities/quota-warning';
import { effectiveQuotaAlertRules } from './services/quota-alert-rules';
import { QUOTA_WARNINGS_TOPIC } from './services/quota-warnings';
import { raiseQuotaWarning, type RaiseQuotaWarningInput } from '../../test/kit/quota-warnings';

/**
 * `initOrm` refuses an empty entity list (MikroORM: "No entities found"), so the developers
 * migrations run through an ORM that knows this placeholder. It is never queried: fixtures are
 * written with raw SQL, as the brief asks.
 */
@Entity({ tableName: 'organization' })
class DevelopersMigrationAnchor {
  @PrimaryKey({ type: 'uuid' })
  id!: string;
}

const RULES = `query($org: ID!) { quotaAlertRules(organizationId: $org) { organizationId appId thresholds isDefault updatedBy updatedAt } }`;
const SET_RULES = `mutation($input: SetQuotaAlertRulesInput!) {
  setQuotaAlertRules(input: $input) { rules { organizationId appId thresholds isDefault updatedBy } errors { code field message } }
}`;
const HISTORY = `query($org: ID!, $app: ID, $first: Int, $after: String) {
  quotaWarningsHistory(organizationId: $org, appId: $app, first: $first, after: $after) {
    totalCount
    edges { node { id organizationId appId kind thresholdPercent used limit windowStart resetsAt createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SUBSCRIPTION = `subscription($org: ID!, $app: ID) {
  quotaWarnings(organizationId: $org, appId: $app) { id organizationId appId kind thresholdPercent used limit windowStart resetsAt createdAt }
}`;

type Role = 'ORG_ADMIN' | 'MEMBER';

interface Org {
  id: string;
  admin: Identity;
  member: Identity;
}

interface Collected {
  data: Record<string, any>[];
  errors: Record<string, any>[];
  completed: boolean;
}

describe('usage subgraph', () => {
  let subgraph: RunningSubgraph;
  let developersOrm: MikroORM;
  let db: pg.Client;
  const clients: Client[] = [];
  /** SQL statements the subgraph ran (N+1 checks). */
  const queries: string[] = [];

  beforeAll(async () => {
    const databaseUrl = testDatabaseUrl();
    const log = createLogger('developers-fixture');
    developersOrm = await initOrm({
      schema: 'developers',
      databaseUrl,
      entities: [DevelopersMigrationAnchor],
      migrations: developersMigrations,
      log,
    });
    await migrate(developersOrm, databaseUrl, 'developers', log);
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    subgraph = await startSubgraph(usageSubgraph, { databaseUrl, port: 0, onQuery: (sql) => queries.push(sql) });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await subgraph?.stop();
    await db?.end();
    await developersOrm?.close(true);
  });

  /** An organization (ACTIVE unless told) with one ORG_ADMIN and one MEMBER. */
  async function organization(status = 'ACTIVE'): Promise<Org> {
    const id = randomUUID();
    const admin = developer();
    const member = developer();
    const slug = unique('org');
    await db.query(`insert into developers.organization (id, name, slug, status, created_by) values ($1, $2, $3, $4, $5)`, [
      id,
      slug,
      slug,
      status,
      admin.sub,
    ]);
    const members: [Identity, Role][] = [
      [admin, 'ORG_ADMIN'],
      [member, 'MEMBER'],
    ];
    for (const [who, role] of members) {
      await db.query(`insert into developers.organization_member (id, organization_id, subject, role) values ($1, $2, $3, $4)`, [
        randomUUID(),
        id,
        who.sub,
        role,
      ]);
    }
    return { id, admin, member };
  }

  /** An app of the organization (developers' table, as the developers subgraph would write it). */
  async function app(organizationId: string): Promise<string> {
    const id = randomUUID();
    await db.query(`insert into developers.app (id, organization_id, name, created_by) values ($1, $2, $3, 'fixture')`, [
      id,
      organizationId,
      unique('app'),
    ]);
    return id;
  }

  let windowOffset = 0;
  /** A warning input in its own quota window (so it never collides with another test's). */
  function warning(organizationId: string, overrides: Partial<RaiseQuotaWarningInput> = {}): RaiseQuotaWarningInput {
    windowOffset += 1;
    const windowStart = new Date(Date.UTC(2026, 0, 1) + windowOffset * 3_600_000);
    return {
      organizationId,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent: 80,
      used: 800,
      limit: 1000,
      windowStart,
      resetsAt: new Date(windowStart.getTime() + 3_600_000),
      ...overrides,
    };
  }

  const raise = (input: RaiseQuotaWarningInput) => raiseQuotaWarning(subgraph.orm.em.fork(), subgraph.pubsub, input);

  /** Subscribes straight to the subgraph over graphql-ws, signed as the gateway signs claims. */
  function subscribe(identity: Identity | null, variables: Record<string, unknown>): Collected {
    const client = createClient({ url: subgraph.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(client);
    const state: Collected = { data: [], errors: [], completed: false };
    client.subscribe(
      {
        query: SUBSCRIPTION,
        variables,
        extensions: {
          plangraph: signForwardedAuth(
            gatewaySharedSecret(),
            (identity ?? null) as Claims | null,
            {
              query: SUBSCRIPTION,
              variables,
            },
            Date.now(),
          ),
        },
      },
      {
        next: (result) => {
          if (result.errors) state.errors.push(...(result.errors as unknown as Record<string, any>[]));
          if (result.data) state.data.push((result.data as Record<string, any>).quotaWarnings);
        },
        error: (error) => state.errors.push({ message: String(error) }),
        complete: () => {
          state.completed = true;
        },
      },
    );
    return state;
  }

  describe('alert rules', () => {
    it('returns the documented defaults until rules are set, then the stored, sorted rules', async () => {
      const org = await organization();
      const initial = await subgraphRequest(subgraph.url, RULES, { org: org.id }, org.member);
      expect(initial.errors).toBeUndefined();
      expect(initial.data.quotaAlertRules).toEqual([
        { organizationId: org.id, appId: null, thresholds: [80, 90, 100], isDefault: true, updatedBy: null, updatedAt: null },
      ]);

      const set = await subgraphRequest(
        subgraph.url,
        SET_RULES,
        { input: { organizationId: org.id, thresholds: [95, 50, 75] } },
        org.admin,
      );
      expect(set.errors).toBeUndefined();
      expect(set.data.setQuotaAlertRules).toEqual({
        rules: { organizationId: org.id, appId: null, thresholds: [50, 75, 95], isDefault: false, updatedBy: org.admin.sub },
        errors: [],
      });

      const appId = await app(org.id);
      const forApp = await subgraphRequest(
        subgraph.url,
        SET_RULES,
        { input: { organizationId: org.id, appId, thresholds: [100] } },
        portalAdmin(),
      );
      expect(forApp.data.setQuotaAlertRules.errors).toEqual([]);
      // Never rules for an app of another organization (or one that does not exist).
      const elsewhere = await app((await organization()).id);
      for (const other of [elsewhere, randomUUID()]) {
        const refused = await subgraphRequest(
          subgraph.url,
          SET_RULES,
          { input: { organizationId: org.id, appId: other, thresholds: [100] } },
          portalAdmin(),
        );
        expect(refused.data.setQuotaAlertRules).toEqual({
          rules: null,
          errors: [{ code: 'NOT_FOUND', field: 'input.appId', message: expect.any(String) }],
        });
      }
      // Setting again replaces (one rule set per organization and per app).
      const again = await subgraphRequest(subgraph.url, SET_RULES, { input: { organizationId: org.id, thresholds: [60] } }, org.admin);
      expect(again.data.setQuotaAlertRules.rules.thresholds).toEqual([60]);

      const listed = await subgraphRequest(subgraph.url, RULES, { org: org.id }, org.member);
      expect(listed.data.quotaAlertRules.map((r: any) => [r.appId, r.thresholds, r.isDefault])).toEqual([
        [null, [60], false],
        [appId, [100], false],
      ]);
      expect(Number.isNaN(Date.parse(listed.data.quotaAlertRules[0].updatedAt))).toBe(false);

      // What the ingest will use: the app's own rules, else the organization's, else the defaults.
      expect((await effectiveQuotaAlertRules(subgraph.orm.em.fork(), org.id, appId)).thresholds).toEqual([100]);
      expect((await effectiveQuotaAlertRules(subgraph.orm.em.fork(), org.id, randomUUID())).thresholds).toEqual([60]);
      const fresh = await effectiveQuotaAlertRules(subgraph.orm.em.fork(), randomUUID(), null);
      expect(fresh).toMatchObject({ thresholds: [80, 90, 100], isDefault: true });
    });

    it('reports invalid thresholds per field and changes nothing', async () => {
      const org = await organization();
      const cases: [unknown, string][] = [
        [[], 'between 1 and 10'],
        [[0, 50, 101], '0, 101'],
        [[80, 90, 80], 'repeated 80'],
        [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'between 1 and 10'],
      ];
      for (const [thresholds, message] of cases) {
        const result = await subgraphRequest(subgraph.url, SET_RULES, { input: { organizationId: org.id, thresholds } }, org.admin);
        expect(result.errors).toBeUndefined();
        expect(result.data.setQuotaAlertRules.rules).toBeNull();
        expect(result.data.setQuotaAlertRules.errors).toEqual([
          { code: 'VALIDATION_FAILED', field: 'input.thresholds', message: expect.stringContaining(message) },
        ]);
      }
      // Malformed ids are refused by the input boundary (common/input-boundary.ts) before the resolver.
      const badApp = await subgraphRequest(
        subgraph.url,
        SET_RULES,
        { input: { organizationId: org.id, appId: 'not-an-id', thresholds: [90, 90] } },
        org.admin,
      );
      expect(badApp.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.appId' });
      const badOrg = await subgraphRequest(subgraph.url, SET_RULES, { input: { organizationId: 'nope', thresholds: [90] } }, portalAdmin());
      expect(badOrg.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.organizationId' });

      const after = await subgraphRequest(subgraph.url, RULES, { org: org.id }, org.admin);
      expect(after.data.quotaAlertRules).toEqual([expect.objectContaining({ isDefault: true, thresholds: [80, 90, 100] })]);
    });

    it("refuses a member who is not ORG_ADMIN, another organization's admin and anonymous callers", async () => {
      const org = await organization();
      const other = await organization();
      const input = { organizationId: org.id, thresholds: [10] };
      const asMember = await subgraphRequest(subgraph.url, SET_RULES, { input }, org.member);
      expect(asMember.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const asOtherAdmin = await subgraphRequest(subgraph.url, SET_RULES, { input }, other.admin);
      expect(asOtherAdmin.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const anonymous = await subgraphRequest(subgraph.url, SET_RULES, { input }, null);
      expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

      const readByOutsider = await subgraphRequest(subgraph.url, RULES, { org: org.id }, other.admin);
      expect(readByOutsider.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(readByOutsider.data).toBeNull();

      const after = await subgraphRequest(subgraph.url, RULES, { org: org.id }, org.member);
      expect(after.data.quotaAlertRules).toEqual([expect.objectContaining({ isDefault: true })]);
    });

    it('honours only ACTIVE organizations', async () => {
      const suspended = await organization('SUSPENDED');
      const set = await subgraphRequest(
        subgraph.url,
        SET_RULES,
        { input: { organizationId: suspended.id, thresholds: [10] } },
        suspended.admin,
      );
      expect(set.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const read = await subgraphRequest(subgraph.url, RULES, { org: suspended.id }, suspended.member);
      expect(read.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('warnings', () => {
    it('raises a warning once per key: a second raise stores nothing and publishes nothing', async () => {
      const org = await organization();
      const input = warning(org.id, { kind: QuotaWarningKind.HARD, thresholdPercent: 100, used: 1000 });
      const first = await raise(input);
      expect(first).not.toBeNull();
      expect(first!.windowStart).toEqual(input.windowStart);
      const second = await raise({ ...input, used: 1005 });
      expect(second).toBeNull();
      const appId = randomUUID();
      // Another scope (an app) or another threshold in the same window is a different warning.
      expect(await raise({ ...input, appId })).not.toBeNull();
      expect(await raise({ ...input, appId })).toBeNull();
      expect(await raise({ ...input, thresholdPercent: 90 })).not.toBeNull();

      const rows = await db.query(`select count(*)::int as n from usage.quota_warning where organization_id = $1`, [org.id]);
      expect(rows.rows[0].n).toBe(3);
      const events = await db.query(`select payload from platform.event where topic = $1 and payload->>'organizationId' = $2 order by id`, [
        QUOTA_WARNINGS_TOPIC,
        org.id,
      ]);
      expect(events.rows).toHaveLength(3);
      expect(events.rows[0].payload).toMatchObject({
        id: first!.id,
        kind: 'HARD',
        thresholdPercent: 100,
        windowStart: input.windowStart.toISOString(),
      });
    });

    it('rejects malformed input to raiseQuotaWarning without writing', async () => {
      const org = await organization();
      await expect(raise(warning(org.id, { thresholdPercent: 0 }))).rejects.toThrow(/thresholdPercent/);
      await expect(raise(warning('not-a-uuid'))).rejects.toThrow(/organizationId/);
      const rows = await db.query(`select count(*)::int as n from usage.quota_warning where organization_id = $1`, [org.id]);
      expect(rows.rows[0].n).toBe(0);
    });

    it('shows the history, oldest first, to members and portal admins only', async () => {
      const org = await organization();
      const other = await organization();
      const appId = randomUUID();
      const a1 = await raise(warning(org.id, { appId, thresholdPercent: 80 }));
      const a2 = await raise(warning(org.id, { thresholdPercent: 90 }));
      const a3 = await raise(warning(org.id, { appId, thresholdPercent: 100, kind: QuotaWarningKind.HARD }));
      await raise(warning(other.id));

      const asMember = await subgraphRequest(subgraph.url, HISTORY, { org: org.id }, org.member);
      expect(asMember.errors).toBeUndefined();
      const history = asMember.data.quotaWarningsHistory;
      expect(history.totalCount).toBe(3);
      expect(history.edges.map((e: any) => e.node.id)).toEqual([a1!.id, a2!.id, a3!.id]);
      expect(history.edges.every((e: any) => e.node.organizationId === org.id)).toBe(true);
      expect(history.edges[0].node).toMatchObject({
        appId,
        kind: 'SOFT',
        thresholdPercent: 80,
        used: 800,
        limit: 1000,
        windowStart: a1!.windowStart.toISOString(),
      });

      const byApp = await subgraphRequest(subgraph.url, HISTORY, { org: org.id, app: appId, first: 1 }, portalAdmin());
      expect(byApp.data.quotaWarningsHistory.totalCount).toBe(2);
      expect(byApp.data.quotaWarningsHistory.edges.map((e: any) => e.node.id)).toEqual([a1!.id]);
      const next = await subgraphRequest(
        subgraph.url,
        HISTORY,
        { org: org.id, app: appId, first: 1, after: byApp.data.quotaWarningsHistory.pageInfo.endCursor },
        org.admin,
      );
      expect(next.data.quotaWarningsHistory.edges.map((e: any) => e.node.id)).toEqual([a3!.id]);
      expect(next.data.quotaWarningsHistory.pageInfo.hasNextPage).toBe(false);

      const outsider = await subgraphRequest(subgraph.url, HISTORY, { org: org.id }, other.admin);
      expect(outsider.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(outsider.data).toBeNull();
      const stranger = await subgraphRequest(subgraph.url, HISTORY, { org: org.id }, developer());
      expect(stranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const anonymous = await subgraphRequest(subgraph.url, HISTORY, { org: org.id }, null);
      expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('resolves QuotaWarning references in one batch, for members and portal admins only', async () => {
      const org = await organization();
      const other = await organization();
      const mine = await raise(warning(org.id));
      const theirs = await raise(warning(other.id));
      const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on QuotaWarning { id organizationId } } }`;
      const representations = [mine!.id, theirs!.id, randomUUID()].map((id) => ({ __typename: 'QuotaWarning', id }));
      const asMember = await subgraphRequest(subgraph.url, query, { r: representations }, org.member);
      expect(asMember.errors).toBeUndefined();
      expect(asMember.data._entities).toEqual([{ id: mine!.id, organizationId: org.id }, null, null]);
      const asAdmin = await subgraphRequest(subgraph.url, query, { r: representations }, portalAdmin());
      expect(asAdmin.data._entities.map((e: any) => e?.id ?? null)).toEqual([mine!.id, theirs!.id, null]);
      const anonymous = await subgraphRequest(subgraph.url, query, { r: representations }, null);
      expect(anonymous.data._entities).toEqual([null, null, null]);
    });

    it('needs one warning SELECT and one membership SELECT however many references a request has', async () => {
      const orgs = [await organization(), await organization(), await organization()];
      const caller = orgs[0].member;
      // The caller also belongs to the second organization, but not to the third.
      await db.query(`insert into developers.organization_member (id, organization_id, subject, role) values ($1, $2, $3, 'MEMBER')`, [
        randomUUID(),
        orgs[1].id,
        caller.sub,
      ]);
      const ids: string[] = [];
      for (const org of orgs) for (let i = 0; i < 3; i++) ids.push((await raise(warning(org.id, { thresholdPercent: 50 + i })))!.id);
      const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on QuotaWarning { id } } }`;
      queries.length = 0;
      const result = await subgraphRequest(subgraph.url, query, { r: ids.map((id) => ({ __typename: 'QuotaWarning', id })) }, caller);
      expect(result.data._entities.map((e: any) => e?.id ?? null)).toEqual([...ids.slice(0, 6), null, null, null]);
      expect(queries.filter((sql) => /quota_warning/.test(sql))).toHaveLength(1);
      expect(queries.filter((sql) => /membership_contract/.test(sql))).toHaveLength(1);
    });
  });

  describe('subscription quotaWarnings (graphql-ws, straight to the subgraph)', () => {
    it("delivers its organization's warnings (and only that app's with appId), never another organization's", async () => {
      const orgA = await organization();
      const orgB = await organization();
      const appX = randomUUID();
      const appY = randomUUID();
      const forOrg = subscribe(orgA.member, { org: orgA.id });
      const forApp = subscribe(portalAdmin(), { org: orgA.id, app: appX });
      const raisedB: string[] = [];
      const raisedA: string[] = [];

      // No "subscribed" acknowledgement exists in graphql-ws: raise B, then A, until A arrives.
      const round = async () => {
        raisedB.push((await raise(warning(orgB.id, { appId: appX })))!.id);
        raisedA.push((await raise(warning(orgA.id, { appId: appY })))!.id);
        raisedA.push((await raise(warning(orgA.id, { appId: appX, kind: QuotaWarningKind.PROJECTED })))!.id);
      };
      await waitFor(
        async () => {
          if (forOrg.data.length && forApp.data.length) return true;
          await round();
          return false;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: 'the first quota warnings over graphql-ws' },
      );
      // Both subscriptions are live now: one more round where B's warning is raised first.
      await round();
      const lastYFromA = raisedA[raisedA.length - 2];
      const lastXFromA = raisedA[raisedA.length - 1];
      await waitFor(() => forOrg.data.some((w) => w.id === lastXFromA) && forApp.data.some((w) => w.id === lastXFromA), {
        what: 'the last round of warnings',
      });

      expect(forOrg.errors).toEqual([]);
      expect(forApp.errors).toEqual([]);
      expect(forOrg.data[0].organizationId).toBe(orgA.id);
      expect(forOrg.data.every((w) => w.organizationId === orgA.id)).toBe(true);
      expect(forOrg.data.some((w) => raisedB.includes(w.id))).toBe(false);
      expect(forOrg.data.map((w) => w.id)).toContain(lastYFromA);
      expect(forApp.data.every((w) => w.organizationId === orgA.id && w.appId === appX)).toBe(true);
      expect(forApp.data.some((w) => raisedB.includes(w.id))).toBe(false);

      const delivered = forOrg.data.find((w) => w.id === lastXFromA)!;
      expect(delivered).toMatchObject({ kind: 'PROJECTED', thresholdPercent: 80, used: 800, limit: 1000, appId: appX });
      for (const field of ['windowStart', 'resetsAt', 'createdAt']) {
        expect(new Date(delivered[field]).toISOString()).toBe(delivered[field]);
      }
      expect(Date.parse(delivered.resetsAt) - Date.parse(delivered.windowStart)).toBe(3_600_000);
    });

    it("ends an outsider's or anonymous subscription with FORBIDDEN / UNAUTHENTICATED and delivers nothing", async () => {
      const orgA = await organization();
      const orgB = await organization();
      const outsider = subscribe(orgB.admin, { org: orgA.id });
      const anonymous = subscribe(null, { org: orgA.id });
      await waitFor(() => outsider.completed && anonymous.completed, { what: 'refused subscriptions to end' });
      expect(outsider.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(anonymous.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);

      // A live subscriber shows the warning was delivered, yet the refused ones got nothing.
      const member = subscribe(orgA.admin, { org: orgA.id });
      await waitFor(
        async () => {
          if (member.data.length) return true;
          await raise(warning(orgA.id));
          return false;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: 'a warning for the member' },
      );
      expect(outsider.data).toEqual([]);
      expect(anonymous.data).toEqual([]);
    });
  });
});
