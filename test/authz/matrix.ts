/**
 * THE authorization matrix of the public API: one row per root Query, Mutation and Subscription
 * field and per sensitive field, one expected outcome per caller. `test/authz/matrix.e2e.test.ts`
 * proves every cell through the gateway against one world (`./world.ts`); `npm run authz:table`
 * writes docs/AUTHORIZATION.md from it (a test fails when that file is stale).
 *
 * Callers (columns):
 * - anonymous: no token;
 * - developer: a MEMBER of organization A, which owns every object the rows target;
 * - orgAdmin: an ORG_ADMIN of A;
 * - outsider: an ORG_ADMIN of another organization B — the cross-organization proof for every
 *   id-taking operation (never data);
 * - portalAdmin: a portal admin whose token does NOT assert MFA (step-up rows have a `(mfa)`
 *   variant where every caller's token asserts it);
 * - service: a token with roles ['service'] and no organization.
 *
 * Outcomes (cells):
 * - ALLOW: data came back, or the mutation passed its authorization check. Mutations are sent
 *   with input that is refused AFTER authorization (a payload UserError such as
 *   VALIDATION_FAILED, VERSION_CONFLICT, LAST_ADMIN, …) or that changes nothing, so nothing is
 *   written; the few destructive ones target an object of their own per caller.
 * - NULL: null, an empty list / connection, or a NOT_FOUND payload error: no data.
 * - UNAUTHENTICATED / FORBIDDEN / MFA_REQUIRED: a GraphQL error (or payload UserError) with that code.
 * - REFUSED: a subscription that ends with an error and delivers nothing.
 *
 * This file only describes; it imports nothing at run time but GraphQL-free helpers, so the
 * table generator (`./table.ts`) can load it.
 */
import type { WorldIds } from './world';

export const CALLERS = ['anonymous', 'developer', 'orgAdmin', 'outsider', 'portalAdmin', 'service'] as const;
export type CallerName = (typeof CALLERS)[number];

export const CALLER_TITLES: Record<CallerName, string> = {
  anonymous: 'anonymous',
  developer: 'developer (member of A)',
  orgAdmin: 'org admin (of A)',
  outsider: 'outsider (org admin of B)',
  portalAdmin: 'portal admin',
  service: 'service token',
};

export const OUTCOMES = ['ALLOW', 'NULL', 'UNAUTHENTICATED', 'FORBIDDEN', 'MFA_REQUIRED', 'REFUSED'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Cells = Record<CallerName, Outcome>;

export interface MatrixRow {
  /** `Type.field`, optionally followed by a variant in parentheses: `Mutation.deletePlan (mfa)`. */
  operation: string;
  /** Who may call it, in words (from the field's description). */
  who: string;
  cells: Cells;
  /** The document every caller sends (unused for `http` rows). */
  document: string;
  /**
   * An HTTP endpoint of a subgraph called directly (not through the gateway), with the caller's
   * bearer token: 401 → UNAUTHENTICATED, 403 → FORBIDDEN, any other answer → ALLOW.
   */
  http?: { subgraph: 'usage'; method: 'POST'; path: string; body: string };
  /** Its variables; `caller` lets destructive rows give each caller an object of its own. */
  variables?: (ids: WorldIds, caller: CallerName) => Record<string, unknown>;
  /** Where the answer sits in `data` (default: the root field). Numbers index lists. */
  path?: (string | number)[];
  /** Narrows the answer at `path` to what the row is about (e.g. one plan of a list) before it is classified. */
  select?: (value: any, ids: WorldIds) => unknown;
  /** Every caller's token asserts MFA (`amr: ['pwd', 'mfa']`). */
  mfa?: boolean;
  /**
   * Why the outsider (ORG_ADMIN of B) may get ALLOW here: the row is about something of its own,
   * not of A. Every other row must keep the outsider at NULL / FORBIDDEN / REFUSED / UNAUTHENTICATED
   * (a test enforces it, so a leak cannot be "fixed" by flipping the cell).
   */
  outsiderAllowed?: string;
  /** Subscriptions: what makes organization A's stream deliver an event. */
  trigger?: 'quotaWarning' | 'accessEvent' | 'quotaStatus';
  /**
   * A known authorization bug: the cells say what MUST happen; the code does something else
   * today (described here), so this row fails until it is fixed.
   */
  bug?: string;
}

/** Cells in column order: anonymous, developer, orgAdmin, outsider, portalAdmin, service. */
export function cells(
  anonymous: Outcome,
  developer: Outcome,
  orgAdmin: Outcome,
  outsider: Outcome,
  portalAdmin: Outcome,
  service: Outcome,
): Cells {
  return { anonymous, developer, orgAdmin, outsider, portalAdmin, service };
}

const A = 'ALLOW';
const N = 'NULL';
const U = 'UNAUTHENTICATED';
const F = 'FORBIDDEN';
const R = 'REFUSED';

// Recurring shapes.
/** Readable by members of A (any role) and portal admins; null for everyone else. */
const MEMBERS_READ = cells(N, A, A, N, A, N);
/** Lists: members of A and portal admins see A's rows; anonymous callers are refused. */
const MEMBERS_LIST = cells(U, A, A, N, A, N);
/** Portal-admin-only operation. */
const PORTAL_ADMIN_ONLY = cells(U, F, F, F, A, F);
/** Mutation for members (any role) of A and portal admins. */
const MEMBERS_WRITE = cells(U, A, A, F, A, F);
/** Mutation for ORG_ADMINs of A and portal admins. */
const ORG_ADMINS_WRITE = cells(U, F, A, F, A, F);
/** Mutation for members (any role) of A only (not portal admins). */
const MEMBERS_ONLY_WRITE = cells(U, A, A, F, F, F);
/** Reads for members of A and portal admins, FORBIDDEN to everyone else. */
const MEMBERS_OR_FORBIDDEN = cells(U, A, A, F, A, F);

/**
 * Step-up operations (MFA): the row as given, where the portal admin's token without MFA gets
 * MFA_REQUIRED, and its `(mfa)` variant where every caller's token asserts MFA.
 */
function stepUp(row: MatrixRow): MatrixRow[] {
  return [
    { ...row, who: `${row.who}, with a token that asserts MFA`, cells: { ...row.cells, portalAdmin: 'MFA_REQUIRED' } },
    {
      ...row,
      operation: `${row.operation} (mfa)`,
      who: `${row.who}, with a token that asserts MFA (every caller's token asserts it here)`,
      mfa: true,
    },
  ];
}

/** A mutation document: `name(input: $i) { <select> errors { code field message } }`. */
function mutation(name: string, inputType: string, select = ''): string {
  return `mutation($i: ${inputType}!) { ${name}(input: $i) { ${select} errors { code field message } } }`;
}

/** Arguments of the `usage` fields: one day, hourly. */
const USAGE_RANGE = 'from: "2026-01-01T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", granularity: HOUR';
const PLAN_SETTINGS = { quota: { requests: 1000, period: 'DAY' }, rateLimit: { requests: 10, perSeconds: 1 } };
const STALE = 999_999;

export const MATRIX: MatrixRow[] = [
  // ------------------------------------------------------------------------------------------
  // Queries
  {
    operation: 'Query.app',
    who: "members of the app's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { app(id: $id) { id } }`,
    variables: (w) => ({ id: w.app }),
  },
  {
    operation: 'Query.app (PERSONAL app of A’s org admin)',
    who: 'its creator and the ORG_ADMINs of its organization, portal admins; null for other members and everyone else',
    cells: cells(N, N, A, N, A, N),
    document: `query($id: ID!) { app(id: $id) { id visibility } }`,
    variables: (w) => ({ id: w.personalApp }),
  },
  {
    operation: 'Query.apps',
    who: 'signed-in callers (their organizations’ apps); portal admins all',
    cells: MEMBERS_LIST,
    document: `query($org: ID) { apps(filter: { organizationId: $org }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ org: w.orgA }),
  },
  {
    operation: 'Query.apps (A’s team)',
    who: 'members of A, portal admins',
    cells: MEMBERS_LIST,
    document: `query($team: ID) { apps(filter: { teamId: $team }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ team: w.team }),
  },
  {
    operation: 'Query.organizations',
    who: 'signed-in callers (organizations they belong to); portal admins all',
    cells: MEMBERS_LIST,
    document: `query($s: String) { organizations(filter: { search: $s }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ s: w.orgASlug }),
  },
  {
    operation: 'Query.organization',
    who: 'its members, portal admins; null for everyone else',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id } }`,
    variables: (w) => ({ id: w.orgA }),
  },
  {
    operation: 'Query.viewer',
    who: 'anyone (null for anonymous callers)',
    cells: cells(N, A, A, A, A, A),
    outsiderAllowed: 'the caller’s own identity',
    document: `{ viewer { subject } }`,
  },
  {
    operation: 'Query.accessRequest',
    who: 'members of its organization, portal admins; null for everyone else',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { accessRequest(id: $id) { id } }`,
    variables: (w) => ({ id: w.accessRequest }),
  },
  {
    operation: 'Query.accessRequests',
    who: 'signed-in callers (their organizations’ requests); portal admins all',
    cells: MEMBERS_LIST,
    document: `query($org: ID) { accessRequests(filter: { organizationId: $org }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ org: w.orgA }),
  },
  {
    operation: 'Query.credential',
    who: 'members of its organization, portal admins; null for everyone else',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { credential(id: $id) { id } }`,
    variables: (w) => ({ id: w.credential }),
  },
  {
    operation: 'Query.upgradeOffers',
    who: 'members of the organization (offers for the apps they may see), portal admins',
    cells: MEMBERS_OR_FORBIDDEN,
    document: `query($org: ID!) { upgradeOffers(organizationId: $org, first: 5) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ org: w.orgA }),
  },
  {
    operation: 'Query.validateCredentialFormat',
    who: 'anyone, signed in or not: an offline check of the text given (format and checksum), reads no data',
    cells: cells(A, A, A, A, A, A),
    outsiderAllowed: 'the check reads nothing: it answers about the text the caller sends, never about a stored credential',
    document: `query($s: String!) { validateCredentialFormat(secret: $s) { format } }`,
    variables: () => ({ s: 'pgk_not-a-key' }),
  },
  {
    operation: 'Query.plans',
    who: 'anyone: PUBLISHED plans in catalogs they may see (here: a catalog private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($c: ID) { plans(filter: { catalogId: $c }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ c: w.privateCatalog }),
  },
  {
    operation: 'Query.plan',
    who: 'anyone who may see the plan (here: in a catalog private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { plan(id: $id) { id } }`,
    variables: (w) => ({ id: w.plan }),
  },
  {
    operation: 'Query.plans (product shared with a public catalog)',
    who: 'a plan offered only in A’s private catalog stays hidden when filtering by a product that is also public',
    cells: MEMBERS_READ,
    document: `query($p: ID) { plans(filter: { productId: $p }) { edges { node { id } } } }`,
    variables: (w) => ({ p: w.sharedProduct }),
    select: (connection, w) => connection?.edges.filter((e: { node: { id: string } }) => e.node.id === w.plan),
  },
  {
    operation: 'Query.planVersions',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($id: ID!) { planVersions(planId: $id) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ id: w.plan }),
  },
  {
    operation: 'Query.products',
    who: 'anyone: PUBLISHED products in catalogs they may see (here: a catalog private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($c: ID) { products(filter: { catalogId: $c }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ c: w.privateCatalog }),
  },
  {
    operation: 'Query.product',
    who: 'anyone who may see the product (here: in a catalog private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($id: ID) { product(id: $id) { id } }`,
    variables: (w) => ({ id: w.product }),
  },
  {
    operation: 'Query.product (slug)',
    who: 'anyone who may see the product (here: in a catalog private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($slug: String) { product(slug: $slug) { id } }`,
    variables: (w) => ({ slug: w.productSlug }),
  },
  {
    operation: 'Query.catalogs',
    who: 'anyone: PUBLIC catalogs and PRIVATE ones offered to them (here: private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($s: String) { catalogs(filter: { search: $s }) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ s: w.privateCatalogName }),
  },
  {
    operation: 'Query.catalog',
    who: 'anyone who may see the catalog (here: private to A); portal admins all',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { catalog(id: $id) { id } }`,
    variables: (w) => ({ id: w.privateCatalog }),
  },
  {
    operation: 'Query.providers',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `{ providers { totalCount edges { node { id } } } }`,
  },
  {
    operation: 'Query.provider',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($id: ID!) { provider(id: $id) { id } }`,
    variables: (w) => ({ id: w.provider }),
  },
  {
    operation: 'Query.quotaWarningsHistory',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_OR_FORBIDDEN,
    document: `query($org: ID!) { quotaWarningsHistory(organizationId: $org) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ org: w.orgA }),
  },
  {
    operation: 'Query.quotaWarningsHistory (outsider’s own organization, A’s app)',
    who: 'members of B, portal admins: never warnings about an app of A',
    cells: cells(U, F, F, N, N, F),
    document: `query($org: ID!, $app: ID) { quotaWarningsHistory(organizationId: $org, appId: $app) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ org: w.orgB, app: w.app }),
  },
  {
    operation: 'Query.quotaWarningsHistory (since, after)',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_OR_FORBIDDEN,
    document: `query($org: ID!, $since: DateTime, $after: String) { quotaWarningsHistory(organizationId: $org, since: $since, after: $after) { totalCount edges { cursor node { id cursor } } } }`,
    variables: (w) => ({ org: w.orgA, since: '2020-01-01T00:00:00.000Z', after: '0' }),
  },
  {
    operation: 'Query.accessRequestEventsHistory',
    who: 'members of the organization, portal admins (portal admins may omit the organization for all)',
    cells: MEMBERS_OR_FORBIDDEN,
    document: `query($org: ID, $since: DateTime, $after: String) { accessRequestEventsHistory(organizationId: $org, since: $since, after: $after) { totalCount edges { cursor node { id cursor type organizationId } } } }`,
    variables: (w) => ({ org: w.orgA, since: '2020-01-01T00:00:00.000Z', after: '0' }),
  },
  {
    operation: 'Query.quotaAlertRules',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_OR_FORBIDDEN,
    document: `query($org: ID!) { quotaAlertRules(organizationId: $org) { isDefault } }`,
    variables: (w) => ({ org: w.orgA }),
  },

  {
    operation: 'Query.auditLog',
    who: 'portal admins (all entries); ORG_ADMINs (entries of organizations they administer)',
    cells: cells(U, F, A, F, A, F),
    document: `query($org: ID) { auditLog(filter: { organizationId: $org }) { totalCount edges { node { id organizationId } } } }`,
    variables: (w) => ({ org: w.orgA }),
    select: (connection, w) =>
      connection?.edges.filter((e: { node: { organizationId: string | null } }) => e.node.organizationId === w.orgA),
  },
  {
    operation: 'Query.auditLog (A’s credential, by target id)',
    who: 'ORG_ADMINs get only entries of organizations they administer, whatever the filter: never A’s for the outsider',
    cells: cells(U, F, A, N, A, F),
    document: `query($t: String) { auditLog(filter: { targetId: $t }) { edges { node { id organizationId } } } }`,
    variables: (w) => ({ t: w.credential }),
  },
  {
    operation: 'Query.auditLog (A’s app, by target id)',
    who: 'the ORG_ADMINs of the app’s organization, portal admins',
    cells: cells(U, F, A, N, A, F),
    document: `query($t: String) { auditLog(filter: { targetId: $t }) { edges { node { id organizationId } } } }`,
    variables: (w) => ({ t: w.app }),
  },
  {
    operation: 'Query.auditLog (B, by target id)',
    who: 'the other way round: A’s ORG_ADMIN never sees entries of B (the outsider’s own organization)',
    cells: cells(U, F, N, A, A, F),
    outsiderAllowed: 'B is the outsider’s own organization',
    document: `query($t: String) { auditLog(filter: { targetId: $t }) { edges { node { id organizationId } } } }`,
    variables: (w) => ({ t: w.orgB }),
  },
  {
    operation: 'Query.auditLog (entries without an organization)',
    who: 'portal admins only: catalogue and provider changes (here: createPlan) belong to no organization',
    cells: cells(U, F, N, N, A, F),
    document: `{ auditLog(filter: { action: "createPlan" }) { edges { node { id organizationId } } } }`,
    path: ['auditLog'],
  },
  {
    operation: 'Query.accessReview',
    who: 'portal admins (every organization); ORG_ADMINs (organizations they administer)',
    cells: cells(U, F, A, F, A, F),
    document: `query($org: ID) { accessReview(unusedForDays: 1, organizationId: $org) { totalCount pageInfo { hasNextPage } } }`,
    variables: (w) => ({ org: w.orgA }),
    path: ['accessReview', 'pageInfo'],
  },
  {
    operation: 'Query.accessReviewReports',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `{ accessReviewReports { totalCount pageInfo { hasNextPage } } }`,
    path: ['accessReviewReports', 'pageInfo'],
  },
  {
    operation: 'Query.verifyAuditLog',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `{ verifyAuditLog { valid checkedEntries } }`,
  },
  {
    operation: 'Query.planChangeRequests',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($plan: ID) { planChangeRequests(planId: $plan) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ plan: w.plan }),
  },
  {
    operation: 'Query.planUsageReport',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($from: DateTime!, $to: DateTime!) { planUsageReport(from: $from, to: $to) { from plans { tier } } }`,
    variables: () => ({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }),
  },
  {
    operation: 'Query.planChangeImpact',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($input: PlanChangeImpactInput!) { planChangeImpact(input: $input) { countersWithTraffic } }`,
    variables: (w) => ({ input: { planId: w.plan, quota: { requests: 1, periodSeconds: 60 }, days: 1 } }),
  },
  {
    operation: 'Query.planMigration',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($id: ID!) { planMigration(id: $id) { id status counts { total } } }`,
    variables: (w) => ({ id: w.planMigration }),
  },
  {
    operation: 'Query.planRollout',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($id: ID!) { planRollout(id: $id) { id status } }`,
    variables: (w) => ({ id: w.planRollout }),
  },
  {
    operation: 'Query.planMigrations',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($plan: ID) { planMigrations(planId: $plan) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ plan: w.plan }),
  },
  {
    operation: 'Query.unmatchedUsage',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($from: DateTime!, $to: DateTime!) { unmatchedUsage(from: $from, to: $to) { requests distinctKeys } }`,
    variables: () => ({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }),
  },

  // ------------------------------------------------------------------------------------------
  // Mutations
  {
    operation: 'Mutation.createApp',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_WRITE,
    document: mutation('createApp', 'CreateAppInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, name: '' } }),
  },
  {
    operation: 'Mutation.createApp (outsider’s organization, A’s team)',
    who: 'members of B, portal admins: never into a team of A (NOT_FOUND)',
    cells: cells(U, F, F, N, N, F),
    document: mutation('createApp', 'CreateAppInput', 'app { id }'),
    variables: (w, caller) => ({ i: { organizationId: w.orgB, teamId: w.team, name: `cross-${caller}` } }),
  },
  {
    operation: 'Mutation.updateApp',
    who: "members of the app's organization, portal admins",
    cells: MEMBERS_WRITE,
    document: mutation('updateApp', 'UpdateAppInput'),
    variables: (w) => ({ i: { id: w.app, name: '' } }),
  },
  {
    operation: 'Mutation.updateApp (PERSONAL app of A’s org admin)',
    who: 'its creator and the ORG_ADMINs of its organization, portal admins; FORBIDDEN for other members (as for a missing app)',
    cells: cells(U, F, A, F, A, F),
    document: mutation('updateApp', 'UpdateAppInput'),
    variables: (w) => ({ i: { id: w.personalApp, name: '' } }),
  },
  {
    operation: 'Mutation.updateApp (outsider’s app, A’s team)',
    who: 'members of B, portal admins: never into a team of A (NOT_FOUND)',
    cells: cells(U, F, F, N, N, F),
    document: mutation('updateApp', 'UpdateAppInput', 'app { id }'),
    variables: (w) => ({ i: { id: w.outsiderApp, teamId: w.team } }),
  },
  {
    operation: 'Mutation.deleteApp',
    who: "ORG_ADMINs of the app's organization, portal admins",
    cells: ORG_ADMINS_WRITE,
    // The app has a live credential: refused with APP_HAS_LIVE_CREDENTIALS after authorization.
    document: mutation('deleteApp', 'DeleteAppInput'),
    variables: (w) => ({ i: { id: w.app } }),
  },
  {
    operation: 'Mutation.createOrganization',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('createOrganization', 'CreateOrganizationInput'),
    variables: () => ({ i: { name: '', slug: 'Not A Slug' } }),
  },
  {
    operation: 'Mutation.requestOrganization',
    who: 'any signed-in caller',
    cells: cells(U, A, A, A, A, A),
    outsiderAllowed: 'creates an organization of the caller’s own (input refused here)',
    document: mutation('requestOrganization', 'RequestOrganizationInput'),
    variables: () => ({ i: { name: '', slug: 'Not A Slug' } }),
  },
  {
    operation: 'Mutation.approveOrganization',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // A is ACTIVE: approving it again changes nothing.
    document: mutation('approveOrganization', 'ApproveOrganizationInput'),
    variables: (w) => ({ i: { id: w.orgA } }),
  },
  {
    operation: 'Mutation.rejectOrganization',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('rejectOrganization', 'RejectOrganizationInput'),
    variables: (w) => ({ i: { id: w.orgA, reason: '' } }),
  },
  {
    operation: 'Mutation.suspendOrganization',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('suspendOrganization', 'SuspendOrganizationInput'),
    variables: (w) => ({ i: { id: w.orgA, reason: '' } }),
  },
  {
    operation: 'Mutation.reactivateOrganization',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // A is ACTIVE: reactivating it changes nothing.
    document: mutation('reactivateOrganization', 'ReactivateOrganizationInput'),
    variables: (w) => ({ i: { id: w.orgA } }),
  },
  {
    operation: 'Mutation.inviteMember',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    document: mutation('inviteMember', 'InviteMemberInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, email: 'not an email', role: 'MEMBER' } }),
  },
  {
    operation: 'Mutation.acceptInvitation',
    who: 'the invitee only (token email = invitation email)',
    cells: cells(U, F, F, F, F, F),
    document: mutation('acceptInvitation', 'AcceptInvitationInput'),
    variables: (w) => ({ i: { invitationId: w.pendingInvitation } }),
  },
  {
    operation: 'Mutation.revokeInvitation',
    who: 'ORG_ADMINs of its organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // Revoked already: revoking it again changes nothing.
    document: mutation('revokeInvitation', 'RevokeInvitationInput'),
    variables: (w) => ({ i: { invitationId: w.revokedInvitation } }),
  },
  {
    operation: 'Mutation.setMemberRole',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // The developer is a MEMBER already: changes nothing.
    document: mutation('setMemberRole', 'SetMemberRoleInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, subject: w.subjects.developer, role: 'MEMBER' } }),
  },
  {
    operation: 'Mutation.removeMember',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // The last ORG_ADMIN: refused with LAST_ADMIN.
    document: mutation('removeMember', 'RemoveMemberInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, subject: w.subjects.orgAdmin } }),
  },
  {
    operation: 'Mutation.registerDeveloper',
    who: 'any signed-in caller, for themselves',
    cells: cells(U, A, A, A, A, A),
    outsiderAllowed: 'the caller’s own profile (input refused here)',
    document: mutation('registerDeveloper', 'RegisterDeveloperInput'),
    variables: () => ({ i: { displayName: '' } }),
  },
  {
    operation: 'Mutation.createTeam',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    document: mutation('createTeam', 'CreateTeamInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, name: '' } }),
  },
  {
    operation: 'Mutation.addTeamMember',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // The developer is in the team already: changes nothing.
    document: mutation('addTeamMember', 'AddTeamMemberInput'),
    variables: (w) => ({ i: { teamId: w.team, subject: w.subjects.developer } }),
  },
  {
    operation: 'Mutation.removeTeamMember',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // Nobody of that name is in the team: changes nothing.
    document: mutation('removeTeamMember', 'RemoveTeamMemberInput'),
    variables: (w) => ({ i: { teamId: w.team, subject: 'nobody-in-this-team' } }),
  },
  {
    operation: 'Mutation.deleteTeam',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // Destructive: every caller targets a disposable team of A of its own.
    document: mutation('deleteTeam', 'DeleteTeamInput', 'deletedTeamId'),
    variables: (w, caller) => ({ i: { id: w.disposableTeams[caller] } }),
  },
  {
    operation: 'Query.webhookEndpoints',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: cells(U, F, A, F, A, F),
    document: `query($org: ID) { webhookEndpoints(organizationId: $org) { totalCount edges { node { id } } } }`,
    variables: (w) => ({ org: w.orgA }),
  },
  {
    operation: 'Query.webhookEndpoints (platform endpoints)',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query { webhookEndpoints { totalCount edges { node { id } } } }`,
  },
  {
    operation: 'Query.webhookEndpoint',
    who: 'ORG_ADMINs of the endpoint’s organization, portal admins; null for everyone else',
    cells: cells(N, N, A, N, A, N),
    document: `query($id: ID!) { webhookEndpoint(id: $id) { id url } }`,
    variables: (w) => ({ id: w.webhookEndpoint }),
  },
  {
    operation: 'Query.webhookDeliveries',
    who: 'ORG_ADMINs of the endpoint’s organization, portal admins',
    cells: cells(U, F, A, F, A, F),
    document: `query($id: ID!) { webhookDeliveries(webhookEndpointId: $id) { totalCount edges { node { id status } } } }`,
    variables: (w) => ({ id: w.webhookEndpoint }),
  },
  {
    operation: 'Mutation.createWebhookEndpoint',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // No event type: refused after the authorization check.
    document: mutation('createWebhookEndpoint', 'CreateWebhookEndpointInput', 'secret'),
    variables: (w) => ({ i: { organizationId: w.orgA, url: 'https://93.184.215.14/hooks', eventTypes: [] } }),
  },
  {
    operation: 'Mutation.createWebhookEndpoint (platform endpoint)',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('createWebhookEndpoint', 'CreateWebhookEndpointInput', 'secret'),
    variables: () => ({ i: { url: 'https://93.184.215.14/hooks', eventTypes: [] } }),
  },
  {
    operation: 'Mutation.updateWebhookEndpoint',
    who: 'ORG_ADMINs of the endpoint’s organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    document: mutation('updateWebhookEndpoint', 'UpdateWebhookEndpointInput', 'webhookEndpoint { id }'),
    variables: (w) => ({ i: { id: w.webhookEndpoint, eventTypes: [] } }),
  },
  {
    operation: 'Mutation.rotateWebhookEndpointSecret',
    who: 'ORG_ADMINs of the endpoint’s organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    document: mutation('rotateWebhookEndpointSecret', 'RotateWebhookEndpointSecretInput', 'secret'),
    variables: (w) => ({ i: { id: w.webhookEndpoint, overlapSeconds: -1 } }),
  },
  {
    operation: 'Mutation.deleteWebhookEndpoint',
    who: 'ORG_ADMINs of the endpoint’s organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // Destructive: every caller targets a disposable endpoint of A of its own.
    document: mutation('deleteWebhookEndpoint', 'DeleteWebhookEndpointInput', 'deletedWebhookEndpointId'),
    variables: (w, caller) => ({ i: { id: w.disposableWebhookEndpoints[caller] } }),
  },
  {
    operation: 'Mutation.redeliverWebhook',
    who: 'ORG_ADMINs of the endpoint’s organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    // The endpoint is disabled: WEBHOOK_ENDPOINT_DISABLED after the authorization check.
    document: mutation('redeliverWebhook', 'RedeliverWebhookInput', 'webhookDelivery { id }'),
    variables: (w) => ({ i: { deliveryId: w.webhookDelivery } }),
  },
  {
    operation: 'Mutation.requestAccess',
    who: "members of the app's organization only",
    cells: MEMBERS_ONLY_WRITE,
    document: mutation('requestAccess', 'RequestAccessInput'),
    variables: (w) => ({ i: { appId: w.app, planId: w.plan, productIds: [] } }),
  },
  {
    operation: 'Mutation.requestAccess (outsider’s app, A’s private plan)',
    who: 'members of B: never a plan offered only to A (NOT_FOUND)',
    cells: cells(U, F, F, N, F, F),
    document: mutation('requestAccess', 'RequestAccessInput', 'accessRequest { id }'),
    variables: (w) => ({ i: { appId: w.outsiderApp, planId: w.plan, productIds: [w.product] } }),
  },
  {
    operation: 'Mutation.approveAccessRequest',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // APPROVED already: approving it again changes nothing.
    document: mutation('approveAccessRequest', 'ApproveAccessRequestInput'),
    variables: (w) => ({ i: { id: w.accessRequest } }),
  },
  {
    operation: 'Mutation.rejectAccessRequest',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // APPROVED: rejecting it is INVALID_TRANSITION.
    document: mutation('rejectAccessRequest', 'RejectAccessRequestInput'),
    variables: (w) => ({ i: { id: w.accessRequest, reason: 'no' } }),
  },
  {
    operation: 'Mutation.cancelAccessRequest',
    who: 'members of its organization only',
    cells: MEMBERS_ONLY_WRITE,
    // APPROVED: cancelling it is INVALID_TRANSITION.
    document: mutation('cancelAccessRequest', 'CancelAccessRequestInput'),
    variables: (w) => ({ i: { id: w.accessRequest } }),
  },
  {
    operation: 'Mutation.revealCredentialSecret',
    who: "members of the credential's organization only (never the approving portal admin)",
    cells: MEMBERS_ONLY_WRITE,
    // Revealed already: ALREADY_REVEALED.
    document: mutation('revealCredentialSecret', 'RevealCredentialSecretInput', 'secret'),
    variables: (w) => ({ i: { id: w.credential } }),
  },
  {
    operation: 'Mutation.rotateCredential',
    who: "members of the credential's organization only",
    cells: MEMBERS_ONLY_WRITE,
    document: mutation('rotateCredential', 'RotateCredentialInput', 'secret'),
    variables: (w) => ({ i: { id: w.credential, gracePeriodSeconds: -1 } }),
  },
  {
    operation: 'Mutation.revokeCredential',
    who: "members of the credential's organization, portal admins",
    cells: MEMBERS_WRITE,
    // Revoked already: revoking it again changes nothing.
    document: mutation('revokeCredential', 'RevokeCredentialInput'),
    variables: (w) => ({ i: { id: w.revokedCredential } }),
  },
  {
    operation: 'Mutation.grantQuotaBoost',
    who: "ORG_ADMINs of the credential's organization (within the plan's boost allowance), portal admins",
    cells: ORG_ADMINS_WRITE,
    // Refused after authorization: a one-second boost is too short.
    document: mutation('grantQuotaBoost', 'GrantQuotaBoostInput', 'quotaBoost { id }'),
    variables: (w) => ({ i: { credentialId: w.credential, extraQuotaRequests: 1, durationSeconds: 1, reason: 'matrix' } }),
  },
  {
    operation: 'Mutation.revokeQuotaBoost',
    who: "ORG_ADMINs of the credential's organization, portal admins",
    cells: ORG_ADMINS_WRITE,
    // Revoked already: revoking it again changes nothing.
    document: mutation('revokeQuotaBoost', 'RevokeQuotaBoostInput', 'quotaBoost { id }'),
    variables: (w) => ({ i: { id: w.endedBoost } }),
  },
  {
    operation: 'Mutation.acceptUpgradeOffer',
    who: "ORG_ADMINs of the offer's organization only (not portal admins: consent is the organization's)",
    cells: cells(U, F, A, F, F, F),
    // Declined already: refused after authorization (INVALID_TRANSITION).
    document: mutation('acceptUpgradeOffer', 'AcceptUpgradeOfferInput', 'upgradeOffer { id }'),
    variables: (w) => ({ i: { id: w.declinedOffer } }),
  },
  {
    operation: 'Mutation.declineUpgradeOffer',
    who: "members of the offer's organization who may see its app only",
    cells: MEMBERS_ONLY_WRITE,
    // Declined already: declining it again changes nothing.
    document: mutation('declineUpgradeOffer', 'DeclineUpgradeOfferInput', 'upgradeOffer { id }'),
    variables: (w) => ({ i: { id: w.declinedOffer } }),
  },
  {
    operation: 'Mutation.createPlan',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('createPlan', 'CreatePlanInput'),
    variables: () => ({ i: { name: '', displayName: '', ...PLAN_SETTINGS } }),
  },
  {
    operation: 'Mutation.updatePlan',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('updatePlan', 'UpdatePlanInput'),
    variables: (w) => ({ i: { id: w.plan, expectedVersion: STALE, tier: 2 } }),
  },
  {
    operation: 'Mutation.publishPlan',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('publishPlan', 'PublishPlanInput'),
    variables: (w) => ({ i: { id: w.plan, expectedVersion: STALE } }),
  },
  {
    operation: 'Mutation.archivePlan',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('archivePlan', 'ArchivePlanInput'),
    variables: (w) => ({ i: { id: w.plan, expectedVersion: STALE } }),
  },
  {
    operation: 'Mutation.rollbackPlan',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('rollbackPlan', 'RollbackPlanInput'),
    variables: (w) => ({ i: { id: w.plan, toVersion: 1, expectedVersion: STALE } }),
  },
  ...stepUp({
    operation: 'Mutation.deletePlan',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // PUBLISHED: refused with ARCHIVE_INSTEAD.
    document: mutation('deletePlan', 'DeletePlanInput'),
    variables: (w) => ({ i: { id: w.plan } }),
  }),
  {
    operation: 'Mutation.createProduct',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('createProduct', 'CreateProductInput'),
    variables: () => ({ i: { slug: 'Not A Slug', name: '' } }),
  },
  {
    operation: 'Mutation.updateProduct',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('updateProduct', 'UpdateProductInput'),
    variables: (w) => ({ i: { id: w.product, expectedVersion: STALE, name: 'renamed' } }),
  },
  {
    operation: 'Mutation.archiveProduct',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // Archived already.
    document: mutation('archiveProduct', 'ArchiveProductInput'),
    variables: (w) => ({ i: { id: w.archivedProduct } }),
  },
  {
    operation: 'Mutation.createCatalog',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('createCatalog', 'CreateCatalogInput'),
    variables: () => ({ i: { name: '', visibility: 'PUBLIC' } }),
  },
  {
    operation: 'Mutation.updateCatalog',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('updateCatalog', 'UpdateCatalogInput'),
    variables: (w) => ({ i: { id: w.privateCatalog, name: '' } }),
  },
  {
    operation: 'Mutation.deleteCatalog',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('deleteCatalog', 'DeleteCatalogInput'),
    // The private catalog holds a plan: refused after authorization (CATALOG_IN_USE), nothing deleted.
    variables: (w) => ({ i: { id: w.privateCatalog } }),
  },
  ...stepUp({
    operation: 'Mutation.registerProvider',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('registerProvider', 'RegisterProviderInput'),
    variables: () => ({ i: { name: '', kind: 'TYK_GATEWAY', baseUrl: 'not a url', secret: '', tykOrgId: '' } }),
  }),
  ...stepUp({
    operation: 'Mutation.assignProvider',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // Both a plan and a product: refused, exactly one is allowed.
    document: mutation('assignProvider', 'AssignProviderInput'),
    variables: (w) => ({ i: { planId: w.plan, productId: w.product, providerId: w.provider } }),
  }),
  {
    operation: 'Mutation.syncProvider',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // Harmless: a second sync in a row changes nothing.
    document: mutation('syncProvider', 'SyncProviderInput'),
    variables: (w) => ({ i: { id: w.provider } }),
  },
  ...stepUp({
    operation: 'Mutation.updateProvider',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('updateProvider', 'UpdateProviderInput'),
    variables: (w) => ({ i: { id: w.provider, name: '' } }),
  }),
  ...stepUp({
    operation: 'Mutation.setProviderIdentityProvider',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // An issuer that is no URL: refused after authorization, nothing is stored.
    document: mutation('setProviderIdentityProvider', 'SetProviderIdentityProviderInput'),
    variables: (w) => ({ i: { providerId: w.provider, issuer: 'not a url' } }),
  }),
  ...stepUp({
    operation: 'Mutation.revokeOrganizationCredentials',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // No reason: refused before anything is revoked.
    document: mutation('revokeOrganizationCredentials', 'RevokeOrganizationCredentialsInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, reason: '' } }),
  }),
  {
    operation: 'Mutation.setAdaptiveRateLimit',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // A floor of 0: refused after authorization, nothing set.
    document: mutation('setAdaptiveRateLimit', 'SetAdaptiveRateLimitInput'),
    variables: (w) => ({
      i: {
        planId: w.publicPlan,
        settings: { floorRequests: 0, errorRateAbovePercent: 20, restoreBelowPercent: 5, windowSeconds: 300, minRequests: 10 },
      },
    }),
  },
  {
    operation: 'Mutation.revokeUnusedCredentials',
    who: 'portal admins; ORG_ADMINs for credentials of organizations they administer',
    cells: ORG_ADMINS_WRITE,
    // No reason: refused after authorization, nothing scheduled.
    document: mutation('revokeUnusedCredentials', 'RevokeUnusedCredentialsInput'),
    variables: (w) => ({ i: { credentialIds: [w.credential], unusedForDays: 1, noticeDays: 1, reason: '' } }),
  },
  {
    operation: 'Mutation.keepCredential',
    who: "ORG_ADMINs of the credential's organization, portal admins",
    cells: ORG_ADMINS_WRITE,
    // Nothing scheduled: NOT_SCHEDULED after authorization.
    document: mutation('keepCredential', 'KeepCredentialInput'),
    variables: (w) => ({ i: { credentialId: w.credential } }),
  },
  {
    operation: 'Mutation.migratePlanSubscribers (dry run)',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // No reason: refused after authorization, no preview is stored.
    document: mutation('migratePlanSubscribers', 'MigratePlanSubscribersInput'),
    variables: (w) => ({ i: { fromPlanId: w.plan, toPlanId: w.publicPlan, reason: '', dryRun: true } }),
  },
  ...stepUp({
    operation: 'Mutation.migratePlanSubscribers',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // No reason: refused after authorization, nothing moves.
    document: mutation('migratePlanSubscribers', 'MigratePlanSubscribersInput'),
    variables: (w) => ({ i: { fromPlanId: w.plan, toPlanId: w.publicPlan, reason: '' } }),
  }),
  ...stepUp({
    operation: 'Mutation.rollBackPlanMigration',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // No reason: refused after authorization, nothing moves back.
    document: mutation('rollBackPlanMigration', 'RollBackPlanMigrationInput'),
    variables: (w) => ({ i: { id: w.planMigration, reason: '' } }),
  }),
  {
    operation: 'Mutation.rollBackPlanRollout',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    // No reason: refused after authorization, nothing is rolled back.
    document: mutation('rollBackPlanRollout', 'RollBackPlanRolloutInput'),
    variables: (w) => ({ i: { id: w.planRollout, reason: '' } }),
  },
  {
    operation: 'Mutation.proposePlanChange',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('proposePlanChange', 'ProposePlanChangeInput'),
    variables: (w) => ({ i: { id: w.plan, expectedVersion: STALE, changes: { tier: 9 }, reason: 'matrix' } }),
  },
  {
    operation: 'Mutation.approvePlanChange',
    who: 'portal admins other than the proposer',
    cells: PORTAL_ADMIN_ONLY,
    // Proposed by another admin and rejected already: approving it is refused after authorization.
    document: mutation('approvePlanChange', 'ApprovePlanChangeInput'),
    variables: (w) => ({ i: { id: w.decidedChangeRequest } }),
  },
  {
    operation: 'Mutation.approvePlanChange (own proposal)',
    who: 'never the proposer (SELF_APPROVAL_FORBIDDEN)',
    cells: cells(U, F, F, F, F, F),
    document: mutation('approvePlanChange', 'ApprovePlanChangeInput'),
    variables: (w) => ({ i: { id: w.ownChangeRequest } }),
  },
  {
    operation: 'Mutation.rejectPlanChange',
    who: 'portal admins other than the proposer',
    cells: PORTAL_ADMIN_ONLY,
    document: mutation('rejectPlanChange', 'RejectPlanChangeInput'),
    variables: (w) => ({ i: { id: w.decidedChangeRequest, reason: 'again' } }),
  },
  {
    operation: 'Mutation.rejectPlanChange (own proposal)',
    who: 'never the proposer (SELF_APPROVAL_FORBIDDEN)',
    cells: cells(U, F, F, F, F, F),
    document: mutation('rejectPlanChange', 'RejectPlanChangeInput'),
    variables: (w) => ({ i: { id: w.ownChangeRequest, reason: 'mine' } }),
  },
  {
    operation: 'Mutation.setQuotaAlertRules',
    who: 'ORG_ADMINs of the organization, portal admins',
    cells: ORG_ADMINS_WRITE,
    document: mutation('setQuotaAlertRules', 'SetQuotaAlertRulesInput'),
    variables: (w) => ({ i: { organizationId: w.orgA, thresholds: [] } }),
  },
  {
    operation: 'Mutation.setQuotaAlertRules (outsider’s organization, A’s app)',
    who: 'ORG_ADMINs of B, portal admins: never rules for an app of A (NOT_FOUND)',
    cells: cells(U, F, F, N, N, F),
    document: mutation('setQuotaAlertRules', 'SetQuotaAlertRulesInput'),
    variables: (w) => ({ i: { organizationId: w.orgB, appId: w.app, thresholds: [50] } }),
  },

  // ------------------------------------------------------------------------------------------
  // Subscriptions (refused when subscribing: nothing is ever delivered)
  {
    operation: 'Subscription.accessRequestEvents',
    who: 'members of the organization, portal admins',
    cells: cells(R, A, A, R, A, R),
    document: `subscription($org: ID) { accessRequestEvents(organizationId: $org) { id type organizationId } }`,
    variables: (w) => ({ org: w.orgA }),
    trigger: 'accessEvent',
  },
  {
    operation: 'Subscription.accessRequestEvents (all organizations)',
    who: 'portal admins (everyone else must name an organization of theirs)',
    cells: cells(R, R, R, R, A, R),
    document: `subscription { accessRequestEvents { id type organizationId } }`,
    trigger: 'accessEvent',
  },
  {
    operation: 'Subscription.quotaWarnings',
    who: 'members of the organization, portal admins',
    cells: cells(R, A, A, R, A, R),
    document: `subscription($org: ID!) { quotaWarnings(organizationId: $org) { organizationId thresholdPercent } }`,
    variables: (w) => ({ org: w.orgA }),
    trigger: 'quotaWarning',
  },
  {
    operation: 'Subscription.quotaStatusChanged',
    who: 'members of the credential’s organization who may see its app, portal admins',
    cells: cells(R, A, A, R, A, R),
    document: `subscription($id: ID!) { quotaStatusChanged(credentialId: $id) { scope used limit credential { id } } }`,
    variables: (w) => ({ id: w.credential }),
    trigger: 'quotaStatus',
  },
  {
    operation: 'Subscription.quotaStatusChanged (a member’s hidden app)',
    who: 'members may not watch the credentials of apps they may not see (`App.visibility`)',
    cells: cells(R, R, A, R, A, R),
    document: `subscription($id: ID!) { quotaStatusChanged(credentialId: $id) { scope used limit credential { id } } }`,
    variables: (w) => ({ id: w.personalCredential }),
    trigger: 'quotaStatus',
  },
  {
    operation: 'Subscription.accessRequestEvents (resumed with after)',
    who: 'members of the organization, portal admins: the same rules as live',
    cells: cells(R, A, A, R, A, R),
    document: `subscription($org: ID, $after: String) { accessRequestEvents(organizationId: $org, after: $after) { id cursor type organizationId } }`,
    variables: (w) => ({ org: w.orgA, after: '0' }),
    trigger: 'accessEvent',
  },
  {
    operation: 'Subscription.quotaWarnings (resumed with after)',
    who: 'members of the organization, portal admins: the same rules as live',
    cells: cells(R, A, A, R, A, R),
    document: `subscription($org: ID!, $after: String) { quotaWarnings(organizationId: $org, after: $after) { organizationId thresholdPercent cursor } }`,
    variables: (w) => ({ org: w.orgA, after: '0' }),
    trigger: 'quotaWarning',
  },
  {
    operation: 'Subscription.accessRequestEvents (outsider’s own organization)',
    who: 'members of B, portal admins: B’s events only, never A’s',
    cells: cells(R, R, R, N, N, R),
    document: `subscription($org: ID) { accessRequestEvents(organizationId: $org) { id type organizationId } }`,
    variables: (w) => ({ org: w.orgB }),
    trigger: 'accessEvent',
  },
  {
    operation: 'Subscription.quotaWarnings (outsider’s own organization, A’s app)',
    who: 'members of B, portal admins: never warnings about an app of A',
    cells: cells(R, R, R, N, N, R),
    document: `subscription($org: ID!, $app: ID) { quotaWarnings(organizationId: $org, appId: $app) { organizationId thresholdPercent } }`,
    variables: (w) => ({ org: w.orgB, app: w.app }),
    trigger: 'quotaWarning',
  },

  // ------------------------------------------------------------------------------------------
  // HTTP endpoints of subgraphs (services call them directly, with a bearer token)
  {
    operation: 'HTTP POST /ingest/tyk',
    who: 'service tokens (role `service`) only; usage subgraph',
    cells: cells(U, F, F, F, F, A),
    document: '',
    http: { subgraph: 'usage', method: 'POST', path: '/ingest/tyk', body: '[]' },
  },
  {
    operation: 'HTTP POST /ingest/tyk/tail',
    who: 'service tokens (role `service`) only; usage subgraph',
    cells: cells(U, F, F, F, F, A),
    document: '',
    http: { subgraph: 'usage', method: 'POST', path: '/ingest/tyk/tail', body: '' },
  },

  // ------------------------------------------------------------------------------------------
  // Sensitive fields
  {
    operation: 'Organization.members',
    who: 'ORG_ADMINs of the organization, portal admins (members: FORBIDDEN)',
    cells: cells(N, F, A, N, A, N),
    document: `query($id: ID!) { organization(id: $id) { id members { subject } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'members'],
  },
  {
    operation: 'Organization.teams',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id teams { id } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'teams'],
  },
  {
    operation: 'Organization.apps',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id apps { edges { node { id } } } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'apps'],
  },
  {
    operation: 'Organization.invitations',
    who: 'ORG_ADMINs of the organization, portal admins (members: FORBIDDEN)',
    cells: cells(N, F, A, N, A, N),
    document: `query($id: ID!) { organization(id: $id) { id invitations { edges { node { id email } } } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'invitations'],
  },
  {
    operation: 'Organization.createdBy',
    who: 'portal admins; null for everyone else',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { organization(id: $id) { id createdBy } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'createdBy'],
  },
  {
    operation: 'Organization.decidedBy',
    who: 'ORG_ADMINs of the organization, portal admins; null for everyone else',
    cells: cells(N, N, A, N, A, N),
    document: `query($id: ID!) { organization(id: $id) { id decidedBy } }`,
    variables: (w) => ({ id: w.orgSuspended }),
    path: ['organization', 'decidedBy'],
  },
  {
    operation: 'Organization.decidedAt',
    who: 'ORG_ADMINs of the organization, portal admins; null for everyone else',
    cells: cells(N, N, A, N, A, N),
    document: `query($id: ID!) { organization(id: $id) { id decidedAt } }`,
    variables: (w) => ({ id: w.orgSuspended }),
    path: ['organization', 'decidedAt'],
  },
  {
    operation: 'Organization.decisionReason',
    who: 'ORG_ADMINs of the organization, portal admins; null for everyone else',
    cells: cells(N, N, A, N, A, N),
    document: `query($id: ID!) { organization(id: $id) { id decisionReason } }`,
    variables: (w) => ({ id: w.orgSuspended }),
    path: ['organization', 'decisionReason'],
  },
  {
    operation: 'Organization.accessRequests',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id accessRequests { edges { node { id } } } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'accessRequests'],
  },
  {
    operation: 'Organization.credentials',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id credentials { edges { node { id } } } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'credentials'],
  },
  {
    operation: 'Organization.entitlements',
    who: 'members of the organization, portal admins',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id entitlements { credential { id } } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'entitlements'],
  },
  {
    operation: 'Team.members',
    who: 'whoever may see the team (members of its organization, portal admins)',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { app(id: $id) { id team { id members { subject } } } }`,
    variables: (w) => ({ id: w.app }),
    path: ['app', 'team', 'members'],
  },
  {
    operation: 'Invitation.organization',
    who: 'the invitee (through `viewer.pendingInvitations`); ORG_ADMINs and portal admins through `Organization.invitations`',
    cells: cells(N, N, N, A, N, N),
    outsiderAllowed:
      'the outsider’s own invitation into A (name, slug and status only; the rows `Organization.* (invitee)` prove the rest stays closed)',
    document: `{ viewer { pendingInvitations { organization { id name } } } }`,
    path: ['viewer', 'pendingInvitations', 0, 'organization'],
  },
  // The outsider is invited into A (PENDING): the one path by which it reaches A's Organization
  // object. Everything but name, slug and status stays closed.
  ...[
    'members { subject }',
    'teams { id }',
    'apps { totalCount }',
    'invitations { totalCount }',
    'accessRequests { totalCount }',
    'credentials { totalCount }',
    'entitlements { credential { id } }',
  ].map((selection): MatrixRow => {
    const field = selection.split(' ')[0];
    return {
      operation: `Organization.${field} (invitee)`,
      who: 'not the invitee of a PENDING invitation (reached through `viewer.pendingInvitations`): FORBIDDEN',
      cells: cells(N, N, N, F, N, N),
      document: `{ viewer { pendingInvitations { organization { id ${selection} } } } }`,
      path: ['viewer', 'pendingInvitations', 0, 'organization', field],
    };
  }),
  {
    operation: 'App.credentials',
    who: 'whoever may see the app (members of its organization, portal admins)',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { app(id: $id) { id credentials { edges { node { id } } } } }`,
    variables: (w) => ({ id: w.app }),
    path: ['app', 'credentials'],
  },
  {
    operation: 'App.accessRequests',
    who: 'whoever may see the app (members of its organization, portal admins)',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { app(id: $id) { id accessRequests { edges { node { id } } } } }`,
    variables: (w) => ({ id: w.app }),
    path: ['app', 'accessRequests'],
  },
  {
    operation: 'AccessRequest.decidedBy',
    who: 'ORG_ADMINs of its organization, portal admins; null for everyone else',
    cells: cells(N, N, A, N, A, N),
    document: `query($id: ID!) { accessRequest(id: $id) { id decidedBy } }`,
    variables: (w) => ({ id: w.accessRequest }),
    path: ['accessRequest', 'decidedBy'],
  },
  {
    operation: 'Viewer.entitlements',
    who: "the caller's own organizations only",
    cells: cells(N, A, A, N, N, N),
    document: `{ viewer { entitlements { credential { id } } } }`,
    path: ['viewer', 'entitlements'],
  },
  {
    operation: 'Organization.quota',
    who: 'members of the organization, portal admins; null for everyone else',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id quota { used } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'quota'],
  },
  {
    operation: 'Organization.usage',
    who: 'members of the organization, portal admins; null for everyone else',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { organization(id: $id) { id usage(${USAGE_RANGE}) { spike } } }`,
    variables: (w) => ({ id: w.orgA }),
    path: ['organization', 'usage'],
  },
  ...['quota { used }', `usage(${USAGE_RANGE}) { spike }`].map((selection): MatrixRow => {
    const field = selection.split(/[ (]/)[0];
    return {
      operation: `Organization.${field} (invitee)`,
      who: 'not the invitee of a PENDING invitation (reached through `viewer.pendingInvitations`): null',
      cells: cells(N, N, N, N, N, N),
      document: `{ viewer { pendingInvitations { organization { id ${selection} } } } }`,
      path: ['viewer', 'pendingInvitations', 0, 'organization', field],
    };
  }),
  {
    operation: 'App.quota',
    who: "members of the app's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { app(id: $id) { id quota { used } } }`,
    variables: (w) => ({ id: w.app }),
    path: ['app', 'quota'],
  },
  {
    operation: 'App.usage',
    who: "members of the app's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { app(id: $id) { id usage(${USAGE_RANGE}) { spike } } }`,
    variables: (w) => ({ id: w.app }),
    path: ['app', 'usage'],
  },
  {
    operation: 'Credential.quota',
    who: "members of the credential's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { credential(id: $id) { id quota { used } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'quota'],
  },
  {
    operation: 'Credential.usage',
    who: "members of the credential's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { credential(id: $id) { id usage(${USAGE_RANGE}) { spike } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'usage'],
  },
  {
    operation: 'Credential.recentRefusals',
    who: "members of the credential's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { credential(id: $id) { id recentRefusals(first: 5) { reason } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'recentRefusals'],
  },
  {
    operation: 'Plan.usage',
    who: 'portal admins; null for everyone else (a PUBLIC plan)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { plan(id: $id) { id usage(${USAGE_RANGE}) { spike } } }`,
    variables: (w) => ({ id: w.publicPlan }),
    path: ['plan', 'usage'],
  },
  {
    operation: 'Plan.adaptiveLimit',
    who: 'portal admins; null for everyone else (a PUBLIC plan)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { plan(id: $id) { id adaptiveLimit { state effectiveRate { requests } } } }`,
    variables: (w) => ({ id: w.publicPlan }),
    path: ['plan', 'adaptiveLimit'],
  },
  {
    operation: 'PlanChangeRequest.impact',
    who: 'portal admins (the change requests themselves are theirs only)',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($plan: ID) { planChangeRequests(planId: $plan, first: 50) { edges { node { id impact(days: 1) { countersWithTraffic } } } } }`,
    variables: (w) => ({ plan: w.plan }),
    path: ['planChangeRequests', 'edges'],
    select: (edges: any[], w) => edges?.find((edge) => edge.node.id === w.decidedChangeRequest)?.node.impact ?? null,
  },
  {
    operation: 'PlanMigration.impact',
    who: 'portal admins (the migrations themselves are theirs only)',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($id: ID!) { planMigration(id: $id) { id impact(days: 1) { countersWithTraffic } } }`,
    variables: (w) => ({ id: w.planMigration }),
    path: ['planMigration', 'impact'],
  },
  {
    operation: 'Catalog.audience',
    who: 'portal admins (others who see the catalog: FORBIDDEN)',
    cells: cells(N, F, F, N, A, N),
    document: `query($id: ID!) { catalog(id: $id) { id audience { organizationId teamId } } }`,
    variables: (w) => ({ id: w.privateCatalog }),
    path: ['catalog', 'audience'],
  },
  {
    operation: 'Product.availablePlans',
    who: 'anyone who sees the product: only plans in catalogs they may see (a product in a public catalog and A’s private one)',
    cells: MEMBERS_READ,
    document: `query($id: ID) { product(id: $id) { id availablePlans { id } } }`,
    variables: (w) => ({ id: w.sharedProduct }),
    path: ['product', 'availablePlans'],
    select: (plans, w) => plans?.filter((p: { id: string }) => p.id === w.plan),
  },
  {
    operation: 'Product.catalogs',
    who: 'anyone who sees the product: only catalogs they may see (a product in a public catalog and A’s private one)',
    cells: MEMBERS_READ,
    document: `query($id: ID) { product(id: $id) { id catalogs { id } } }`,
    variables: (w) => ({ id: w.sharedProduct }),
    path: ['product', 'catalogs'],
    select: (catalogs, w) => catalogs?.filter((c: { id: string }) => c.id === w.privateCatalog),
  },
  {
    operation: 'Plan.rollouts',
    who: 'portal admins; null for everyone else (a PUBLIC plan)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { plan(id: $id) { id rollouts { id } } }`,
    variables: (w) => ({ id: w.publicPlan }),
    path: ['plan', 'rollouts'],
  },
  {
    operation: 'Plan.sync',
    who: 'portal admins; null for everyone else (a PUBLIC plan)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { plan(id: $id) { id sync { status } } }`,
    variables: (w) => ({ id: w.publicPlan }),
    path: ['plan', 'sync'],
  },
  {
    operation: 'Plan.provider',
    who: 'portal admins; null for everyone else (a PUBLIC plan)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { plan(id: $id) { id provider { id } } }`,
    variables: (w) => ({ id: w.publicPlan }),
    path: ['plan', 'provider'],
  },
  {
    operation: 'Product.sync',
    who: 'portal admins; null for everyone else (a PUBLIC product)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID) { product(id: $id) { id sync { status } } }`,
    variables: (w) => ({ id: w.publicProduct }),
    path: ['product', 'sync'],
  },
  {
    operation: 'Product.provider',
    who: 'portal admins; null for everyone else (a PUBLIC product)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID) { product(id: $id) { id provider { id } } }`,
    variables: (w) => ({ id: w.publicProduct }),
    path: ['product', 'provider'],
  },
  {
    operation: 'Product.scopeSync',
    who: 'portal admins; null for everyone else (a PUBLIC product)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID) { product(id: $id) { id scopeSync { status } } }`,
    variables: (w) => ({ id: w.publicProduct }),
    path: ['product', 'scopeSync'],
    // The world's product has no plan with JWT scopes: an admin gets [] where everyone else gets null.
    select: (scopeSync) => (scopeSync === null || scopeSync === undefined ? null : { list: scopeSync }),
  },
  {
    operation: 'Credential.sync',
    who: 'whoever may see the credential (members of its organization, portal admins)',
    cells: MEMBERS_READ,
    document: `query($id: ID!) { credential(id: $id) { id sync { status } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'sync'],
  },
  {
    operation: 'Credential.effectiveLimits',
    who: "members of the credential's organization, portal admins; null for everyone else",
    cells: MEMBERS_READ,
    document: `query($id: ID!) { credential(id: $id) { id effectiveLimits { credentialId counterKey } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'effectiveLimits'],
  },
  {
    operation: 'SyncState.providerId',
    who: 'portal admins; null for everyone else (a credential’s sync state)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { credential(id: $id) { id sync { providerId } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'sync', 'providerId'],
  },
  {
    operation: 'SyncState.externalId',
    who: 'portal admins; null for everyone else (a credential’s Tyk key hash prefix)',
    cells: cells(N, N, N, N, A, N),
    document: `query($id: ID!) { credential(id: $id) { id sync { externalId } } }`,
    variables: (w) => ({ id: w.credential }),
    path: ['credential', 'sync', 'externalId'],
  },
  {
    operation: 'Provider.importedPolicies',
    who: 'portal admins',
    cells: PORTAL_ADMIN_ONLY,
    document: `query($id: ID!) { provider(id: $id) { id importedPolicies { totalCount } } }`,
    variables: (w) => ({ id: w.provider }),
    path: ['provider', 'importedPolicies', 'totalCount'],
  },
  {
    operation: 'Provider.identityProvider',
    who: 'portal admins (null here: the world’s provider names no identity provider)',
    cells: cells(U, F, F, F, N, F),
    document: `query($id: ID!) { provider(id: $id) { id identityProvider { issuer } } }`,
    variables: (w) => ({ id: w.provider }),
    path: ['provider', 'identityProvider'],
  },
];

/**
 * Fields the matrix must cover besides every root field (the completeness test also requires a
 * row for every field whose description states an access rule; see `ACCESS_RULE`).
 */
export const SENSITIVE_FIELDS = [
  'Catalog.audience',
  'Organization.members',
  'Organization.invitations',
  'Organization.credentials',
  'Organization.accessRequests',
  'Organization.entitlements',
  'Organization.createdBy',
  'Organization.decidedBy',
  'Organization.decisionReason',
  'AccessRequest.decidedBy',
  'Viewer.entitlements',
  'Plan.sync',
  'Plan.provider',
  'Product.sync',
  'Product.provider',
  'Product.scopeSync',
  'Credential.sync',
  'Credential.effectiveLimits',
  'SyncState.providerId',
  'SyncState.externalId',
  'Provider.importedPolicies',
  'Provider.identityProvider',
  'App.credentials',
  'Team.members',
  'Organization.quota',
  'Organization.usage',
  'App.quota',
  'App.usage',
  'Credential.quota',
  'Credential.usage',
  'Credential.recentRefusals',
  'Plan.usage',
];

/** A field description that states who may read it: such a field needs a row. */
export const ACCESS_RULE = /portal admins only|readable by|forbidden error|null for everyone else|own only/i;

/** The schema field of a row: `Query.app` of `Query.app (mfa)`; HTTP rows have none. */
export function fieldOf(row: Pick<MatrixRow, 'operation' | 'http'>): { type: string; field: string } {
  if (row.http) return { type: 'HTTP', field: `${row.http.method} ${row.http.path}` };
  const match = /^(\w+)\.(\w+)(?: \(.+\))?$/.exec(row.operation);
  if (!match) throw new Error(`operation must look like Type.field or Type.field (variant): ${row.operation}`);
  return { type: match[1], field: match[2] };
}

// ---------------------------------------------------------------------------------------------
// Classifying an answer

export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

const AUTH_CODES = new Set<string>(['UNAUTHENTICATED', 'FORBIDDEN', 'MFA_REQUIRED']);

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && Array.isArray((value as { edges?: unknown }).edges))
    return (value as { edges: unknown[] }).edges.length === 0;
  if (typeof value === 'number') return value === 0;
  return false;
}

/**
 * Turns a query or mutation answer into an Outcome. Anything unexpected (another error code, a
 * masked error) comes back as a descriptive string that matches no Outcome, so the cell fails
 * with it.
 */
export function classify(answer: GraphQLAnswer, path: (string | number)[], select?: (value: unknown) => unknown): Outcome | string {
  const errors = answer.errors ?? [];
  for (const error of errors) {
    const code = error.extensions?.code;
    if (typeof code === 'string' && AUTH_CODES.has(code)) return code as Outcome;
  }
  if (errors.length) return `unexpected error: ${errors.map((e) => `${String(e.extensions?.code ?? '?')} ${e.message}`).join('; ')}`;
  let value: unknown = answer.data;
  for (const key of path) {
    if (value === null || value === undefined) return 'NULL';
    if (Array.isArray(value) && typeof key === 'string') {
      if (value.length === 0) return 'NULL';
      value = value[0];
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  if (value && typeof value === 'object' && Array.isArray((value as { errors?: unknown }).errors)) {
    const payloadErrors = (value as { errors: { code: string }[] }).errors;
    for (const e of payloadErrors) if (AUTH_CODES.has(e.code)) return e.code as Outcome;
    // Typed refusals of who the caller is (e.g. SELF_APPROVAL_FORBIDDEN) are FORBIDDEN too.
    if (payloadErrors.some((e) => e.code.endsWith('_FORBIDDEN'))) return 'FORBIDDEN';
    if (payloadErrors.some((e) => e.code === 'NOT_FOUND')) return 'NULL';
    return 'ALLOW';
  }
  if (select) value = select(value);
  return isEmpty(value) ? 'NULL' : 'ALLOW';
}

/** The Outcome of an HTTP answer of an `http` row. */
export function classifyHttp(status: number): Outcome | string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status >= 500) return `HTTP ${status}`;
  return 'ALLOW';
}

/** The path of a row's answer: its own, or the root field. */
export function answerPath(row: MatrixRow): (string | number)[] {
  return row.path ?? [fieldOf(row).field];
}
