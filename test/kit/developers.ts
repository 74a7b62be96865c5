/**
 * Shared fixtures of the developers subgraph's tests (`subgraphs/developers/*.test.ts`). Builds
 * every fixture through the public API, so tests exercise the same paths clients use.
 */
import { startSubgraph, type RunningSubgraph } from '../../common/server';
import { testDatabaseUrl, unique } from '../helpers/db';
import { developer, portalAdmin, subgraphRequest, type GraphQLResponse, type Identity } from '../helpers/graphql';
import { developersSubgraph } from '../../subgraphs/developers';
import { Seed } from './seed';

export { developer, portalAdmin, unique, type Identity };

export interface Harness {
  subgraph: RunningSubgraph;
  /** Every SQL statement the subgraph ran since the last `queries.length = 0`. */
  queries: string[];
  admin: Identity;
  stop(): Promise<void>;
}

/** `env`: settings of the subgraph (default: this process's environment). */
export async function startHarness(env?: NodeJS.ProcessEnv): Promise<Harness> {
  const queries: string[] = [];
  const subgraph = await startSubgraph(developersSubgraph, {
    databaseUrl: testDatabaseUrl(),
    port: 0,
    onQuery: (sql) => queries.push(sql),
    ...(env ? { env } : {}),
  });
  return { subgraph, queries, admin: portalAdmin(), stop: () => subgraph.stop() };
}

/** A GraphQL request to the subgraph as `identity` (null: anonymous). */
export function gql<T = any>(
  h: Harness,
  query: string,
  variables: Record<string, unknown> = {},
  identity: Identity | null = null,
): Promise<GraphQLResponse<T>> {
  return subgraphRequest<T>(h.subgraph.url, query, variables, identity);
}

/** Runs a mutation `name` and returns its payload, failing loudly on GraphQL or payload errors. */
export async function mutate<T = any>(
  h: Harness,
  name: string,
  query: string,
  input: Record<string, unknown>,
  identity: Identity,
): Promise<T> {
  const response = await gql(h, query, { input }, identity);
  const payload = response.data?.[name];
  if (response.errors || !payload || payload.errors?.length) {
    throw new Error(`${name} failed: ${JSON.stringify(response.errors ?? payload?.errors ?? response)}`);
  }
  return payload as T;
}

/** Raw SQL against the test database (assertions on tables and published views). */
export function sql<T = any>(h: Harness, text: string, params: unknown[] = []): Promise<T[]> {
  return h.subgraph.orm.em.getConnection().execute<T[]>(text, params);
}

export const M = {
  registerDeveloper: `mutation($input: RegisterDeveloperInput!) { registerDeveloper(input: $input) { developer { id subject email displayName } errors { code field message } } }`,
  createOrganization: `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id slug status } errors { code field message } } }`,
  requestOrganization: `mutation($input: RequestOrganizationInput!) { requestOrganization(input: $input) { organization { id slug status viewerRole } errors { code field message } } }`,
  approveOrganization: `mutation($input: ApproveOrganizationInput!) { approveOrganization(input: $input) { organization { id status decidedBy decidedAt decisionReason } errors { code field message } } }`,
  rejectOrganization: `mutation($input: RejectOrganizationInput!) { rejectOrganization(input: $input) { organization { id status decidedBy decidedAt decisionReason } errors { code field message } } }`,
  suspendOrganization: `mutation($input: SuspendOrganizationInput!) { suspendOrganization(input: $input) { organization { id status decidedBy decidedAt decisionReason } errors { code field message } } }`,
  reactivateOrganization: `mutation($input: ReactivateOrganizationInput!) { reactivateOrganization(input: $input) { organization { id status decidedBy decidedAt decisionReason } errors { code field message } } }`,
  inviteMember: `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id email role status invitedBy createdAt expiresAt organization { id } } errors { code field message } } }`,
  acceptInvitation: `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { invitation { id status acceptedBy acceptedAt role organization { id viewerRole } } errors { code field message } } }`,
  revokeInvitation: `mutation($input: RevokeInvitationInput!) { revokeInvitation(input: $input) { invitation { id status revokedBy revokedAt } errors { code field message } } }`,
  setMemberRole: `mutation($input: SetMemberRoleInput!) { setMemberRole(input: $input) { member { subject role } errors { code field message } } }`,
  removeMember: `mutation($input: RemoveMemberInput!) { removeMember(input: $input) { organization { id } errors { code field message } } }`,
  createTeam: `mutation($input: CreateTeamInput!) { createTeam(input: $input) { team { id name organization { id } members { subject } } errors { code field message } } }`,
  addTeamMember: `mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { team { id members { subject addedAt developer { displayName } } } errors { code field message } } }`,
  removeTeamMember: `mutation($input: RemoveTeamMemberInput!) { removeTeamMember(input: $input) { team { id members { subject } } errors { code field message } } }`,
  deleteTeam: `mutation($input: DeleteTeamInput!) { deleteTeam(input: $input) { deletedTeamId organization { id } errors { code field message } } }`,
  createApp: `mutation($input: CreateAppInput!) { createApp(input: $input) { app { id name description redirectUris createdBy organization { id } team { id name } } errors { code field message } } }`,
  updateApp: `mutation($input: UpdateAppInput!) { updateApp(input: $input) { app { id name description redirectUris team { id } } errors { code field message } } }`,
  deleteApp: `mutation($input: DeleteAppInput!) { deleteApp(input: $input) { deletedAppId organization { id } errors { code field message } } }`,
} as const;

export type MutationName = keyof typeof M;

/** Calls one of the mutations above and returns the raw response (no checks). */
export function call(h: Harness, name: MutationName, input: Record<string, unknown>, identity: Identity | null) {
  return gql(h, M[name], { input }, identity);
}

/** An ACTIVE organization created by a portal admin, with `owner` as its ORG_ADMIN. */
export async function activeOrganization(h: Harness, owner: Identity, slug = unique('org')): Promise<{ id: string; slug: string }> {
  return { id: await new Seed({ developers: h.subgraph.url }, h.admin).organization(owner.sub, { slug, name: `Org ${slug}` }), slug };
}

/** Makes `who` a member with `role` the way people join: invited by a portal admin, then accepting. */
export async function join(h: Harness, organizationId: string, who: Identity, role: 'ORG_ADMIN' | 'MEMBER'): Promise<void> {
  const invited = await mutate(h, 'inviteMember', M.inviteMember, { organizationId, email: who.email, role }, h.admin);
  await mutate(h, 'acceptInvitation', M.acceptInvitation, { invitationId: invited.invitation.id }, who);
}

export async function invite(h: Harness, organizationId: string, email: string, as: Identity, role: 'ORG_ADMIN' | 'MEMBER' = 'MEMBER') {
  return (await mutate(h, 'inviteMember', M.inviteMember, { organizationId, email, role }, as)).invitation as {
    id: string;
    email: string;
    status: string;
    createdAt: string;
    expiresAt: string;
  };
}

export async function createTeam(
  h: Harness,
  organizationId: string,
  as: Identity,
  name = unique('team'),
): Promise<{ id: string; name: string }> {
  return (await mutate(h, 'createTeam', M.createTeam, { organizationId, name }, as)).team;
}

export async function createApp(
  h: Harness,
  organizationId: string,
  as: Identity,
  extra: Record<string, unknown> = {},
): Promise<{ id: string; name: string; team: { id: string } | null }> {
  return (await mutate(h, 'createApp', M.createApp, { organizationId, name: unique('app'), ...extra }, as)).app;
}

/** The `extensions.code` of the first GraphQL error, or the codes of the payload's UserErrors. */
export function codes(response: GraphQLResponse, name: string): string[] {
  if (response.errors?.length) return response.errors.map((e) => String(e.extensions?.code));
  return (response.data?.[name]?.errors ?? []).map((e: { code: string }) => e.code);
}
