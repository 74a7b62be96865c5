/**
 * What `npm run plangraph` reads from and writes to a platform, through the public GraphQL API
 * (the gateway) with a bearer token: plain `fetch`, one operation per request. Reads are paged
 * (100 per page); every mutation answers with its payload's typed `errors`.
 */
import type { BoostAllowance, Documentation, KeyValue, Quota, TypeFields } from './file';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface UserError {
  code: string;
  field: string | null;
  message: string;
}

export class GraphqlClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new ApiError(`cannot reach ${this.url}: ${(error as Error).message}`, 'UNREACHABLE');
    }
    const text = await response.text();
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ApiError(`${this.url} answered HTTP ${response.status} without a GraphQL response`, 'BAD_RESPONSE');
    }
    if (body.errors?.length) {
      const first = body.errors[0]!;
      const code = first.extensions?.code ?? `HTTP_${response.status}`;
      throw new ApiError(`${code}: ${first.message}`, code);
    }
    if (!body.data) throw new ApiError(`${this.url} answered HTTP ${response.status} without data`, 'BAD_RESPONSE');
    return body.data;
  }

  /** Runs a mutation whose payload has `errors`; throws them as one ApiError (nothing was written). */
  async mutate<P extends { errors: UserError[] }>(name: string, inputType: string, input: unknown, selection: string): Promise<P> {
    const data = await this.request<Record<string, P>>(
      `mutation Catalogue($input: ${inputType}!) { ${name}(input: $input) { ${selection} errors { code field message } } }`,
      { input },
    );
    const payload = data[name]!;
    if (payload.errors.length) {
      const text = payload.errors.map((e) => `${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message}`).join('; ');
      throw new MutationError(`${name} refused: ${text}`, payload.errors);
    }
    return payload;
  }

  async pages<N>(field: string, query: string): Promise<N[]> {
    const nodes: N[] = [];
    let after: string | null = null;
    for (;;) {
      const data: Record<string, { edges: { node: N }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }> =
        await this.request(query, { after });
      const page = data[field]!;
      nodes.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return nodes;
      after = page.pageInfo.endCursor;
    }
  }
}

export class MutationError extends Error {
  constructor(
    message: string,
    readonly errors: UserError[],
  ) {
    super(message);
    this.name = 'MutationError';
  }
}

// ---------------------------------------------------------------------------------------------
// What the platform has

export interface ApiProduct {
  id: string;
  slug: string;
  name: string;
  displayName: string;
  description: string;
  status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
  tykApiIds: string[];
  tags: string[];
  customFields: KeyValue[];
  documentation: { format: 'MARKDOWN' | 'URL'; markdown: string | null; url: string | null } | null;
  managedBy: string | null;
  version: number;
  catalogs: { id: string }[];
}

export interface ApiCatalog {
  id: string;
  key: string | null;
  name: string;
  description: string;
  visibility: 'PUBLIC' | 'PRIVATE';
  managedBy: string | null;
  audience: { organizationId: string | null; teamId: string | null }[];
}

export interface ApiPlan {
  id: string;
  key: string | null;
  managedBy: string | null;
  name: string;
  displayName: string;
  description: string;
  status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
  version: number;
  catalogs: { id: string }[];
  quota: { unlimited: boolean; requests: number | null; period: Quota['period'] | null; periodSeconds: number | null };
  rateLimit: { unlimited: boolean; requests: number | null; perSeconds: number | null };
  quotaScope: 'CREDENTIAL' | 'APP' | 'ORGANIZATION';
  keyExpiresAfterSeconds: number | null;
  jwtScopes: string[];
  credentialKind: 'API_KEY' | 'OAUTH_CLIENT';
  credentialMetadata: KeyValue[];
  autoApprove: boolean;
  accessRequestLimit: { unlimited: boolean; allowance: number | null; renewalSeconds: number | null };
  tier: number;
  trialDays: number | null;
  boostAllowance: BoostAllowance | null;
  endpointRules: {
    productId: string;
    allow: { path: string; methods: string[] }[];
    allowedTypes: TypeFields[];
    restrictedTypes: TypeFields[];
  }[];
}

export interface ApiOrganization {
  id: string;
  slug: string;
  teams: { id: string; name: string }[] | null;
}

export interface ApiChangeRequest {
  id: string;
  planId: string;
  changes: { field: string }[];
}

export interface PlatformState {
  products: ApiProduct[];
  catalogs: ApiCatalog[];
  plans: ApiPlan[];
  organizations: ApiOrganization[];
  /** PENDING plan change requests (waiting for a second portal admin). */
  pendingChanges: ApiChangeRequest[];
}

const PAGE = 'first: 100, after: $after';
const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

/**
 * The whole catalogue is the portal admins' (drafts, archived objects, audiences): anyone else
 * would see a part of it, and a diff against a part would retire what they cannot see. Refused
 * before anything is read.
 */
export async function requirePortalAdmin(client: GraphqlClient): Promise<void> {
  const { viewer } = await client.request<{ viewer: { isPortalAdmin: boolean } | null }>(
    'query CatalogueViewer { viewer { isPortalAdmin } }',
  );
  if (!viewer) throw new ApiError('UNAUTHENTICATED: the platform did not accept PLANGRAPH_TOKEN as a signed-in caller', 'UNAUTHENTICATED');
  if (!viewer.isPortalAdmin)
    throw new ApiError('FORBIDDEN: the catalogue is managed by portal admins; PLANGRAPH_TOKEN is not a portal admin’s token', 'FORBIDDEN');
}

export async function readPlatform(client: GraphqlClient): Promise<PlatformState> {
  await requirePortalAdmin(client);
  const products = await client.pages<ApiProduct>(
    'products',
    `query CatalogueProducts($after: String) { products(${PAGE}, filter: { status: [DRAFT, PUBLISHED, ARCHIVED] }) {
      edges { node { id slug name displayName description status tykApiIds tags customFields { key value }
        documentation { format markdown url } managedBy version catalogs { id } } } ${PAGE_INFO} } }`,
  );
  const catalogs = await client.pages<ApiCatalog>(
    'catalogs',
    `query CatalogueCatalogs($after: String) { catalogs(${PAGE}) {
      edges { node { id key name description visibility managedBy audience { organizationId teamId } } } ${PAGE_INFO} } }`,
  );
  const plans = await client.pages<ApiPlan>(
    'plans',
    `query CataloguePlans($after: String) { plans(${PAGE}, filter: { status: [DRAFT, PUBLISHED, ARCHIVED] }) {
      edges { node { id key managedBy name displayName description status version catalogs { id }
        quota { unlimited requests period periodSeconds } rateLimit { unlimited requests perSeconds } quotaScope
        keyExpiresAfterSeconds jwtScopes credentialKind credentialMetadata { key value } autoApprove
        accessRequestLimit { unlimited allowance renewalSeconds } tier trialDays
        boostAllowance { maxExtraQuotaPercent maxExtraRatePercent maxDurationSeconds maxBoosts windowSeconds }
        endpointRules { productId allow { path methods } allowedTypes { name fields } restrictedTypes { name fields } } } }
      ${PAGE_INFO} } }`,
  );
  const organizations = await client.pages<ApiOrganization>(
    'organizations',
    `query CatalogueOrganizations($after: String) { organizations(${PAGE}) { edges { node { id slug teams { id name } } } ${PAGE_INFO} } }`,
  );
  const pendingChanges = await client.pages<ApiChangeRequest>(
    'planChangeRequests',
    `query CataloguePendingChanges($after: String) { planChangeRequests(${PAGE}, status: PENDING) { edges { node { id planId changes { field } } } ${PAGE_INFO} } }`,
  );
  return { products, catalogs, plans, organizations, pendingChanges };
}

export const documentationOf = (doc: ApiProduct['documentation']): Documentation =>
  !doc ? null : doc.format === 'URL' ? { format: 'URL', url: doc.url ?? '' } : { format: 'MARKDOWN', markdown: doc.markdown ?? '' };
