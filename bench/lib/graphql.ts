import { signForwardedAuth, type Claims } from '../../common/auth';
import { gatewaySharedSecret } from '../../common/config';
import { signDevToken } from '../../test/kit/token';

export interface GraphQLResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Claims of a caller as an identity provider would put them into a token. */
export interface BenchIdentity extends Claims {
  sub: string;
}

export const adminIdentity = (sub = 'bench-admin'): BenchIdentity => ({ sub, roles: ['portal_admin'], email: `${sub}@example.com` });
export const developerIdentity = (sub: string): BenchIdentity => ({ sub, roles: [], email: `${sub}@example.com` });

/** A bearer token for the gateway (HS256 dev secret; valid for a day, longer than any run). */
export function bearer(identity: BenchIdentity): string {
  return `Bearer ${signDevToken({ ...identity }, 86_400)}`;
}

/**
 * The `extensions.plangraph` a subgraph trusts: the claims signed as the gateway signs them,
 * for this one operation and for GATEWAY_SIGNATURE_MAX_AGE_SECONDS (60 s) from now.
 */
export function forwardedExtensions(
  identity: BenchIdentity | null,
  request: { query: string; variables?: Record<string, unknown> },
): Record<string, unknown> {
  return { plangraph: signForwardedAuth(gatewaySharedSecret(), identity, request, Date.now()) };
}

/** POSTs one GraphQL operation; never throws for GraphQL errors (they are in the result). */
export async function post<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { authorization?: string; extensions?: Record<string, unknown>; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<GraphQLResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.authorization ? { authorization: options.authorization } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables, ...(options.extensions ? { extensions: options.extensions } : {}) }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: { data?: T; errors?: GraphQLResult['errors'] };
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, ...body };
}

/** Like `post`, but throws unless the answer is HTTP 200 without errors; returns `data`. */
export async function must<T = any>(url: string, query: string, variables: Record<string, unknown>, authorization?: string): Promise<T> {
  const result = await post<T>(url, query, variables, { authorization });
  if (result.status !== 200 || result.errors?.length || !result.data) {
    throw new Error(`GraphQL call failed (HTTP ${result.status}): ${JSON.stringify(result.errors ?? result).slice(0, 500)}\n${query}`);
  }
  return result.data;
}

/** Runs a `{ <field> { <thing> { id } errors { … } } }` mutation and returns the new object's id. */
export async function mutateId(
  url: string,
  authorization: string,
  mutation: string,
  inputType: string,
  field: string,
  input: Record<string, unknown>,
): Promise<string> {
  const data = await must<Record<string, any>>(
    url,
    `mutation($i: ${inputType}!) { ${mutation}(input: $i) { ${field} { id } errors { code field message } } }`,
    { i: input },
    authorization,
  );
  const payload = data[mutation];
  if (payload.errors?.length) throw new Error(`${mutation}: ${JSON.stringify(payload.errors)}`);
  return payload[field].id as string;
}
