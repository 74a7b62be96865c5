import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startPlatform, type TestPlatform } from './helpers/platform';
import { developer, gatewayRequest, portalAdmin, tokenFor, type Identity } from './helpers/graphql';
import { waitFor } from './helpers/wait';
import { unique } from './helpers/db';
import { Seed } from './kit/seed';
import { raiseQuotaWarning } from './kit/quota-warnings';
import { QuotaWarningKind } from '../subgraphs/usage/entities/quota-warning';

/**
 * App visibility through the gateway: a PERSONAL app is seen and used by its creator and the
 * organization's ORG_ADMINs only, a TEAM app by the members of its team (and ORG_ADMINs), an
 * ORGANIZATION app by every member. Members who may not see an app get null / nothing in lists,
 * and FORBIDDEN when they act on it (as for an app that does not exist).
 */
describe('app visibility through the gateway', () => {
  let platform: TestPlatform;
  let seed: Seed;
  const admin: Identity = { ...portalAdmin(), amr: ['pwd', 'mfa'] };
  const owner = developer(); // ORG_ADMIN
  const creator = developer(); // MEMBER, creates the PERSONAL app
  const teammate = developer(); // MEMBER, in the team
  const other = developer(); // MEMBER, in no team
  const ids: Record<string, string> = {};
  const clients: Client[] = [];

  /** Live `accessRequestEvents` of the organization as `identity` receives them. */
  function subscribe(identity: Identity) {
    const client = createClient({
      url: platform.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
    });
    clients.push(client);
    const events: any[] = [];
    client.subscribe(
      {
        query: `subscription($org: ID) { accessRequestEvents(organizationId: $org) { type credential { id app { id } } accessRequest { app { id } } } }`,
        variables: { org: ids.org },
      },
      { next: (r) => events.push(r.data?.accessRequestEvents ?? r.errors), error: (e) => events.push(e), complete: () => undefined },
    );
    return events;
  }

  const gql = async (query: string, variables: Record<string, unknown>, identity: Identity | null) => {
    const r = await gatewayRequest(platform.gatewayUrl, query, variables, identity);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const mutate = async (name: string, inputType: string, input: Record<string, unknown>, select: string, identity: Identity) => {
    const data = await gql(
      `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`,
      { i: input },
      identity,
    );
    return data[name];
  };
  const join = async (who: Identity, role: 'MEMBER' | 'ORG_ADMIN') => {
    const invited = await mutate(
      'inviteMember',
      'InviteMemberInput',
      { organizationId: ids.org, email: who.email, role },
      'invitation { id }',
      admin,
    );
    const accepted = await mutate(
      'acceptInvitation',
      'AcceptInvitationInput',
      { invitationId: invited.invitation.id },
      'invitation { id }',
      who,
    );
    expect(accepted.errors).toEqual([]);
  };
  const createApp = async (input: Record<string, unknown>, as: Identity) =>
    mutate(
      'createApp',
      'CreateAppInput',
      { organizationId: ids.org, name: unique('app'), ...input },
      'app { id visibility team { id } }',
      as,
    );
  const seenApps = async (as: Identity): Promise<string[]> => {
    const data = await gql(
      `query($org: ID!) { apps(first: 50, filter: { organizationId: $org }) { edges { node { id } } }
                          organization(id: $org) { apps(first: 50) { edges { node { id } } } } }`,
      { org: ids.org },
      as,
    );
    const list = data.apps.edges.map((e: any) => e.node.id).sort();
    expect(data.organization.apps.edges.map((e: any) => e.node.id).sort()).toEqual(list);
    return list;
  };
  const appById = async (id: string, as: Identity) => (await gql(`query($id: ID!) { app(id: $id) { id visibility } }`, { id }, as)).app;

  beforeAll(async () => {
    platform = await startPlatform();
    seed = new Seed(platform.gatewayUrl, admin);
    ids.org = await seed.organization(owner.sub);
    await join(creator, 'MEMBER');
    await join(teammate, 'MEMBER');
    await join(other, 'MEMBER');
    const team = await mutate('createTeam', 'CreateTeamInput', { organizationId: ids.org, name: unique('team') }, 'team { id }', owner);
    ids.team = team.team.id;
    const added = await mutate('addTeamMember', 'AddTeamMemberInput', { teamId: ids.team, subject: teammate.sub }, 'team { id }', owner);
    expect(added.errors).toEqual([]);
    ids.catalog = await seed.catalog();
    ids.product = await seed.product({ catalogIds: [ids.catalog] });
    ids.plan = await seed.plan({ name: unique('auto'), catalogIds: [ids.catalog], autoApprove: true });
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await platform?.stop();
  });

  it('creates apps with each visibility; TEAM without a team is refused with its field, nothing written', async () => {
    const refused = await createApp({ visibility: 'TEAM' }, creator);
    expect(refused.app).toBeNull();
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'VISIBILITY_NEEDS_TEAM', field: 'input.teamId' })]);

    const personal = await createApp({ visibility: 'PERSONAL' }, creator);
    expect(personal.errors).toEqual([]);
    expect(personal.app.visibility).toBe('PERSONAL');
    ids.personal = personal.app.id;
    const teamApp = await createApp({ visibility: 'TEAM', teamId: ids.team }, teammate);
    expect(teamApp.errors).toEqual([]);
    ids.teamApp = teamApp.app.id;
    const shared = await createApp({}, other);
    expect(shared.app.visibility).toBe('ORGANIZATION');
    ids.shared = shared.app.id;
    expect(await seenApps(admin)).toEqual([ids.personal, ids.teamApp, ids.shared].sort());
  });

  it('lists and reads by id only what each caller may see; ORG_ADMINs and portal admins see all', async () => {
    const all = [ids.personal, ids.teamApp, ids.shared].sort();
    expect(await seenApps(owner)).toEqual(all);
    expect(await seenApps(admin)).toEqual(all);
    expect(await seenApps(creator)).toEqual([ids.personal, ids.shared].sort());
    expect(await seenApps(teammate)).toEqual([ids.teamApp, ids.shared].sort());
    expect(await seenApps(other)).toEqual([ids.shared]);

    expect(await appById(ids.personal, other)).toBeNull();
    expect(await appById(ids.personal, teammate)).toBeNull();
    expect(await appById(ids.personal, creator)).toEqual({ id: ids.personal, visibility: 'PERSONAL' });
    expect(await appById(ids.personal, owner)).toEqual({ id: ids.personal, visibility: 'PERSONAL' });
    expect(await appById(ids.teamApp, other)).toBeNull();
    expect(await appById(ids.teamApp, creator)).toBeNull();
    expect(await appById(ids.teamApp, teammate)).toEqual({ id: ids.teamApp, visibility: 'TEAM' });
    expect(await appById(ids.teamApp, admin)).toEqual({ id: ids.teamApp, visibility: 'TEAM' });
  });

  it('refuses members acting on an app they cannot see (FORBIDDEN, as for a missing app); its credentials stay hidden', async () => {
    const granted = await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: ids.personal, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { id status credential { id } }',
      creator,
    );
    expect(granted.errors).toEqual([]);
    ids.request = granted.accessRequest.id;
    ids.credential = granted.accessRequest.credential.id;

    for (const [query, variables] of [
      [
        `mutation($i: RequestAccessInput!) { requestAccess(input: $i) { accessRequest { id } } }`,
        { i: { appId: ids.personal, planId: ids.plan, productIds: [ids.product] } },
      ],
      [`mutation($i: UpdateAppInput!) { updateApp(input: $i) { app { id } } }`, { i: { id: ids.personal, name: unique('renamed') } }],
      [`mutation($i: RevokeCredentialInput!) { revokeCredential(input: $i) { credential { id } } }`, { i: { id: ids.credential } }],
    ] as const) {
      const r = await gatewayRequest(platform.gatewayUrl, query, variables, other);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    // An id that does not exist gets the same answer.
    const missing = await gatewayRequest(
      platform.gatewayUrl,
      `mutation($i: UpdateAppInput!) { updateApp(input: $i) { app { id } } }`,
      { i: { id: '00000000-0000-4000-8000-000000000000', name: 'x' } },
      other,
    );
    expect(missing.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const reads = `query($c: ID!, $r: ID!, $org: ID!) {
      credential(id: $c) { id } accessRequest(id: $r) { id }
      accessRequests(first: 50, filter: { organizationId: $org }) { edges { node { id app { id visibility } } } }
      organization(id: $org) { credentials(first: 50) { edges { node { id } } } accessRequests(first: 50) { edges { node { id } } } } }`;
    const hidden = await gql(reads, { c: ids.credential, r: ids.request, org: ids.org }, other);
    expect(hidden.credential).toBeNull();
    expect(hidden.accessRequest).toBeNull();
    expect(hidden.accessRequests.edges).toEqual([]);
    expect(hidden.organization.credentials.edges).toEqual([]);
    expect(hidden.organization.accessRequests.edges).toEqual([]);
    const events = `query($org: ID!) {
      accessRequestEventsHistory(organizationId: $org, first: 50) { totalCount edges { node { type credential { id } } } }
      organization(id: $org) { entitlements { credential { id } } } }`;
    const otherEvents = await gql(events, { org: ids.org }, other);
    expect(otherEvents.accessRequestEventsHistory).toEqual({ totalCount: 0, edges: [] });
    expect(otherEvents.organization.entitlements).toEqual([]);
    const creatorEvents = await gql(events, { org: ids.org }, creator);
    expect(creatorEvents.accessRequestEventsHistory.totalCount).toBeGreaterThan(0);
    expect(creatorEvents.accessRequestEventsHistory.edges.map((e: any) => e.node.type)).toEqual(
      expect.arrayContaining(['REQUESTED', 'CREDENTIAL_ISSUED']),
    );
    expect(creatorEvents.organization.entitlements).toEqual([{ credential: { id: ids.credential } }]);

    for (const who of [creator, owner]) {
      const seen = await gql(reads, { c: ids.credential, r: ids.request, org: ids.org }, who);
      expect(seen.credential).toEqual({ id: ids.credential });
      expect(seen.accessRequest).toEqual({ id: ids.request });
      expect(seen.organization.credentials.edges).toEqual([{ node: { id: ids.credential } }]);
      expect(seen.accessRequests.edges).toEqual([{ node: { id: ids.request, app: { id: ids.personal, visibility: 'PERSONAL' } } }]);
    }
  });

  it('streams a member only the events of apps they may see', async () => {
    const otherEvents = subscribe(other);
    const creatorEvents = subscribe(creator);
    // Subscriptions are live once an event reaches them: the other member gets access for apps of
    // their own (a new one each try) until one of those events arrives.
    const probes: string[] = [];
    await waitFor(
      async () => {
        const probe = await createApp({ visibility: 'PERSONAL' }, other);
        probes.push(probe.app.id);
        await mutate(
          'requestAccess',
          'RequestAccessInput',
          { appId: probe.app.id, planId: ids.plan, productIds: [ids.product] },
          'accessRequest { id }',
          other,
        );
        return otherEvents.length > 0;
      },
      { what: "the other member's subscription to be live" },
    );
    // An event of the PERSONAL app the other member may not see ...
    const revoked = await mutate('revokeCredential', 'RevokeCredentialInput', { id: ids.credential }, 'credential { status }', creator);
    expect(revoked.errors).toEqual([]);
    await waitFor(() => creatorEvents.some((e) => e.type === 'CREDENTIAL_REVOKED' && e.credential.id === ids.credential), {
      what: "the creator's CREDENTIAL_REVOKED",
    });
    // ... then one of theirs, which marks how far their stream has got.
    const marker = await mutate('createApp', 'CreateAppInput', { organizationId: ids.org, name: unique('marker') }, 'app { id }', other);
    await mutate(
      'requestAccess',
      'RequestAccessInput',
      { appId: marker.app.id, planId: ids.plan, productIds: [ids.product] },
      'accessRequest { id }',
      other,
    );
    await waitFor(() => otherEvents.some((e) => e.credential?.app?.id === marker.app.id), { what: 'the marker event' });
    expect(otherEvents.some((e) => e.credential?.id === ids.credential)).toBe(false);
    const appOf = (e: any) => e.credential?.app?.id ?? e.accessRequest?.app?.id;
    expect(otherEvents.filter((e) => ![...probes, marker.app.id].includes(appOf(e)))).toEqual([]);
  });

  it('shows a member the quota warnings of apps they may see only, in the history and the live stream', async () => {
    const usage = platform.subgraphs.usage!;
    let hour = 0;
    const raise = (appId: string | null) => {
      hour += 1;
      return raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
        organizationId: ids.org,
        appId,
        kind: QuotaWarningKind.SOFT,
        thresholdPercent: 80,
        used: 8,
        limit: 10,
        windowStart: new Date(Date.UTC(2021, 0, 1, hour)),
        resetsAt: new Date(Date.UTC(2021, 0, 1, hour + 1)),
      });
    };
    const watch = (identity: Identity) => {
      const client = createClient({
        url: platform.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: { authorization: `Bearer ${tokenFor(identity)}` },
      });
      clients.push(client);
      const warnings: { appId: string | null; windowStart: string }[] = [];
      client.subscribe(
        { query: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { appId windowStart } }`, variables: { org: ids.org } },
        {
          next: (r) => warnings.push((r.data as any)?.quotaWarnings ?? r.errors),
          error: (e) => warnings.push(e as never),
          complete: () => undefined,
        },
      );
      return warnings;
    };
    const others = watch(other);
    const creators = watch(creator);
    // Live once an organization-wide warning raised now reaches both.
    await waitFor(
      async () => {
        if (others.length && creators.length) return true;
        await raise(null);
        return false;
      },
      { intervalMs: 100, timeoutMs: 15_000, what: 'both streams to be live' },
    );
    const personal = await raise(ids.personal);
    const shared = await raise(ids.shared);
    const closing = await raise(null);
    const got = (list: { windowStart: string }[], w: { windowStart: Date } | null) =>
      list.some((x) => new Date(x.windowStart).getTime() === w!.windowStart.getTime());
    await waitFor(() => got(others, closing) && got(creators, closing), { timeoutMs: 10_000, what: 'the closing warning on both streams' });
    expect(got(creators, personal)).toBe(true);
    expect(got(others, personal)).toBe(false);
    expect(got(others, shared)).toBe(true);
    expect(others.every((w) => w.appId !== ids.personal)).toBe(true);

    const history = async (as: Identity) =>
      (
        await gql(
          `query($org: ID!) { quotaWarningsHistory(organizationId: $org, first: 100) { totalCount edges { node { appId } } } }`,
          { org: ids.org },
          as,
        )
      ).quotaWarningsHistory;
    const apps = (h: any) => h.edges.map((e: any) => e.node.appId);
    const [ofOther, ofCreator, ofOwner] = [await history(other), await history(creator), await history(owner)];
    expect(apps(ofOther)).not.toContain(ids.personal);
    expect(apps(ofOther)).toContain(ids.shared);
    expect(apps(ofCreator)).toContain(ids.personal);
    expect(apps(ofOwner)).toContain(ids.personal);
    expect(ofOther.totalCount).toBe(ofCreator.totalCount - 1);
    // Asking for the hidden app by id gives nothing either.
    const direct = await gql(
      `query($org: ID!, $app: ID) { quotaWarningsHistory(organizationId: $org, appId: $app, first: 10) { totalCount } }`,
      { org: ids.org, app: ids.personal },
      other,
    );
    expect(direct.quotaWarningsHistory.totalCount).toBe(0);
  });

  it('updateApp changes visibility (TEAM needs the team); widening shows the app to every member', async () => {
    const refused = await mutate('updateApp', 'UpdateAppInput', { id: ids.personal, visibility: 'TEAM' }, 'app { id }', creator);
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'VISIBILITY_NEEDS_TEAM', field: 'input.visibility' })]);
    expect(await appById(ids.personal, other)).toBeNull();
    const leaving = await mutate('updateApp', 'UpdateAppInput', { id: ids.teamApp, teamId: null }, 'app { id }', teammate);
    expect(leaving.errors).toEqual([expect.objectContaining({ code: 'VISIBILITY_NEEDS_TEAM', field: 'input.teamId' })]);

    const widened = await mutate(
      'updateApp',
      'UpdateAppInput',
      { id: ids.personal, visibility: 'ORGANIZATION' },
      'app { id visibility }',
      creator,
    );
    expect(widened.errors).toEqual([]);
    expect(await appById(ids.personal, other)).toEqual({ id: ids.personal, visibility: 'ORGANIZATION' });

    // Deleting the team narrows its TEAM apps to PERSONAL (their creator and ORG_ADMINs).
    const deleted = await mutate('deleteTeam', 'DeleteTeamInput', { id: ids.team }, 'deletedTeamId', owner);
    expect(deleted.errors).toEqual([]);
    expect(await appById(ids.teamApp, owner)).toEqual({ id: ids.teamApp, visibility: 'PERSONAL' });
    expect(await appById(ids.teamApp, teammate)).toEqual({ id: ids.teamApp, visibility: 'PERSONAL' });
    expect(await appById(ids.teamApp, other)).toBeNull();
  });
});
