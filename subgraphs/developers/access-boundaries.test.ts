import { waitFor } from '../../test/helpers/wait';
import {
  call,
  errorsOf,
  gql,
  offer,
  ok,
  organization,
  sql,
  startAccessHarness,
  subscribe,
  type AccessHarness,
  type AccessMutation,
} from '../../test/kit/access';

/**
 * Every id-taking operation of access requests and credentials, called by a developer of another
 * organization (an ORG_ADMIN there): queries answer null (or nothing), mutations FORBIDDEN, with
 * the same answer for ids that do not exist; only portal admins decide requests. Nothing of the
 * target organization changes.
 */
describe('developers: access request and credential boundaries', () => {
  let h: AccessHarness;
  let target: Awaited<ReturnType<typeof organization>>;
  let outsider: Awaited<ReturnType<typeof organization>>;
  const ids = {} as { plan: string; products: string[]; pending: string; approved: string; credential: string; revealable: string };
  const UNKNOWN = '00000000-0000-4000-8000-00000000cafe';
  let before: unknown;

  async function snapshot() {
    return {
      requests: await sql(
        h,
        'select id, status, decided_by, decision_reason, credential_id from developers.access_request where organization_id = ? order by id',
        [target.id],
      ),
      credentials: await sql(
        h,
        'select id, status, revokes_at, revoked_at, secret_revealed, reveal_secret_encrypted is not null as revealable, version from developers.credential where organization_id = ? order by id',
        [target.id],
      ),
    };
  }

  beforeAll(async () => {
    h = await startAccessHarness();
    target = await organization(h);
    outsider = await organization(h);
    const manual = await offer(h);
    const auto = await offer(h, { autoApprove: true });
    const pending = await ok(
      h,
      'requestAccess',
      { appId: target.app.id, planId: manual.planId, productIds: manual.productIds },
      target.member,
    );
    const granted = await ok(h, 'requestAccess', { appId: target.app.id, planId: auto.planId, productIds: auto.productIds }, target.member);
    // A manually approved credential whose secret is still waiting for its one-time reveal.
    const other = await offer(h);
    const second = await ok(
      h,
      'requestAccess',
      { appId: target.app.id, planId: other.planId, productIds: other.productIds },
      target.member,
    );
    const approved = await ok(h, 'approveAccessRequest', { id: second.accessRequest.id }, h.admin);
    Object.assign(ids, {
      plan: manual.planId,
      products: manual.productIds,
      pending: pending.accessRequest.id,
      approved: granted.accessRequest.id,
      credential: granted.credential.id,
      revealable: approved.accessRequest.credential.id,
    });
    // The outsider has access requests and credentials of their own.
    await ok(h, 'requestAccess', { appId: outsider.app.id, planId: auto.planId, productIds: auto.productIds }, outsider.owner);
    before = await snapshot();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on AccessRequest { id status } ... on Credential { id prefix } } }`;

  /** [name, query, variables, pick, what the outsider gets]. */
  const queries: [string, string, () => Record<string, unknown>, (data: any) => unknown, unknown][] = [
    [
      'accessRequest(id)',
      `query($id: ID!) { accessRequest(id: $id) { id status } }`,
      () => ({ id: ids.pending }),
      (d) => d.accessRequest,
      null,
    ],
    [
      'credential(id)',
      `query($id: ID!) { credential(id: $id) { id prefix metadata { key value } } }`,
      () => ({ id: ids.credential }),
      (d) => d.credential,
      null,
    ],
    [
      'accessRequests(filter: { organizationId })',
      `query($id: ID!) { accessRequests(filter: { organizationId: $id }) { totalCount edges { node { id } } } }`,
      () => ({ id: target.id }),
      (d) => d.accessRequests,
      { totalCount: 0, edges: [] },
    ],
    [
      'organization(id) { accessRequests credentials entitlements }',
      `query($id: ID!) { organization(id: $id) { accessRequests { totalCount } credentials { totalCount } entitlements { credential { id } } } }`,
      () => ({ id: target.id }),
      (d) => d.organization,
      null,
    ],
    [
      'app(id) { accessRequests credentials }',
      `query($id: ID!) { app(id: $id) { accessRequests { totalCount } credentials { totalCount } } }`,
      () => ({ id: target.app.id }),
      (d) => d.app,
      null,
    ],
    ['AccessRequest reference', ENTITIES, () => ({ r: [{ __typename: 'AccessRequest', id: ids.pending }] }), (d) => d._entities, [null]],
    ['Credential reference', ENTITIES, () => ({ r: [{ __typename: 'Credential', id: ids.credential }] }), (d) => d._entities, [null]],
  ];

  it.each(queries)('%s gives an outsider nothing', async (_name, query, variables, pick, expected) => {
    const response = await gql(h, query, variables(), outsider.owner);
    expect(response.errors).toBeUndefined();
    expect(pick(response.data)).toEqual(expected);
  });

  it.each(queries)('%s gives members and portal admins the data', async (_name, query, variables, pick, expected) => {
    for (const who of [target.member, h.admin]) {
      const response = await gql(h, query, variables(), who);
      expect(response.errors).toBeUndefined();
      expect(pick(response.data)).not.toEqual(expected);
    }
  });

  it("keeps the outsider's viewer.entitlements to their own organization", async () => {
    const response = await gql(h, `{ viewer { entitlements { credential { id organization { id } } } } }`, {}, outsider.owner);
    expect(response.data.viewer.entitlements.map((e: any) => e.credential.organization.id)).toEqual([outsider.id]);
  });

  /** Mutations with ids of the target organization: [name, input, who else is refused]. */
  const mutations: [AccessMutation, () => Record<string, unknown>][] = [
    ['requestAccess', () => ({ appId: target.app.id, planId: ids.plan, productIds: ids.products })],
    ['cancelAccessRequest', () => ({ id: ids.pending })],
    ['approveAccessRequest', () => ({ id: ids.pending })],
    ['rejectAccessRequest', () => ({ id: ids.pending, reason: 'Hijacked' })],
    ['revealCredentialSecret', () => ({ id: ids.revealable })],
    ['rotateCredential', () => ({ id: ids.credential, gracePeriodSeconds: 0 })],
    ['revokeCredential', () => ({ id: ids.credential })],
  ];

  const unknownIds = (input: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(input).map(([k, v]) => [
        k,
        typeof v === 'string' && Object.values(ids).concat(target.app.id).includes(v) ? UNKNOWN : v,
      ]),
    );

  it.each(mutations)('%s is FORBIDDEN to an outsider, with the same answer for unknown ids', async (name, input) => {
    const response = await call(h, name, input(), outsider.owner);
    expect(response.data).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const unknown = await call(h, name, unknownIds(input()), outsider.owner);
    expect(unknown.data).toBeNull();
    expect(unknown.errors![0].extensions?.code).toBe('FORBIDDEN');
    expect(unknown.errors![0].message).toBe(response.errors![0].message);
  });

  it.each(mutations)('%s is UNAUTHENTICATED for anonymous callers', async (name, input) => {
    expect(errorsOf(await call(h, name, input(), null), name)).toEqual([{ code: 'UNAUTHENTICATED' }]);
  });

  it.each(['approveAccessRequest', 'rejectAccessRequest'] as const)(
    '%s is FORBIDDEN to the organization’s own ORG_ADMIN and members',
    async (name) => {
      for (const who of [target.owner, target.member]) {
        const response = await call(
          h,
          name,
          { id: ids.pending, ...(name === 'rejectAccessRequest' ? { reason: 'Self-service' } : {}) },
          who,
        );
        expect(errorsOf(response, name)).toEqual([{ code: 'FORBIDDEN' }]);
      }
    },
  );

  it('refuses the outsider a subscription to the organization’s events', async () => {
    const state = subscribe(
      h,
      outsider.owner,
      `subscription($org: ID) { accessRequestEvents(organizationId: $org) { id } }`,
      { org: target.id },
      'accessRequestEvents',
    );
    await waitFor(() => state.completed, { what: 'the refused subscription to end' });
    expect(state.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(state.data).toEqual([]);
  });

  it('changed nothing in the target organization', async () => {
    expect(await snapshot()).toEqual(before);
  });
});
