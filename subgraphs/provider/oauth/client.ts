/**
 * The HTTP client of an identity provider (OpenID Connect discovery, RFC 7591 Dynamic Client
 * Registration, RFC 7592 client management), for the client registration of OAUTH_CLIENT
 * credentials (../services/client-registration.ts). Answers are foreign JSON, checked field by
 * field by the caller; a failure is an `IdentityProviderError` whose text never holds a secret.
 */
import { providerSettings, type SyncDeps } from '../services/deps';

const MAX_ERROR_TEXT = 300;

/** A failure the identity provider reported (or a missing setting); recorded, then retried by the job. */
export class IdentityProviderError extends Error {
  override readonly name = 'IdentityProviderError';
}

/** Short, secret-free text of an identity provider's error answer. */
export function errorText(status: number, body: unknown): string {
  const record = (body ?? {}) as Record<string, unknown>;
  const code = typeof record.error === 'string' ? record.error.slice(0, 64) : null;
  const description = typeof record.error_description === 'string' ? record.error_description.slice(0, MAX_ERROR_TEXT) : null;
  return `the identity provider answered ${status}${code ? ` ${code}` : ''}${description ? `: ${description}` : ''}`;
}

export async function call(
  deps: SyncDeps,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  options: { bearer?: string | null; body?: unknown } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- identity provider responses are foreign JSON, checked field by field
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(providerSettings(deps.env).timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    // The URL is the issuer's or the management URI (no secrets in either); the cause's message only.
    throw new IdentityProviderError(
      `the identity provider could not be reached (${method} ${new URL(url).origin}): ${(error as Error).message}`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: response.status, body };
}

/** OpenID Connect discovery: the issuer's registration endpoint (RFC 8414 / OIDC Discovery). */
export async function registrationEndpoint(deps: SyncDeps, issuer: string): Promise<string> {
  const { status, body } = await call(deps, 'GET', `${issuer}/.well-known/openid-configuration`);
  if (status !== 200 || !body || typeof body !== 'object')
    throw new IdentityProviderError(`discovery at ${issuer} failed: ${errorText(status, body)}`);
  if (body.issuer !== issuer)
    throw new IdentityProviderError(
      `discovery at ${issuer} names another issuer (${String(body.issuer).slice(0, 200)}): fix the identity provider's issuer`,
    );
  if (typeof body.registration_endpoint !== 'string') {
    throw new IdentityProviderError(
      `the identity provider ${issuer} offers no registration_endpoint (RFC 7591 Dynamic Client Registration is not enabled there)`,
    );
  }
  return body.registration_endpoint;
}

/** The client metadata the platform registers: a confidential client for the client-credentials grant only. */
export function clientMetadata(credential: { id: string }, scope: string): Record<string, unknown> {
  return {
    client_name: `plangraph credential ${credential.id}`,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  };
}
