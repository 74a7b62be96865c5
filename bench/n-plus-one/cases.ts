import { Fixtures } from '../../test/helpers/fixtures';
import { gatewayRequest, type GraphQLResponse, type Identity } from '../../test/helpers/graphql';
import { unique } from '../../test/helpers/db';
import type { RunningSubgraph } from '../../common/server';
import { raiseQuotaWarning } from '../../test/kit/quota-warnings';
import { QuotaWarningKind } from '../../subgraphs/usage/entities/quota-warning';
import { mapLimit } from '../lib/stats';

/**
 * The N+1 budget, shared by `test/n-plus-one.e2e.test.ts` (fails on growth) and the
 * `n-plus-one` benchmark scenario (reports the figures): for every list field that resolves
 * entities, the SQL statements one gateway request costs when the list has 1 item and when it
 * has `size` (100) items. Everything is created through the gateway's public API.
 */

export type Role = 'developer' | 'admin' | 'member-of-1' | 'member-of-many';

export interface NPlusOneData {
  tag: string;
  size: number;
  admin: Identity;
  /** A developer in no organization: sees the PUBLIC catalogs. */
  developer: Identity;
  /** ORG_ADMIN of one organization. */
  memberOfOne: Identity;
  /** ORG_ADMIN of `size` organizations. */
  memberOfMany: Identity;
  /** Organization holding `size` quota warnings (when a warning raiser was given). */
  warningsOrganizationId: string | null;
}

export interface NPlusOneCase {
  /** The list field(s) under test, e.g. `Product.catalogs`. */
  field: string;
  /** Which caller runs it (visibility rules differ). */
  as: Role;
  query: string;
  /** Variables for a list of `n` items. */
  variables(data: NPlusOneData, n: number): Record<string, unknown>;
  /** The caller for a list of `n` items (viewer cases change the caller, not `first`). */
  caller?(data: NPlusOneData, n: number): Identity;
  /** How many entities of the field under test the answer holds (sanity check: must be `n`). */
  items(data: any): number;
  /** Needs quota warnings (only when a raiser was given). */
  needsWarnings?: boolean;
}

const edges = (connection: { edges: { node: any }[] }) => connection.edges.map((e) => e.node);
const search = (data: NPlusOneData, n: number) => ({ n, s: data.tag });

export const CASES: NPlusOneCase[] = [
  ...(['developer', 'admin'] as const).flatMap((as): NPlusOneCase[] => [
    {
      field: 'products → Product.catalogs',
      as,
      query: `query($n: Int, $s: String) { products(first: $n, filter: { search: $s }) { edges { node { id catalogs { id name visibility } } } } }`,
      variables: search,
      items: (d) => edges(d.products).flatMap((p) => p.catalogs).length,
    },
    {
      field: 'products → Product.availablePlans',
      as,
      query: `query($n: Int, $s: String) { products(first: $n, filter: { search: $s }) { edges { node { id availablePlans { id name tier quota { requests period } rateLimit { requests perSeconds } } } } } }`,
      variables: search,
      items: (d) => edges(d.products).flatMap((p) => p.availablePlans).length,
    },
    {
      field: 'catalogs → Catalog.products',
      as,
      query: `query($n: Int, $s: String) { catalogs(first: $n, filter: { search: $s }) { edges { node { id products(first: 10) { totalCount edges { node { id name } } } } } } }`,
      variables: search,
      items: (d) => edges(d.catalogs).flatMap((c) => edges(c.products)).length,
    },
    {
      field: 'catalogs → Catalog.plans',
      as,
      query: `query($n: Int, $s: String) { catalogs(first: $n, filter: { search: $s }) { edges { node { id plans { id name tier } } } } }`,
      variables: search,
      items: (d) => edges(d.catalogs).flatMap((c) => c.plans).length,
    },
    {
      field: 'plans → Plan.catalogs',
      as,
      query: `query($n: Int, $s: String) { plans(first: $n, filter: { search: $s }) { edges { node { id catalogs { id name visibility } } } } }`,
      variables: search,
      items: (d) => edges(d.plans).flatMap((p) => p.catalogs).length,
    },
  ]),
  {
    field: 'organizations → Organization.members (→ developer, organization)',
    as: 'admin',
    query: `query($n: Int, $s: String) { organizations(first: $n, filter: { search: $s }) { edges { node { id members { subject role developer { id } organization { id } } } } } }`,
    variables: search,
    items: (d) => edges(d.organizations).flatMap((o) => o.members).length,
  },
  {
    field: 'organizations → Organization.teams → Team.members',
    as: 'admin',
    query: `query($n: Int, $s: String) { organizations(first: $n, filter: { search: $s }) { edges { node { id teams { id name members { subject developer { id } } } } } } }`,
    variables: search,
    items: (d) => edges(d.organizations).flatMap((o) => o.teams.flatMap((t: any) => t.members)).length,
  },
  {
    field: 'organizations → Organization.apps (→ team, organization)',
    as: 'admin',
    query: `query($n: Int, $s: String) { organizations(first: $n, filter: { search: $s }) { edges { node { id apps(first: 10) { totalCount edges { node { id name team { id name } organization { id name } } } } } } } }`,
    variables: search,
    items: (d) => edges(d.organizations).flatMap((o) => edges(o.apps)).length,
  },
  {
    field: 'apps → App.organization, App.team',
    as: 'admin',
    query: `query($n: Int, $s: String) { apps(first: $n, filter: { search: $s }) { edges { node { id organization { id name } team { id name } } } } }`,
    variables: search,
    items: (d) => edges(d.apps).filter((a) => a.organization && a.team).length,
  },
  {
    field: 'viewer → Viewer.memberships (→ organization)',
    as: 'member-of-many',
    query: `query { viewer { memberships { role organization { id name teams { id } } } } }`,
    variables: () => ({}),
    caller: (data, n) => (n === 1 ? data.memberOfOne : data.memberOfMany),
    items: (d) => d.viewer.memberships.filter((m: any) => m.organization).length,
  },
  {
    field: 'quotaWarningsHistory → QuotaWarning.organization',
    as: 'admin',
    query: `query($n: Int, $o: ID!) { quotaWarningsHistory(organizationId: $o, first: $n) { edges { node { id organization { id name } } } } }`,
    variables: (data, n) => ({ n, o: data.warningsOrganizationId }),
    items: (d) => edges(d.quotaWarningsHistory).filter((w) => w.organization).length,
    needsWarnings: true,
  },
];

/**
 * Raises quota warning `index` of an organization through the usage subgraph's own function
 * (the one the ingest calls), each in a quota window of its own so none is a duplicate.
 */
export function quotaWarningRaiser(usage: RunningSubgraph): (organizationId: string, index: number) => Promise<void> {
  return async (organizationId, index) => {
    const hour = 3_600_000;
    await raiseQuotaWarning(usage.orm.em.fork(), usage.pubsub, {
      organizationId,
      kind: QuotaWarningKind.SOFT,
      thresholdPercent: 80,
      used: 800,
      limit: 1000,
      windowStart: new Date(Date.UTC(2026, 0, 1) + index * hour),
      resetsAt: new Date(Date.UTC(2026, 0, 1) + (index + 1) * hour),
    });
  };
}

async function mutate(
  url: string,
  who: Identity,
  mutation: string,
  inputType: string,
  field: string,
  input: Record<string, unknown>,
): Promise<string> {
  const r = await gatewayRequest(
    url,
    `mutation($i: ${inputType}!) { ${mutation}(input: $i) { ${field} { id } errors { code field message } } }`,
    { i: input },
    who,
  );
  if (r.errors?.length) throw new Error(`${mutation}: ${JSON.stringify(r.errors)}`);
  const payload = r.data[mutation];
  if (payload.errors.length) throw new Error(`${mutation}: ${JSON.stringify(payload.errors)}`);
  return payload[field].id;
}

/**
 * Creates, through the gateway as a portal admin, `size` items for every list: catalog i holds
 * product i and plan i; organization i (ORG_ADMIN: `memberOfMany`, plus one more for
 * `memberOfOne`) has one team with its admin in it and one app in that team; and, when `raise`
 * is given, `size` quota warnings of one organization.
 */
export async function createNPlusOneData(
  gatewayUrl: string,
  options: { size?: number; concurrency?: number; raiseWarning?: (organizationId: string, index: number) => Promise<void> } = {},
): Promise<NPlusOneData> {
  const size = options.size ?? 100;
  const concurrency = options.concurrency ?? 8;
  const tag = unique('np');
  const admin: Identity = { sub: `np-admin-${tag}`, roles: ['portal_admin'] };
  const fixtures = new Fixtures(gatewayUrl, admin);
  const developer: Identity = { sub: `np-dev-${tag}`, roles: [], email: `np-dev-${tag}@example.com` };
  const memberOfOne: Identity = { sub: `np-one-${tag}`, roles: [], email: `np-one-${tag}@example.com` };
  const memberOfMany: Identity = { sub: `np-many-${tag}`, roles: [], email: `np-many-${tag}@example.com` };
  const indexes = Array.from({ length: size }, (_, i) => i);
  const name = (kind: string, i: number) => `${tag}-${kind}${String(i).padStart(3, '0')}`;

  const catalogIds = await mapLimit(indexes, concurrency, (i) => fixtures.catalog({ name: name('c', i) }));
  await mapLimit(indexes, concurrency, (i) => fixtures.product({ slug: name('p', i), catalogIds: [catalogIds[i]] }));
  await mapLimit(indexes, concurrency, (i) => fixtures.plan({ name: name('l', i), catalogIds: [catalogIds[i]] }));
  // Organization 0 belongs to memberOfOne; 1..size to memberOfMany (first: size skips none of theirs).
  const owners = [memberOfOne, ...indexes.map(() => memberOfMany)];
  const organizationIds = await mapLimit(owners, concurrency, (owner, i) => fixtures.organization(owner.sub, { slug: name('o', i) }));
  await mapLimit(organizationIds, concurrency, async (organizationId, i) => {
    const teamId = await mutate(gatewayUrl, admin, 'createTeam', 'CreateTeamInput', 'team', { organizationId, name: 'team' });
    await mutate(gatewayUrl, admin, 'addTeamMember', 'AddTeamMemberInput', 'team', { teamId, subject: owners[i].sub });
    await mutate(gatewayUrl, admin, 'createApp', 'CreateAppInput', 'app', { organizationId, teamId, name: name('a', i) });
  });
  let warningsOrganizationId: string | null = null;
  if (options.raiseWarning) {
    warningsOrganizationId = organizationIds[1];
    for (const i of indexes) await options.raiseWarning(warningsOrganizationId, i);
  }
  return { tag, size, admin, developer, memberOfOne, memberOfMany, warningsOrganizationId };
}

export interface NPlusOneFigure {
  field: string;
  as: Role;
  /** Statements at 1 item and at `size` items, summed over the subgraphs. */
  at1: number;
  atSize: number;
  size: number;
  /** Statements per subgraph at `size` items. */
  bySubgraph: Record<string, number>;
  grows: boolean;
}

export interface SqlCounter {
  /** Forget the statements counted so far. */
  reset(): void;
  /** Statements per subgraph since the last reset. */
  counts(): Record<string, number>;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Waits until no subgraph has run SQL for `quietMs` (background work of the set-up has settled). */
export async function settle(counter: SqlCounter, quietMs = 300, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  counter.reset();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (sum(counter.counts()) === 0 || Date.now() > deadline) return;
    counter.reset();
  }
}

/**
 * Runs every case at 1 and at `data.size` items and counts the SQL statements. Each is measured
 * twice and the smaller count kept: work that is not the request's (a job worker, a listener)
 * can only add statements.
 */
export async function measureNPlusOne(gatewayUrl: string, data: NPlusOneData, counter: SqlCounter): Promise<NPlusOneFigure[]> {
  const figures: NPlusOneFigure[] = [];
  await settle(counter);
  for (const c of CASES) {
    if (c.needsWarnings && !data.warningsOrganizationId) continue;
    const measure = async (n: number) => {
      const who = c.caller ? c.caller(data, n) : c.as === 'admin' ? data.admin : data.developer;
      let best: Record<string, number> | null = null;
      for (let attempt = 0; attempt < 2; attempt++) {
        counter.reset();
        const r: GraphQLResponse = await gatewayRequest(gatewayUrl, c.query, c.variables(data, n), who);
        const counts = counter.counts();
        if (r.errors?.length || !r.data) throw new Error(`${c.field} (${c.as}, ${n} items): ${JSON.stringify(r.errors)}`);
        const items = c.items(r.data);
        if (items !== n) throw new Error(`${c.field} (${c.as}): expected ${n} items, the answer holds ${items}`);
        if (!best || sum(counts) < sum(best)) best = counts;
      }
      return best!;
    };
    const one = await measure(1);
    const many = await measure(data.size);
    const bySubgraph = Object.fromEntries(Object.entries(many).filter(([, count]) => count > 0));
    figures.push({ field: c.field, as: c.as, at1: sum(one), atSize: sum(many), size: data.size, bySubgraph, grows: sum(many) > sum(one) });
  }
  return figures;
}
