/**
 * Typed clients for the two Tyk APIs a provider can be: the Gateway management API (`/tyk/...`,
 * `x-tyk-authorization`) and the Dashboard API (`/api/...`, `authorization`). Both offer the same
 * operations, so sync code does not care which one it talks to. Every failure is a
 * `ProviderError` with Tyk's message. `test/tyk/server.ts` mimics both APIs for the tests, and
 * `test/tyk/contract.test.ts` checks these clients' requests against Tyk's OpenAPI file.
 */
import type { TykReloadMode } from '../../../common/config';
import { ProviderError } from './errors';
import { Transport, type CallOutcome } from './http';
import type { TykApiDefinition, TykPolicy, TykSession } from './types';

export type ProviderApiKind = 'TYK_GATEWAY' | 'TYK_DASHBOARD';

/** How the Gateway is told to load written policies. */
export type ReloadMode = TykReloadMode;

export interface TykClient {
  readonly kind: ProviderApiKind;
  /** Every policy the provider has (Gateway: the loaded set; Dashboard: all pages). */
  listPolicies(): Promise<TykPolicy[]>;
  /** One policy, or null when the provider has none with this id. */
  getPolicy(id: string): Promise<TykPolicy | null>;
  createPolicy(policy: TykPolicy): Promise<void>;
  /** Full replace of the policy with `policy.id`. */
  updatePolicy(policy: TykPolicy): Promise<void>;
  /** 'absent' when the provider had no such policy ("already gone" counts as success). */
  deletePolicy(id: string): Promise<'deleted' | 'absent'>;
  /** Makes policy writes effective (Gateway: hot reload; Dashboard: nothing to do). */
  reload(): Promise<void>;
  /** Creates a key whose id is `customKeyId` (clients present it as their API key). Returns Tyk's key hash only. */
  createKey(customKeyId: string, session: TykSession): Promise<{ keyHash: string }>;
  /** A key's session (policies applied, live `quota_remaining`), addressed by hash; null when missing. */
  getKey(keyHash: string): Promise<TykSession | null>;
  /** Replaces the key's policies WITHOUT resetting its quota counter. */
  setKeyPolicies(keyHash: string, policyIds: string[]): Promise<void>;
  /** 'absent' when the key did not exist ("already gone" counts as success). */
  deleteKey(keyHash: string): Promise<'deleted' | 'absent'>;
  /** An API definition (classic or OAS, whichever it is), or null when the provider has none with this id. */
  getApi(apiId: string): Promise<TykApiDefinition | null>;
  /** Full replace of an API definition in the format it was read in (Gateway: effective after `reload`). */
  updateApi(api: TykApiDefinition): Promise<void>;
}

export interface ClientOptions {
  kind: ProviderApiKind;
  baseUrl: string;
  secret: string;
  timeoutMs: number;
  reloadMode?: ReloadMode;
  onOutcome?: (outcome: CallOutcome) => void;
}

const path = (...parts: string[]) => parts.map((part) => encodeURIComponent(part)).join('/');

function record(body: unknown, operation: string): Record<string, unknown> {
  if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  throw new ProviderError(200, 'The provider answered with something that is not a JSON object', false, operation);
}

/** Tyk Gateway (open source) management API. */
export class GatewayClient implements TykClient {
  readonly kind = 'TYK_GATEWAY' as const;
  private readonly http: Transport;

  constructor(private readonly options: ClientOptions) {
    this.http = new Transport({
      baseUrl: options.baseUrl,
      headers: { 'x-tyk-authorization': options.secret },
      timeoutMs: options.timeoutMs,
      onOutcome: options.onOutcome,
    });
  }

  async listPolicies(): Promise<TykPolicy[]> {
    const { body } = await this.http.request('listPolicies', 'GET', '/tyk/policies');
    if (body === null) return [];
    if (!Array.isArray(body))
      throw new ProviderError(200, 'The provider answered the policy list with something that is not a JSON array', false, 'listPolicies');
    return body as TykPolicy[];
  }

  async getPolicy(id: string): Promise<TykPolicy | null> {
    const { status, body } = await this.http.request('getPolicy', 'GET', `/tyk/policies/${path(id)}`, { accept: [404] });
    return status === 404 ? null : (record(body, 'getPolicy') as TykPolicy);
  }

  async createPolicy(policy: TykPolicy): Promise<void> {
    await this.http.request('createPolicy', 'POST', '/tyk/policies', { body: policy });
  }

  async updatePolicy(policy: TykPolicy): Promise<void> {
    await this.http.request('updatePolicy', 'PUT', `/tyk/policies/${path(policy.id)}`, { body: policy });
  }

  async deletePolicy(id: string): Promise<'deleted' | 'absent'> {
    // Deleting a policy file that does not exist is `500 "Delete failed"` (not 404): treat it
    // as already gone; sync confirms with a GET after the reload.
    try {
      await this.http.request('deletePolicy', 'DELETE', `/tyk/policies/${path(id)}`);
      return 'deleted';
    } catch (error) {
      if (error instanceof ProviderError && error.status === 500 && error.message === 'Delete failed') return 'absent';
      throw error;
    }
  }

  async reload(): Promise<void> {
    const mode = this.options.reloadMode ?? 'both';
    // The group signal reaches every node (asynchronously); the blocking reload makes sure this
    // node has loaded the policies before the next call depends on them.
    if (mode !== 'node') await this.http.request('reload', 'GET', '/tyk/reload/group');
    if (mode !== 'group') await this.http.request('reload', 'GET', '/tyk/reload', { query: { block: 'true' } });
  }

  async createKey(customKeyId: string, session: TykSession): Promise<{ keyHash: string }> {
    const { body } = await this.http.request('createKey', 'POST', `/tyk/keys/${path(customKeyId)}`, { body: session });
    // The answer's `key` is a token that embeds the secret: it is dropped here, never stored.
    const keyHash = record(body, 'createKey').key_hash;
    if (typeof keyHash !== 'string' || !keyHash) {
      throw new ProviderError(
        200,
        'The provider created the key but returned no key_hash: enable hash_keys in tyk.conf',
        false,
        'createKey',
      );
    }
    return { keyHash };
  }

  async getKey(keyHash: string): Promise<TykSession | null> {
    const { status, body } = await this.http.request('getKey', 'GET', `/tyk/keys/${path(keyHash)}`, {
      query: { hashed: 'true' },
      accept: [404],
    });
    return status === 404 ? null : (record(body, 'getKey') as TykSession);
  }

  async setKeyPolicies(keyHash: string, policyIds: string[]): Promise<void> {
    await this.http.request('setKeyPolicies', 'POST', `/tyk/keys/policy/${path(keyHash)}`, { body: { apply_policies: policyIds } });
  }

  async deleteKey(keyHash: string): Promise<'deleted' | 'absent'> {
    const { status } = await this.http.request('deleteKey', 'DELETE', `/tyk/keys/${path(keyHash)}`, {
      query: { hashed: 'true' },
      accept: [404],
    });
    return status === 404 ? 'absent' : 'deleted';
  }

  async getApi(apiId: string): Promise<TykApiDefinition | null> {
    // The classic route answers for every API; an OAS API says so (`is_oas`) and is read and
    // written through `/tyk/apis/oas/{id}` (Tyk refuses classic writes of OAS APIs).
    const { status, body } = await this.http.request('getApi', 'GET', `/tyk/apis/${path(apiId)}`, { accept: [404] });
    if (status === 404) return null;
    const classic = record(body, 'getApi');
    if (classic.is_oas !== true) return { apiId, oas: false, definition: classic };
    const oas = await this.http.request('getApi', 'GET', `/tyk/apis/oas/${path(apiId)}`, { accept: [404] });
    return oas.status === 404 ? null : { apiId, oas: true, definition: record(oas.body, 'getApi') };
  }

  async updateApi(api: TykApiDefinition): Promise<void> {
    await this.http.request('updateApi', 'PUT', api.oas ? `/tyk/apis/oas/${path(api.apiId)}` : `/tyk/apis/${path(api.apiId)}`, {
      body: api.definition,
    });
  }
}

/** Tyk Dashboard API (policies under `/api/portal/policies`, keys under `/api/keys`). */
export class DashboardClient implements TykClient {
  readonly kind = 'TYK_DASHBOARD' as const;
  private readonly http: Transport;

  constructor(options: ClientOptions) {
    this.http = new Transport({
      baseUrl: options.baseUrl,
      headers: { authorization: options.secret },
      timeoutMs: options.timeoutMs,
      onOutcome: options.onOutcome,
    });
  }

  async listPolicies(): Promise<TykPolicy[]> {
    // `p=-1` returns every page at once.
    const { body } = await this.http.request('listPolicies', 'GET', '/api/portal/policies', { query: { p: '-1' } });
    const data = record(body, 'listPolicies').Data;
    return Array.isArray(data) ? (data as TykPolicy[]) : [];
  }

  async getPolicy(id: string): Promise<TykPolicy | null> {
    const { status, body } = await this.http.request('getPolicy', 'GET', `/api/portal/policies/${path(id)}`, { accept: [404] });
    return status === 404 ? null : (record(body, 'getPolicy') as TykPolicy);
  }

  async createPolicy(policy: TykPolicy): Promise<void> {
    await this.http.request('createPolicy', 'POST', '/api/portal/policies', { body: policy });
  }

  async updatePolicy(policy: TykPolicy): Promise<void> {
    await this.http.request('updatePolicy', 'PUT', `/api/portal/policies/${path(policy.id)}`, { body: policy });
  }

  async deletePolicy(id: string): Promise<'deleted' | 'absent'> {
    const { status } = await this.http.request('deletePolicy', 'DELETE', `/api/portal/policies/${path(id)}`, { accept: [404] });
    return status === 404 ? 'absent' : 'deleted';
  }

  async reload(): Promise<void> {
    // The Dashboard tells its gateways itself.
  }

  async createKey(customKeyId: string, session: TykSession): Promise<{ keyHash: string }> {
    const { body } = await this.http.request('createKey', 'POST', `/api/keys/${path(customKeyId)}`, { body: session });
    const keyHash = record(body, 'createKey').key_hash;
    if (typeof keyHash !== 'string' || !keyHash) {
      throw new ProviderError(200, 'The Dashboard created the key but returned no key_hash: enable hash_keys', false, 'createKey');
    }
    return { keyHash };
  }

  async getKey(keyHash: string): Promise<TykSession | null> {
    const { status, body } = await this.http.request('getKey', 'GET', `/api/keys/${path(keyHash)}`, {
      query: { hashed: '1' },
      accept: [404],
    });
    if (status === 404) return null;
    const data = record(body, 'getKey').data;
    return data && typeof data === 'object' ? (data as TykSession) : {};
  }

  async setKeyPolicies(keyHash: string, policyIds: string[]): Promise<void> {
    // No policy-only endpoint on the Dashboard: GET, change apply_policies, PUT with suppress_reset=1.
    const session = await this.getKey(keyHash);
    if (!session) throw new ProviderError(404, 'Could not retrieve key detail.', false, 'setKeyPolicies');
    const { quota_remaining: _live, ...rest } = session;
    await this.http.request('setKeyPolicies', 'PUT', `/api/keys/${path(keyHash)}`, {
      query: { hashed: '1', suppress_reset: '1' },
      body: { ...rest, apply_policies: policyIds },
    });
  }

  async deleteKey(keyHash: string): Promise<'deleted' | 'absent'> {
    const { status } = await this.http.request('deleteKey', 'DELETE', `/api/keys/${path(keyHash)}`, {
      query: { hashed: '1' },
      accept: [404],
    });
    return status === 404 ? 'absent' : 'deleted';
  }

  async getApi(apiId: string): Promise<TykApiDefinition | null> {
    // `GET /api/apis/{id}` wraps a classic definition in `api_definition` (OAS APIs: `is_oas`);
    // OAS documents are read and written through `/api/apis/oas/{id}`.
    const { status, body } = await this.http.request('getApi', 'GET', `/api/apis/${path(apiId)}`, { accept: [404] });
    if (status === 404) return null;
    const classic = record(record(body, 'getApi').api_definition, 'getApi');
    if (classic.is_oas !== true) return { apiId, oas: false, definition: classic };
    const oas = await this.http.request('getApi', 'GET', `/api/apis/oas/${path(apiId)}`, { accept: [404] });
    return oas.status === 404 ? null : { apiId, oas: true, definition: record(oas.body, 'getApi') };
  }

  async updateApi(api: TykApiDefinition): Promise<void> {
    if (api.oas) await this.http.request('updateApi', 'PUT', `/api/apis/oas/${path(api.apiId)}`, { body: api.definition });
    else await this.http.request('updateApi', 'PUT', `/api/apis/${path(api.apiId)}`, { body: { api_definition: api.definition } });
  }
}

export function createTykClient(options: ClientOptions): TykClient {
  return options.kind === 'TYK_DASHBOARD' ? new DashboardClient(options) : new GatewayClient(options);
}
