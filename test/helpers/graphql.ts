import { randomUUID } from 'node:crypto';
import { signForwardedAuth, type Claims } from '../../common/auth';
import { gatewaySharedSecret } from '../../common/config';
import { signDevToken } from '../kit/token';

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface Identity {
  sub: string;
  roles?: string[];
  email?: string;
  [claim: string]: unknown;
}

export const portalAdmin = (sub = `admin-${randomUUID()}`): Identity => ({ sub, roles: ['portal_admin'] });
export const developer = (sub = `dev-${randomUUID()}`): Identity => ({ sub, roles: [], email: `${sub}@example.com` });

/** A bearer token for the gateway, as an identity provider would issue it. */
export function tokenFor(identity: Identity, ttl = 3600): string {
  return signDevToken({ ...identity }, ttl);
}

/** POSTs to the gateway with a bearer token (or anonymously). */
export async function gatewayRequest<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  identity?: Identity | null,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T> & { status: number; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(identity ? { authorization: `Bearer ${tokenFor(identity)}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  return { ...body, status: response.status, headers: response.headers };
}

/**
 * POSTs straight to a subgraph with claims signed as the gateway signs them (subgraph tests
 * without a gateway). `identity: null` is an anonymous caller.
 */
export async function subgraphRequest<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  identity?: Identity | null,
): Promise<GraphQLResponse<T>> {
  const forwarded = signForwardedAuth(gatewaySharedSecret(), (identity ?? null) as Claims | null, { query, variables }, Date.now());
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables, extensions: { plangraph: forwarded } }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}
