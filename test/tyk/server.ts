/**
 * A Tyk-compatible TEST server (a fixture, never shipped): the Tyk Gateway management API under
 * `/tyk/` and the Dashboard API subset under `/api/` that provider sync uses, with the status
 * codes, bodies and traps of the real ones, as Tyk's Gateway source (`gateway/api.go`,
 * `gateway/server.go`, `user/session.go`, `user/policy.go`), its documentation and its OpenAPI file
 * (`./vendor/tyk-gateway-openapi.yml`) describe them (written from those descriptions; no Tyk code
 * is copied). What it does, in short:
 *
 * - Gateway auth: `x-tyk-authorization: <secret>`, else 403. Dashboard auth: `authorization: <key>`, else 401.
 * - Policies written through the Gateway API go to "files"; keys and `GET /tyk/policies` see them
 *   only after `GET /tyk/reload` (or `/tyk/reload/group`, asynchronous). Dashboard writes are live.
 * - Policy ids must match `^[a-zA-Z0-9._~-]+$`; PUT is a full replace and needs body id = path id;
 *   deleting a missing policy file is `500 "Delete failed"`.
 * - Keys: `hash_keys: true` (Redis stores the hash; the create response carries `key` and
 *   `key_hash`), custom ids (`POST /tyk/keys/{id}`) and generated ones (`POST /tyk/keys`),
 *   `hashed` (any non-empty value = the path holds the hash), policies applied by partition and
 *   org (a key only finds loaded policies of its own org), `key_expires_in`, quota counters that
 *   tests set (`setQuotaUsed`), `quota_remaining` computed on GET, full-replace PUT that resets
 *   the counter unless `suppress_reset=1`, `POST /tyk/keys/policy/{hash}` that never resets it,
 *   and 5.12+ `omitzero` session JSON.
 * - Every body is checked against the project's schema of Tyk's objects (`./schema.ts`):
 *   wrong JSON types → 400 like Tyk; unknown fields too (stricter than Tyk, see schema.ts).
 * - Records every request (api, method, path, query, body, status) for assertions.
 * - Faults: `down()` closes the listener (connection refused) until `up()`; `failNext(n)` answers
 *   the next n requests with 500 (or another status) and a Tyk-shaped error; `slow(ms)` delays
 *   every response.
 * - Proxied APIs (`addApi`): requests under an API's listen path are authenticated with a key
 *   (`Authorization` header: the key or its custom name), its policies applied, then limited:
 *   429 `{"error":"Rate Limit Exceeded"}` (sliding window of `rate` per `per` seconds) and 403
 *   `{"error":"Quota exceeded"}` (counter per `quota_renewal_rate` window, starting at the first
 *   request; counters keyed on `rate_limit_pattern` when the metadata sets one). Each proxied
 *   request yields one analytics row in the shape of Tyk Pump's SQL `tyk_analytics` table
 *   (`analytics`, `onAnalytics`).
 * - API definitions (`/tyk/apis`, `/tyk/apis/oas`, Dashboard `/api/apis`, `/api/apis/oas`): each
 *   `addApi` is stored as a Tyk Classic or Tyk OAS definition; Gateway writes take effect on
 *   reload, Dashboard writes at once; requests are checked against the LOADED definition.
 * - JWT APIs: HS256/RS256 tokens verified per the definition, scope claim → policies through
 *   `scopes.jwt.scope_to_policy` / `scopeToPolicyMapping` (no match → 403), policies that grant
 *   no API → 403 (see `jwtSession`).
 * - Path rights (`allowed_urls`, merged across ACL policies as Tyk merges them: ./merge.ts) and
 *   GraphQL type rights (`restricted_types` / `allowed_types`).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, createHmac, createVerify, randomBytes, randomUUID } from 'node:crypto';
import { buildSchema, parse, TypeInfo, visit, visitWithTypeInfo, getNamedType, type GraphQLSchema } from 'graphql';
import { POLICY, POLICY_UPDATE, SESSION_STATE, validateTykObject, type ObjectSchema } from './schema';
import { mergeAccessDefinition } from './merge';

export type Json = Record<string, any>;

export interface RecordedRequest {
  api: 'gateway' | 'dashboard' | 'proxy' | 'other';
  method: string;
  /** Path without query string (trailing slashes stripped). */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, the raw text when it was not JSON, or undefined when empty. */
  body: unknown;
  status: number;
  /** The JSON body of the answer. */
  response?: unknown;
  /** Set when the answer was an injected fault. */
  fault?: 'error';
}

export interface TykTestServerOptions {
  /** Gateway `secret` (`x-tyk-authorization`). */
  secret?: string;
  /** Dashboard user API key (`authorization`); defaults to `secret`. */
  dashboardSecret?: string;
  /** Default org id, used to find custom keys addressed by their raw name. */
  orgId?: string;
  /** Reject unknown fields (stricter than Tyk; default true). */
  strict?: boolean;
  port?: number;
  /** Delay of the asynchronous `/tyk/reload/group` (default 30 ms). */
  groupReloadDelayMs?: number;
  /** `min_token_length` for custom key ids (default 3). */
  minTokenLength?: number;
  /** Time source in ms (key expiry, quota windows); default Date.now. */
  now?: () => number;
  /** APIs to proxy (more with `addApi`). */
  apis?: TestApi[];
  /** Called with each analytics row (e.g. to insert it into a `tyk_analytics` table). */
  onAnalytics?: (row: AnalyticsRow) => void | Promise<void>;
}

/** An API definition: Tyk Classic (`APIDefinition`) or Tyk OAS (an OpenAPI document with `x-tyk-api-gateway`). */
export interface StoredApi {
  oas: boolean;
  definition: Json;
}

/** The JWT settings of a loaded API definition, read the way Tyk reads them (classic or OAS). */
interface JwtSettings {
  signingMethod: string;
  source: string;
  identityBaseField: string;
  defaultPolicies: string[];
  scopeClaimName: string;
  scopeToPolicy: Record<string, string>;
}

interface StoredKey {
  token: string;
  hash: string;
  session: Json;
}

/** An API definition the gateway proxies: requests under `listenPath` are authenticated with a key and limited. */
export interface TestApi {
  apiId: string;
  /** Path prefix, e.g. `/weather/` (requests to `/weather/...`). */
  listenPath: string;
  name?: string;
  /** The API definition's org id (default: the server's org). */
  orgId?: string;
  /**
   * JWT authentication instead of keys (Tyk Classic `enable_jwt`, `jwt_signing_method`,
   * `jwt_source`, `jwt_identity_base_field`, `jwt_default_policies`; Tyk OAS the JWT security
   * scheme's `signingMethod`, `source`, `identityBaseField`, `defaultPolicies`). `source` is the
   * HMAC secret or the RSA public key PEM as given (stored base64-encoded, as Tyk does).
   */
  jwt?: {
    signingMethod: 'hmac' | 'rsa';
    source: string;
    identityBaseField?: string;
    defaultPolicies?: string[];
    scopeClaimName?: string;
    scopeToPolicy?: Record<string, string>;
  };
  /** Store the definition as a Tyk OAS API (`x-tyk-api-gateway`, `GET/PUT /tyk/apis/oas/{id}`) instead of Tyk Classic. */
  oas?: boolean;
  /** A GraphQL API: its SDL (restricted_types / allowed_types are checked against queries). */
  graphqlSchema?: string;
}

/** The name of the JWT security scheme in the OAS definitions this server builds. */
export const OAS_JWT_SCHEME = 'jwtAuth';

/**
 * One analytics record per proxied request, as Tyk Pump's `sql` pump stores it in `tyk_analytics`
 * (column names from the GORM tags of Tyk Pump's `analytics.AnalyticsRecord`).
 */
export interface AnalyticsRow {
  method: string;
  host: string;
  path: string;
  rawpath: string;
  contentlength: number;
  useragent: string;
  day: number;
  month: number;
  year: number;
  hour: number;
  responsecode: number;
  /** The key hash (hash_keys on), or `00000000` for unauthenticated requests. */
  apikey: string;
  timestamp: string;
  apiversion: string;
  apiname: string;
  apiid: string;
  orgid: string;
  oauthid: string;
  requesttime: number;
  ipaddress: string;
  tags: string[];
  alias: string;
  trackpath: boolean;
}

const ADMIN_DENIED = 'Attempted administrative access with invalid or missing key!';
const POLICY_ID = /^[a-zA-Z0-9._~-]+$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;

/** A Tyk `allowed_urls` pattern as a regular expression (an invalid one matches nothing, like Tyk). */
function safeRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}

const clone = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

/** Every Policy key is always emitted (no omitempty), except `post_expiry_action` (omitzero). */
const POLICY_DEFAULTS: Json = {
  _id: '',
  id: '',
  name: '',
  org_id: '',
  rate: 0,
  per: 0,
  quota_max: 0,
  quota_renewal_rate: 0,
  throttle_interval: 0,
  throttle_retry_limit: 0,
  max_query_depth: 0,
  access_rights: null,
  partitions: { quota: false, rate_limit: false, acl: false, complexity: false, per_api: false },
  active: false,
  is_inactive: false,
  key_expires_in: 0,
  post_expiry_grace_period: 0,
  tags: null,
  meta_data: null,
  hmac_enabled: false,
  enable_http_signature_validation: false,
  last_updated: '',
  smoothing: null,
  graphql_access_rights: null,
};

function policyJson(policy: Json): Json {
  const out: Json = { ...clone(POLICY_DEFAULTS), ...clone(policy) };
  out.partitions = { ...POLICY_DEFAULTS.partitions, ...(policy.partitions ?? {}) };
  if (!out.post_expiry_action) delete out.post_expiry_action;
  return out;
}

/** Session JSON as 5.12+ writes it: zero values (0, "", false, null, [], {}) are omitted. */
function omitZero(value: Json): Json {
  const out: Json = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === 0 || item === '' || item === false || item === null || item === undefined) continue;
    if (Array.isArray(item) && item.length === 0) continue;
    if (typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 0) continue;
    out[key] = item;
  }
  return out;
}

export class TykTestServer {
  readonly secret: string;
  readonly dashboardSecret: string;
  readonly orgId: string;
  readonly requests: RecordedRequest[] = [];
  /** Every request since start (`clearRequests` does not clear it): contract checks at the end of a suite. */
  readonly history: RecordedRequest[] = [];
  /** Policies written through the Gateway API ("files in policy_path"), loaded on reload. */
  readonly policyFiles = new Map<string, Json>();
  /** Policies the gateway has loaded (what keys and GET see). */
  readonly loadedPolicies = new Map<string, Json>();
  /** Sessions by key hash. */
  readonly keys = new Map<string, StoredKey>();
  /** Quota counters (`quota-<keyhash>`): by key hash, or `pattern:<value>` for keys with a `rate_limit_pattern`. */
  readonly quotaCounters = new Map<string, number>();
  reloads = 0;
  /** Proxied APIs by listen path. */
  readonly apis: TestApi[] = [];
  /** Analytics rows of proxied requests, oldest first. */
  readonly analytics: AnalyticsRow[] = [];
  /** API definitions written through the Gateway API ("files in app_path"), loaded on reload; by api id. */
  readonly apiFiles = new Map<string, StoredApi>();
  /** API definitions the gateway has loaded (what proxied requests are checked against). */
  readonly loadedApis = new Map<string, StoredApi>();
  /** Quota window ends (Unix seconds) by counter id. */
  private readonly quotaRenews = new Map<string, number>();
  /** Request times (ms) of the current rate window by counter id (sliding log). */
  private readonly rateLog = new Map<string, number[]>();
  private readonly onAnalytics?: (row: AnalyticsRow) => void | Promise<void>;

  private server: http.Server | null = null;
  private sockets = new Set<Socket>();
  private port = 0;
  private failures: { remaining: number; status: number; message: string } = { remaining: 0, status: 500, message: '' };
  private delayMs = 0;
  private readonly holds: {
    match: (request: RecordedRequest) => boolean;
    arrived: (request: RecordedRequest) => void;
    released: Promise<void>;
  }[] = [];
  private readonly strict: boolean;
  private readonly groupReloadDelayMs: number;
  private readonly minTokenLength: number;
  private readonly now: () => number;
  private readonly orgsSeen = new Set<string>();

  private constructor(options: TykTestServerOptions) {
    this.secret = options.secret ?? `tyk-test-secret-${randomBytes(6).toString('hex')}`;
    this.dashboardSecret = options.dashboardSecret ?? this.secret;
    this.orgId = options.orgId ?? randomBytes(12).toString('hex');
    this.strict = options.strict ?? true;
    this.groupReloadDelayMs = options.groupReloadDelayMs ?? 30;
    this.minTokenLength = options.minTokenLength ?? 3;
    this.now = options.now ?? Date.now;
    this.orgsSeen.add(this.orgId);
    for (const api of options.apis ?? []) this.addApi(api);
    this.onAnalytics = options.onAnalytics;
  }

  /** Registers an API definition the gateway proxies (answered by a built-in echo upstream). */
  addApi(api: TestApi): void {
    const listenPath = `/${api.listenPath.replace(/^\/+|\/+$/g, '')}/`;
    this.apis.push({ ...api, listenPath });
    if (api.orgId) this.orgsSeen.add(api.orgId);
    const stored = this.definitionOf({ ...api, listenPath });
    this.apiFiles.set(api.apiId, stored);
    this.loadedApis.set(api.apiId, clone(stored));
  }

  /** The API definition `addApi` stores: what an operator would have created in Tyk. */
  private definitionOf(api: TestApi): StoredApi {
    const orgId = api.orgId ?? this.orgId;
    const jwt = api.jwt;
    const source = jwt ? Buffer.from(jwt.source).toString('base64') : '';
    if (api.oas) {
      const schemes: Json = jwt
        ? {
            [OAS_JWT_SCHEME]: {
              enabled: true,
              source,
              signingMethod: jwt.signingMethod,
              identityBaseField: jwt.identityBaseField ?? 'sub',
              ...(jwt.defaultPolicies?.length ? { defaultPolicies: jwt.defaultPolicies } : {}),
              scopes: {
                claimName: jwt.scopeClaimName ?? 'scope',
                scopeToPolicyMapping: Object.entries(jwt.scopeToPolicy ?? {}).map(([scope, policyId]) => ({ scope, policyId })),
              },
            },
          }
        : { authToken: { enabled: true } };
      return {
        oas: true,
        definition: {
          openapi: '3.0.3',
          info: { title: api.name ?? api.apiId, version: '1.0.0' },
          paths: {},
          components: {
            securitySchemes: jwt
              ? { [OAS_JWT_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
              : { authToken: { type: 'apiKey', in: 'header', name: 'Authorization' } },
          },
          security: [{ [jwt ? OAS_JWT_SCHEME : 'authToken']: [] }],
          'x-tyk-api-gateway': {
            info: { id: api.apiId, name: api.name ?? api.apiId, orgId, state: { active: true } },
            upstream: { url: 'http://echo.upstream.test/' },
            server: { listenPath: { value: api.listenPath, strip: true }, authentication: { enabled: true, securitySchemes: schemes } },
          },
        },
      };
    }
    return {
      oas: false,
      definition: {
        api_id: api.apiId,
        name: api.name ?? api.apiId,
        org_id: orgId,
        active: true,
        use_keyless: false,
        use_standard_auth: !jwt,
        enable_jwt: Boolean(jwt),
        jwt_signing_method: jwt?.signingMethod ?? '',
        jwt_source: source,
        jwt_identity_base_field: jwt?.identityBaseField ?? (jwt ? 'sub' : ''),
        jwt_default_policies: jwt?.defaultPolicies ?? [],
        scopes: jwt ? { jwt: { scope_claim_name: jwt.scopeClaimName ?? 'scope', scope_to_policy: { ...(jwt.scopeToPolicy ?? {}) } } } : {},
        proxy: { listen_path: api.listenPath, target_url: 'http://echo.upstream.test/', strip_listen_path: true },
        version_data: { not_versioned: true, versions: { Default: { name: 'Default' } } },
        ...(api.graphqlSchema ? { graphql: { enabled: true, execution_mode: 'proxyOnly', schema: api.graphqlSchema } } : {}),
      },
    };
  }

  /** The loaded definition of an API (what the gateway enforces). */
  apiDefinition(apiId: string): StoredApi | undefined {
    return clone(this.loadedApis.get(apiId));
  }

  /** Replaces an API definition as an operator would (Dashboard UI): live at once. */
  putApiDirect(apiId: string, stored: StoredApi): void {
    this.apiFiles.set(apiId, clone(stored));
    this.loadedApis.set(apiId, clone(stored));
  }

  /** The scope → policy mapping of a loaded API definition (classic `scopes.jwt.scope_to_policy` or OAS `scopeToPolicyMapping`). */
  scopeMapping(apiId: string): Record<string, string> {
    const stored = this.loadedApis.get(apiId);
    return stored ? (this.jwtSettings(stored)?.scopeToPolicy ?? {}) : {};
  }

  private jwtSettings(stored: StoredApi): JwtSettings | null {
    if (!stored.oas) {
      const d = stored.definition;
      if (!d.enable_jwt) return null;
      return {
        signingMethod: d.jwt_signing_method ?? '',
        source: d.jwt_source ?? '',
        identityBaseField: d.jwt_identity_base_field || 'sub',
        defaultPolicies: d.jwt_default_policies ?? [],
        scopeClaimName: d.scopes?.jwt?.scope_claim_name || 'scope',
        scopeToPolicy: { ...(d.scopes?.jwt?.scope_to_policy ?? {}) },
      };
    }
    const doc = stored.definition;
    const schemes: Json = doc['x-tyk-api-gateway']?.server?.authentication?.securitySchemes ?? {};
    const components: Json = doc.components?.securitySchemes ?? {};
    for (const [name, scheme] of Object.entries(schemes) as [string, Json][]) {
      const component = components[name];
      const isJwt = component?.type === 'http' && component?.scheme === 'bearer' && component?.bearerFormat === 'JWT';
      if (!isJwt || !scheme?.enabled) continue;
      const mapping: Record<string, string> = {};
      for (const entry of scheme.scopes?.scopeToPolicyMapping ?? []) mapping[entry.scope] = entry.policyId;
      return {
        signingMethod: scheme.signingMethod ?? '',
        source: scheme.source ?? '',
        identityBaseField: scheme.identityBaseField || 'sub',
        defaultPolicies: scheme.defaultPolicies ?? [],
        scopeClaimName: scheme.scopes?.claims?.[0] || scheme.scopes?.claimName || 'scope',
        scopeToPolicy: mapping,
      };
    }
    return null;
  }

  /** The classic view Tyk returns for `GET /tyk/apis/{id}` (OAS APIs: their classic form, `is_oas: true`). */
  private classicView(stored: StoredApi): Json {
    if (!stored.oas) return clone(stored.definition);
    const info = stored.definition['x-tyk-api-gateway']?.info ?? {};
    return { api_id: info.id, name: info.name, org_id: info.orgId, is_oas: true, active: Boolean(info.state?.active) };
  }

  static async start(options: TykTestServerOptions = {}): Promise<TykTestServer> {
    const server = new TykTestServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  /** Base URL (both APIs live on it: `/tyk/...` and `/api/...`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.server !== null;
  }

  private listen(port: number): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.send(res, 500, { status: 'error', message: `test server bug: ${String(error)}` });
      });
    });
    server.keepAliveTimeout = 1000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- faults

  /** Closes the listener and every open connection: clients get "connection refused". */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (this.server) return;
    await this.listen(this.port);
  }

  /** The next `count` requests (either API) fail with `status` and a Tyk-shaped error body. */
  failNext(count: number, options: { status?: number; message?: string } = {}): void {
    this.failures = {
      remaining: count,
      status: options.status ?? 500,
      message: options.message ?? 'Injected failure from the Tyk test server',
    };
  }

  /** Delays every answer by `ms` (0 = off). */
  slow(ms: number): void {
    this.delayMs = ms;
  }

  /**
   * Holds the next request that `match`es (after recording it) until `release()`: the request
   * has reached Tyk but is not answered yet, so a client can die in the middle of it. On release
   * it is handled as usual (a write takes effect even if its client is gone, as in Tyk).
   */
  hold(match: (request: RecordedRequest) => boolean): { arrived: Promise<RecordedRequest>; release(): void } {
    let release!: () => void;
    let arrived!: (request: RecordedRequest) => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrival = new Promise<RecordedRequest>((resolve) => (arrived = resolve));
    this.holds.push({ match, arrived, released });
    return { arrived: arrival, release };
  }

  /** Ends all faults. */
  heal(): void {
    this.failures.remaining = 0;
    this.delayMs = 0;
  }

  async stop(): Promise<void> {
    await this.down();
  }

  // ---------------------------------------------------------------- test helpers

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Recorded requests that write (POST/PUT/DELETE), optionally for one API path prefix. */
  writes(prefix = ''): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.path.startsWith(prefix));
  }

  /** The loaded policy with this id (what the gateway enforces), or undefined. */
  policy(id: string): Json | undefined {
    const policy = this.loadedPolicies.get(id);
    return policy ? policyJson(policy) : undefined;
  }

  /** Loaded policies, as `GET /tyk/policies` shows them. */
  policies(): Json[] {
    return [...this.loadedPolicies.values()].map(policyJson);
  }

  /** Creates or replaces a policy as if an operator did it in Tyk (Dashboard UI): live at once. */
  putPolicyDirect(policy: Json): void {
    const stored = clone(policy);
    this.policyFiles.set(stored.id, stored);
    this.loadedPolicies.set(stored.id, stored);
  }

  /** Deletes a policy as if an operator did it in Tyk: gone at once. */
  deletePolicyDirect(id: string): void {
    this.policyFiles.delete(id);
    this.loadedPolicies.delete(id);
  }

  /** The stored session of a key (by hash), without policies applied. */
  storedSession(hash: string): Json | undefined {
    return clone(this.keys.get(hash)?.session);
  }

  /** The session as `GET /tyk/keys/{hash}?hashed=1` shows it. */
  keySession(hash: string): Json | undefined {
    const key = this.keys.get(hash);
    return key ? this.sessionView(key) : undefined;
  }

  /** Sets the quota counter of a key (requests used in the current window). */
  setQuotaUsed(hash: string, used: number): void {
    this.quotaCounters.set(hash, used);
  }

  quotaUsed(hash: string): number {
    return this.quotaCounters.get(hash) ?? 0;
  }

  // ---------------------------------------------------------------- plumbing

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://tyk.test');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    let body: unknown = undefined;
    let malformed = false;
    if (raw.length) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        malformed = true;
      }
    }
    const method = req.method ?? 'GET';
    const proxied = this.apis.find((candidate) => `${path}/`.startsWith(candidate.listenPath));
    const api: RecordedRequest['api'] =
      path.startsWith('/tyk/') || path === '/tyk' ? 'gateway' : path.startsWith('/api/') ? 'dashboard' : proxied ? 'proxy' : 'other';
    const record: RecordedRequest = { api, method, path, query, body, status: 0 };
    this.requests.push(record);
    this.history.push(record);

    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const hold = this.holds.find((candidate) => candidate.match(record));
    if (hold) {
      this.holds.splice(this.holds.indexOf(hold), 1);
      hold.arrived(record);
      await hold.released;
    }
    const reply = (status: number, payload: unknown) => {
      record.status = status;
      record.response = payload;
      if (!res.destroyed) this.send(res, status, payload);
    };

    if (this.failures.remaining > 0 && api !== 'other') {
      this.failures.remaining -= 1;
      record.fault = 'error';
      const { status, message } = this.failures;
      return reply(status, api === 'gateway' ? { status: 'error', message } : { Status: 'Error', Message: message, Meta: null });
    }

    if (api === 'gateway') {
      if (req.headers['x-tyk-authorization'] !== this.secret) return reply(403, { status: 'error', message: ADMIN_DENIED });
      const [status, payload] = this.gateway(method, path, query, body, malformed);
      return reply(status, payload);
    }
    if (api === 'dashboard') {
      if (req.headers.authorization !== this.dashboardSecret) return reply(401, { Status: 'Error', Message: 'Not authorised', Meta: null });
      const [status, payload] = this.dashboard(method, path, query, body, malformed);
      return reply(status, payload);
    }
    if (proxied) {
      const started = this.now();
      const [status, payload, headers] = this.proxy(proxied, method, req.headers.authorization, path, body);
      record.status = status;
      record.response = payload;
      if (!res.destroyed) {
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      }
      this.recordAnalytics(proxied, req, path, status, started);
      return;
    }
    return reply(404, { error: 'Not found' });
  }

  // ---------------------------------------------------------------- proxied APIs (enforcement)

  private lastProxyKey: { hash: string; session: Json } | null = null;

  /** `$tyk_meta.<name>` in `rate_limit_pattern`, resolved from the session's metadata. */
  private counterId(hash: string, session: Json): string {
    const pattern = session.meta_data?.rate_limit_pattern;
    if (typeof pattern !== 'string' || !pattern) return hash;
    const value = pattern.replace(/\$tyk_meta\.([A-Za-z0-9_.-]+)/g, (_m, name: string) => String(session.meta_data?.[name] ?? ''));
    return `pattern:${value}`;
  }

  /**
   * Authenticates the request (a key in `Authorization`: the raw key or its custom name; or, on a
   * JWT API, a Bearer JWT — see `jwtSession`), applies the session's policies (the key's org, else
   * the API's), checks access rights, path rights (`allowed_urls`), GraphQL type rights, expiry,
   * inactivity, the rate limit (sliding log: 429 "Rate Limit Exceeded") and the quota (counter
   * per window: 403 "Quota exceeded"), then answers from an echo upstream with the X-RateLimit-*
   * quota headers.
   */
  private proxy(
    api: TestApi,
    method: string,
    authorization: string | undefined,
    path: string,
    body: unknown,
  ): [number, Json, Record<string, string>] {
    this.lastProxyKey = null;
    const denied = (status: number, error: string): [number, Json, Record<string, string>] => [status, { error }, {}];
    if (!authorization) return denied(401, 'Authorization field missing');
    const orgId = api.orgId ?? this.orgId;
    const loaded = this.loadedApis.get(api.apiId);
    const jwt = loaded ? this.jwtSettings(loaded) : null;
    let hash: string;
    let session: Json;
    if (jwt) {
      const outcome = this.jwtSession(jwt, authorization.replace(/^Bearer\s+/i, ''), orgId);
      if ('error' in outcome) return denied(outcome.status, outcome.error);
      ({ hash, session } = outcome);
      this.lastProxyKey = { hash, session };
    } else {
      const key = this.findKey(authorization.replace(/^Bearer\s+/i, ''), false, orgId);
      if (!key) return denied(403, 'Access to this API has been disallowed');
      const stored = key.session.org_id ? key.session : { ...key.session, org_id: orgId };
      const applied = this.applyPolicies(stored);
      hash = key.hash;
      session = applied.session;
      this.lastProxyKey = { hash: key.hash, session };
      if (applied.requested.length && !applied.found.length) return denied(403, 'Access to this API has been disallowed');
    }
    const rights = session.access_rights?.[api.apiId];
    if (!rights) return denied(403, 'Access to this API has been disallowed');
    // Path rights (Tyk's GranularAccessMiddleware, default legacy matching): the first entry whose
    // methods include the request's and whose url regex matches the full request path lets it
    // through; none → 403.
    const allowed: Json[] = rights.allowed_urls ?? [];
    if (allowed.length && !allowed.some((spec) => (spec.methods ?? []).includes(method) && safeRegex(spec.url)?.test(path))) {
      return denied(403, 'Access to this resource has been disallowed');
    }
    if (api.graphqlSchema) {
      const problem = this.graphqlDenied(api.graphqlSchema, rights, body);
      if (problem) return [problem.status, { errors: [{ message: problem.message }] }, {}];
    }
    const key = { hash };
    const nowMs = this.now();
    const nowSeconds = Math.floor(nowMs / 1000);
    if ((session.expires ?? 0) > 0 && session.expires < nowSeconds) return denied(401, 'Key has expired, please renew');
    if (session.is_inactive) return denied(403, 'Key is inactive, please renew');
    const counter = this.counterId(key.hash, session);

    const rate = session.rate ?? 0;
    const per = session.per ?? 0;
    if (rate > 0 && per > 0) {
      const windowStart = nowMs - per * 1000;
      const log = (this.rateLog.get(counter) ?? []).filter((at) => at > windowStart);
      if (log.length >= rate) {
        this.rateLog.set(counter, log);
        return denied(429, 'Rate Limit Exceeded');
      }
      log.push(nowMs);
      this.rateLog.set(counter, log);
    }

    const quotaMax = session.quota_max ?? 0;
    const renewal = session.quota_renewal_rate ?? 0;
    let remaining = -1;
    let renews = 0;
    if (quotaMax > 0) {
      renews = this.quotaRenews.get(counter) ?? 0;
      if (renewal > 0 && (renews === 0 || renews <= nowSeconds)) {
        // The window starts at the first request after the previous one expired.
        if (renews !== 0) this.quotaCounters.set(counter, 0);
        renews = nowSeconds + renewal;
        this.quotaRenews.set(counter, renews);
      }
      const used = (this.quotaCounters.get(counter) ?? 0) + 1;
      this.quotaCounters.set(counter, used);
      if (used - 1 >= quotaMax) return denied(403, 'Quota exceeded');
      remaining = Math.max(0, quotaMax - used);
    }
    const headers: Record<string, string> =
      quotaMax > 0
        ? { 'x-ratelimit-limit': String(quotaMax), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(renews) }
        : {};
    return [200, { ok: true, api_id: api.apiId, method }, headers];
  }

  /**
   * A JWT session as Tyk's JWT middleware (`gateway/mw_jwt.go`, centralised secret) builds it: the
   * token is verified with the definition's `source` (HMAC secret or RSA public key, base64) for
   * its signing method (`hmac` → HS256/384/512, `rsa` → RS256) and `exp`; the identity claim
   * (`identityBaseField`, default `sub`) names the session; with a scope mapping, the scope
   * claim's values (space-separated string or array) select the policies and the default
   * policies are NOT used; no match → 403 (since 5.11 no default policy is needed); without
   * scopes the default policies apply. Policies that give no access rights → 403, like Tyk's
   * policy apply ("key has no valid policies to be applied").
   */
  private jwtSession(jwt: JwtSettings, token: string, orgId: string): { hash: string; session: Json } | { status: number; error: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { status: 400, error: 'Authorization field missing' };
    let header: Json;
    let claims: Json;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    } catch {
      return { status: 403, error: 'Key not authorized' };
    }
    const secret = Buffer.from(jwt.source, 'base64').toString('utf8');
    const signed = `${parts[0]}.${parts[1]}`;
    const signature = Buffer.from(parts[2], 'base64url');
    let valid = false;
    const alg = String(header.alg ?? '');
    if (jwt.signingMethod === 'hmac' && /^HS(256|384|512)$/.test(alg)) {
      const expected = createHmac(`sha${alg.slice(2)}`, secret)
        .update(signed)
        .digest();
      valid = expected.length === signature.length && expected.equals(signature);
    } else if (jwt.signingMethod === 'rsa' && alg === 'RS256') {
      try {
        valid = createVerify('RSA-SHA256').update(signed).verify(secret, signature);
      } catch {
        valid = false;
      }
    }
    if (!valid) return { status: 403, error: 'Key not authorized' };
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof claims.exp === 'number' && claims.exp < nowSeconds) return { status: 401, error: 'Key not authorized: Token is expired' };
    const identity = claims[jwt.identityBaseField] ?? claims.sub;
    if (typeof identity !== 'string' || !identity) return { status: 403, error: 'Key not authorized: no suitable identity claim' };
    const hash = `jwt-${createHash('md5').update(identity).digest('hex')}`;
    let policies: string[] = [...jwt.defaultPolicies];
    const mapping = jwt.scopeToPolicy;
    if (Object.keys(mapping).length) {
      const raw = jwt.scopeClaimName.split('.').reduce((node: any, name) => node?.[name], claims);
      const scopes: string[] =
        typeof raw === 'string'
          ? raw.split(' ').filter(Boolean)
          : Array.isArray(raw)
            ? raw.flatMap((v) => (typeof v === 'string' ? v.split(' ') : [])).filter(Boolean)
            : [];
      if (scopes.length) {
        policies = [...new Set(scopes.filter((scope) => mapping[scope]).map((scope) => mapping[scope]))];
        if (!policies.length) return { status: 403, error: 'key not authorized: no matching policy found in scope claim' };
      }
    }
    if (!policies.length) return { status: 403, error: 'key not authorized: no matching policy found' };
    const { session, found } = this.applyPolicies({
      org_id: orgId,
      apply_policies: policies,
      meta_data: { TykJWTSessionID: hash },
      alias: identity,
    });
    if (!found.length || !session.access_rights || !Object.keys(session.access_rights).length) {
      return { status: 403, error: 'key not authorized: could not apply several policies' };
    }
    if (typeof claims.exp === 'number' && claims.exp > (session.expires ?? 0)) session.expires = claims.exp;
    return { hash, session };
  }

  private graphqlSchemas = new Map<string, GraphQLSchema>();

  /**
   * GraphQL field rights (Tyk's GraphQL granular access): `allowed_types` (when set) is an allow
   * list, else `restricted_types` a block list, of `{ name: <type>, fields: [...] }`. A query
   * touching a field outside them is refused with 400 and a GraphQL error.
   */
  private graphqlDenied(sdl: string, rights: Json, body: unknown): { status: number; message: string } | null {
    const allowedTypes: Json[] = rights.allowed_types ?? [];
    const restrictedTypes: Json[] = rights.restricted_types ?? [];
    const text = (body as Json | undefined)?.query;
    if (typeof text !== 'string')
      return allowedTypes.length || restrictedTypes.length ? { status: 400, message: 'no GraphQL query in the request' } : null;
    if (!allowedTypes.length && !restrictedTypes.length) return null;
    let schema = this.graphqlSchemas.get(sdl);
    if (!schema) {
      schema = buildSchema(sdl);
      this.graphqlSchemas.set(sdl, schema);
    }
    const listed = (types: Json[], type: string, field: string) => types.some((t) => t.name === type && (t.fields ?? []).includes(field));
    let problem: string | null = null;
    const typeInfo = new TypeInfo(schema);
    try {
      visit(
        parse(text),
        visitWithTypeInfo(typeInfo, {
          Field: (node) => {
            const parent = typeInfo.getParentType();
            if (!parent || problem || node.name.value.startsWith('__')) return;
            const type = getNamedType(parent).name;
            const field = node.name.value;
            const refused = allowedTypes.length ? !listed(allowedTypes, type, field) : listed(restrictedTypes, type, field);
            if (refused) problem = `field: ${field} is restricted on type: ${type}`;
          },
        }),
      );
    } catch (error) {
      return { status: 400, message: String((error as Error).message) };
    }
    return problem ? { status: 400, message: problem } : null;
  }

  private recordAnalytics(api: TestApi, req: http.IncomingMessage, path: string, status: number, started: number): void {
    const at = new Date(started);
    const key = this.lastProxyKey;
    const session = key?.session ?? {};
    const orgId = api.orgId ?? this.orgId;
    const tags = new Set<string>();
    for (const policyId of session.apply_policies ?? []) tags.add(`pol-${policyId}`);
    if (session.meta_data?.tyk_developer_id) tags.add(`dev-${session.meta_data.tyk_developer_id}`);
    for (const tag of session.tags ?? []) tags.add(tag);
    if (key) tags.add(`key-${key.hash}`);
    tags.add(`org-${orgId}`);
    tags.add(`api-${api.apiId}`);
    const row: AnalyticsRow = {
      method: req.method ?? 'GET',
      host: 'echo.upstream.test',
      path: path.slice(api.listenPath.length - 1) || '/',
      rawpath: path,
      contentlength: Number(req.headers['content-length'] ?? 0),
      useragent: String(req.headers['user-agent'] ?? ''),
      day: at.getUTCDate(),
      month: at.getUTCMonth() + 1,
      year: at.getUTCFullYear(),
      hour: at.getUTCHours(),
      responsecode: status,
      apikey: key?.hash ?? '00000000',
      timestamp: at.toISOString(),
      apiversion: 'Default',
      apiname: api.name ?? api.apiId,
      apiid: api.apiId,
      orgid: orgId,
      oauthid: '',
      requesttime: Math.max(0, this.now() - started),
      ipaddress: req.socket.remoteAddress ?? '',
      tags: [...tags],
      alias: typeof session.alias === 'string' ? session.alias : '',
      trackpath: false,
    };
    this.analytics.push(row);
    void Promise.resolve(this.onAnalytics?.(row)).catch(() => undefined);
  }

  /** Schema problems of a body (`null` when it is acceptable). */
  private invalid(schema: ObjectSchema, body: unknown): string[] | null {
    const problems = validateTykObject(schema, body, { strict: this.strict });
    return problems.length ? problems : null;
  }

  // ---------------------------------------------------------------- gateway

  private gateway(method: string, path: string, query: Record<string, string>, body: unknown, malformed: boolean): [number, unknown] {
    const error = (status: number, message: string): [number, unknown] => [status, { status: 'error', message }];
    const parts = path.split('/').slice(2).map(decodeURIComponent); // after '/tyk'
    const [resource, ...rest] = parts;

    if (resource === 'reload') {
      if (method !== 'GET') return error(405, 'Method not supported');
      if (rest[0] === 'group') {
        setTimeout(() => this.reload(), this.groupReloadDelayMs).unref();
        return [200, { status: 'ok', message: '' }];
      }
      this.reload();
      return [200, { status: 'ok', message: '' }];
    }

    if (resource === 'apis') return this.gatewayApis(method, rest, body, malformed);

    if (resource === 'policies') {
      const id = rest.join('/');
      if (method === 'GET') {
        if (!id) return [200, [...this.loadedPolicies.values()].map(policyJson)];
        const policy = this.loadedPolicies.get(id);
        return policy ? [200, policyJson(policy)] : error(404, 'Policy not found');
      }
      if (method === 'POST' || method === 'PUT') {
        if (malformed || this.invalid(POLICY, body)) return error(400, 'Request malformed');
        const policy = clone(body as Json);
        if (method === 'PUT') {
          if (!id) return error(400, 'Must specify an apiID to update');
          if (policy.id !== id) return error(400, 'Request ID does not match that in policy! For Update operations these must match.');
        }
        if (!policy.id && typeof policy._id === 'string' && OBJECT_ID.test(policy._id)) policy.id = policy._id;
        if (!policy.id) return error(400, 'Unable to create policy without id.');
        if (!POLICY_ID.test(policy.id)) return error(400, 'Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~');
        this.policyFiles.set(policy.id, policy);
        return [200, { key: policy.id, status: 'ok', action: method === 'POST' ? 'added' : 'modified' }];
      }
      if (method === 'DELETE') {
        if (!id || !this.policyFiles.has(id)) return error(500, 'Delete failed');
        this.policyFiles.delete(id);
        return [200, { key: id, status: 'ok', action: 'deleted' }];
      }
      return error(405, 'Method not supported');
    }

    if (resource === 'keys') {
      if (rest[0] === 'policy' && rest.length === 2) {
        if (method !== 'POST') return error(405, 'Method not supported');
        if (malformed || this.invalid(POLICY_UPDATE, body)) return error(400, "Couldn't decode instruction");
        const key = this.keys.get(rest[1]);
        if (!key) return error(404, 'Key not found');
        const instruction = body as Json;
        const policies = [...(instruction.apply_policies ?? [])];
        if (instruction.policy) policies.push(instruction.policy);
        key.session.apply_policies = policies;
        return [200, { key: rest[1], status: 'ok', action: 'updated' }];
      }
      if (rest.length === 0) {
        if (method === 'GET') return error(404, 'Hashed key listing is disabled in config (enable_hashed_keys_listing)');
        if (method === 'POST') return this.createKey(null, body, malformed, 'gateway');
        return error(405, 'Method not supported');
      }
      const id = rest.join('/');
      const byHash = query.hashed !== undefined && query.hashed !== '';
      if (method === 'POST') return this.createKey(id, body, malformed, 'gateway');
      if (method === 'GET') {
        const key = this.findKey(id, byHash, query.org_id);
        return key ? [200, this.sessionView(key)] : error(404, 'Key not found');
      }
      if (method === 'PUT') {
        if (malformed || this.invalid(SESSION_STATE, body)) return error(400, 'Request malformed');
        const key = this.findKey(id, byHash, query.org_id);
        if (!key) return error(404, 'Key is not found');
        this.replaceSession(key, body as Json, query.suppress_reset === '1');
        return [200, { key: id, status: 'ok', action: 'modified', ...(byHash ? {} : { key_hash: key.hash }) }];
      }
      if (method === 'DELETE') {
        const key = this.findKey(id, byHash, query.org_id);
        if (!key) return error(404, 'There is no such key found');
        this.keys.delete(key.hash);
        this.quotaCounters.delete(key.hash);
        return [200, { key: id, status: 'ok', action: 'deleted' }];
      }
      return error(405, 'Method not supported');
    }
    return [404, { status: 'error', message: 'Not found' }];
  }

  private reload(): void {
    this.reloads += 1;
    this.loadedPolicies.clear();
    for (const [id, policy] of this.policyFiles) this.loadedPolicies.set(id, clone(policy));
    this.loadedApis.clear();
    for (const [id, api] of this.apiFiles) this.loadedApis.set(id, clone(api));
  }

  /**
   * `/tyk/apis` (Tyk Classic) and `/tyk/apis/oas` (Tyk OAS), as Tyk Gateway's `gateway/api.go`
   * handles them: reads answer from the loaded definitions; writes go to "files" and take effect
   * on the next reload; a classic route refuses an OAS API and the other way round; the id in the
   * body must equal the one in the path.
   */
  private gatewayApis(method: string, rest: string[], body: unknown, malformed: boolean): [number, unknown] {
    const error = (status: number, message: string): [number, unknown] => [status, { status: 'error', message }];
    const oas = rest[0] === 'oas';
    const id = (oas ? rest.slice(1) : rest).join('/');
    if (method === 'GET') {
      if (!id)
        return [
          200,
          [...this.loadedApis.values()].filter((a) => a.oas === oas || !oas).map((a) => (oas ? clone(a.definition) : this.classicView(a))),
        ];
      const stored = this.loadedApis.get(id);
      if (!stored) return error(404, 'API not found');
      if (oas && !stored.oas) return error(400, 'the requested API definition is in Tyk classic format, please use old api endpoint');
      return [200, oas ? clone(stored.definition) : this.classicView(stored)];
    }
    if (method === 'PUT' || method === 'POST') {
      if (malformed || !body || typeof body !== 'object' || Array.isArray(body)) return error(400, 'Request malformed');
      const definition = clone(body as Json);
      const bodyId: unknown = oas ? definition['x-tyk-api-gateway']?.info?.id : definition.api_id;
      if (oas && !definition['x-tyk-api-gateway']) return error(400, 'the payload should contain x-tyk-api-gateway');
      if (method === 'PUT') {
        if (!id) return error(400, 'Must specify an apiID to update');
        if (bodyId !== id) return error(400, 'Request APIID does not match that in Definition! For Update operations these must match.');
        const existing = this.apiFiles.get(id);
        if (!existing) return error(404, 'API not found');
        if (existing.oas && !oas) return error(400, 'The API is in Tyk OAS format, please use the /tyk/apis/oas endpoint');
        if (!existing.oas && oas) return error(400, 'the requested API definition is in Tyk classic format, please use old api endpoint');
      }
      const apiId = typeof bodyId === 'string' && bodyId ? bodyId : randomBytes(16).toString('hex');
      if (oas) definition['x-tyk-api-gateway'].info.id = apiId;
      else definition.api_id = apiId;
      this.apiFiles.set(apiId, { oas, definition });
      return [200, { key: apiId, status: 'ok', action: method === 'POST' ? 'added' : 'modified' }];
    }
    return error(405, 'Method not supported');
  }

  // ---------------------------------------------------------------- keys (shared by both APIs)

  private hashKey(token: string): string {
    return createHash('sha256').update(token).digest('hex').slice(0, 16);
  }

  /** `generateToken` with `hash_key_function: murmur64`: base64 of {"org","id","h"}. */
  private token(orgId: string, keyId: string): string {
    return Buffer.from(JSON.stringify({ org: orgId, id: keyId, h: 'murmur64' })).toString('base64');
  }

  private findKey(id: string, byHash: boolean, orgId?: string): StoredKey | undefined {
    if (byHash) return this.keys.get(id);
    const direct = this.keys.get(this.hashKey(id));
    if (direct) return direct;
    // A raw custom name is looked up through the org's generated token.
    for (const org of [orgId, ...this.orgsSeen]) {
      if (org === undefined) continue;
      const found = this.keys.get(this.hashKey(this.token(org, id)));
      if (found) return found;
    }
    return undefined;
  }

  /** The loaded policy `id` as a key of `orgId` finds it (5.12+: indexed by org and id). */
  private findPolicy(id: string, orgId: string | undefined): Json | undefined {
    const policy = this.loadedPolicies.get(id);
    if (!policy) return undefined;
    if (orgId && policy.org_id && policy.org_id !== orgId) return undefined;
    return policy;
  }

  /** Applies the key's policies in memory (partitions, most permissive merge, tags, metadata). */
  private applyPolicies(session: Json): { session: Json; found: Json[]; requested: string[] } {
    const s = clone(session);
    const requested: string[] = s.apply_policies?.length ? [...s.apply_policies] : s.apply_policy_id ? [s.apply_policy_id] : [];
    const found = requested.map((id) => this.findPolicy(id, s.org_id)).filter((p): p is Json => Boolean(p));
    if (!found.length) return { session: s, found, requested };
    let rights: Json | null = null;
    let quota: { max: number; renewal: number } | null = null;
    let rate: { rate: number; per: number } | null = null;
    const tags = new Set<string>(s.tags ?? []);
    const meta: Json = { ...(s.meta_data ?? {}) };
    let inactive = false;
    for (const policy of found) {
      const p = policy.partitions ?? {};
      const partitioned = Boolean(p.quota || p.rate_limit || p.acl || p.complexity);
      if (!partitioned || p.acl) {
        // Tyk merges the ACLs of every policy for the same API (see ./merge.ts).
        rights = { ...(rights ?? {}) };
        for (const [apiId, definition] of Object.entries(policy.access_rights ?? {}))
          rights[apiId] = mergeAccessDefinition(rights[apiId], definition as Json);
      }
      if (!partitioned || p.quota) {
        const max = policy.quota_max ?? 0;
        const renewal = policy.quota_renewal_rate ?? 0;
        if (!quota) quota = { max, renewal };
        else quota = { max: quota.max === -1 || max === -1 ? -1 : Math.max(quota.max, max), renewal: Math.max(quota.renewal, renewal) };
      }
      if (!partitioned || p.rate_limit) {
        const candidate = { rate: policy.rate ?? 0, per: policy.per ?? 0 };
        if (!rate) rate = candidate;
        else if (candidate.rate === -1) rate = candidate;
        else if (rate.rate !== -1 && candidate.per > 0 && (rate.per <= 0 || candidate.rate / candidate.per > rate.rate / rate.per))
          rate = candidate;
      }
      for (const tag of policy.tags ?? []) tags.add(tag);
      Object.assign(meta, policy.meta_data ?? {});
      if (policy.is_inactive) inactive = true;
    }
    if (rights) s.access_rights = rights;
    if (quota) {
      s.quota_max = quota.max;
      s.quota_renewal_rate = quota.renewal;
    }
    if (rate) {
      s.rate = rate.rate;
      s.per = rate.per;
      s.allowance = rate.rate;
    }
    s.tags = [...tags];
    s.meta_data = meta;
    if (inactive) s.is_inactive = true;
    return { session: s, found, requested };
  }

  private keyExpiresIn(found: Json[]): number {
    let seconds = 0;
    for (const policy of found) if ((policy.key_expires_in ?? 0) > 0) seconds = policy.key_expires_in;
    return seconds;
  }

  private createKey(customId: string | null, body: unknown, malformed: boolean, api: 'gateway' | 'dashboard'): [number, unknown] {
    const error = (status: number, message: string): [number, unknown] =>
      api === 'gateway' ? [status, { status: 'error', message }] : [status, { Status: 'Error', Message: message, Meta: null }];
    if (malformed || this.invalid(SESSION_STATE, body))
      return api === 'gateway' ? error(400, 'Request malformed') : error(403, 'Request body malformed.');
    if (customId !== null && customId.length < this.minTokenLength) {
      return error(400, `Custom key is too short: it must be at least ${this.minTokenLength} characters long`);
    }
    const session = clone(body as Json);
    const orgId: string = session.org_id ?? '';
    if (orgId) this.orgsSeen.add(orgId);
    const applied = this.applyPolicies(session);
    const rights = applied.session.access_rights;
    if (!rights || Object.keys(rights).length === 0) return error(500, 'Failed to create key, ensure security settings are correct.');
    const token = this.token(orgId, customId ?? randomUUID().replace(/-/g, ''));
    const hash = this.hashKey(token);
    const nowSeconds = Math.floor(this.now() / 1000);
    const expiresIn = this.keyExpiresIn(applied.found);
    if (expiresIn > 0) session.expires = nowSeconds + expiresIn;
    else if ((session.expires ?? 0) > 0 && session.expires < nowSeconds) session.expires = 0;
    session.date_created = new Date(this.now()).toISOString();
    session.last_updated = String(nowSeconds);
    const renewal = applied.session.quota_renewal_rate ?? 0;
    session.quota_renews = renewal > 0 ? nowSeconds + renewal : 0;
    const key: StoredKey = { token, hash, session };
    this.keys.set(hash, key);
    this.quotaCounters.set(hash, 0); // the counter is reset on create
    if (api === 'gateway') return [200, { key: token, status: 'ok', action: 'added', key_hash: hash }];
    return [200, { key_id: token, key_hash: hash, data: this.sessionView(key), api_model: {} }];
  }

  /** Full replace: only date_created (and expires, if the new one is in the past) survive. */
  private replaceSession(key: StoredKey, body: Json, suppressReset: boolean): void {
    const previous = key.session;
    const session = clone(body);
    const nowSeconds = Math.floor(this.now() / 1000);
    session.date_created = previous.date_created;
    if ((session.expires ?? 0) > 0 && session.expires < nowSeconds) session.expires = previous.expires;
    if (suppressReset) {
      session.quota_renews = previous.quota_renews;
      session.last_updated = previous.last_updated;
    } else {
      const renewal = this.applyPolicies(session).session.quota_renewal_rate ?? 0;
      session.quota_renews = renewal > 0 ? nowSeconds + renewal : 0;
      session.last_updated = String(nowSeconds);
      this.quotaCounters.set(key.hash, 0);
    }
    key.session = session;
  }

  /** `GET key`: stored session with policies applied in memory and `quota_remaining` computed. */
  private sessionView(key: StoredKey): Json {
    const { session } = this.applyPolicies(key.session);
    const max = session.quota_max ?? 0;
    const counter = this.counterId(key.hash, session);
    if (max !== -1) session.quota_remaining = Math.max(0, max - (this.quotaCounters.get(counter) ?? 0));
    const renews = this.quotaRenews.get(counter);
    if (renews) session.quota_renews = renews;
    return omitZero(session);
  }

  // ---------------------------------------------------------------- dashboard

  private dashboard(method: string, path: string, query: Record<string, string>, body: unknown, malformed: boolean): [number, unknown] {
    const error = (status: number, message: string): [number, unknown] => [status, { Status: 'Error', Message: message, Meta: null }];
    const parts = path.split('/').slice(2).map(decodeURIComponent); // after '/api'

    if (parts[0] === 'portal' && parts[1] === 'policies') {
      const id = parts.slice(2).join('/');
      if (method === 'GET' && !id) {
        const all = [...this.loadedPolicies.values()].map(policyJson);
        const page = Number(query.p ?? '1');
        if (!Number.isFinite(page) || page <= 0) return [200, { Data: all, Pages: 1 }];
        const size = 10;
        return [200, { Data: all.slice((page - 1) * size, page * size), Pages: Math.max(1, Math.ceil(all.length / size)) }];
      }
      if (method === 'GET') {
        const policy = this.dashboardPolicy(id);
        return policy ? [200, policyJson(policy)] : error(404, 'Could not retrieve portal object.');
      }
      if (method === 'POST' && !id) {
        if (malformed || this.invalid(POLICY, body)) return error(403, 'Request body malformed.');
        const policy = clone(body as Json);
        policy._id = randomBytes(12).toString('hex');
        policy.id ||= policy._id;
        if (!POLICY_ID.test(policy.id)) return error(400, 'Invalid Policy ID: Allowed characters: a-z, A-Z, 0-9, ., _, -, ~');
        if (this.loadedPolicies.has(policy.id)) return error(400, 'A policy with this ID already exists.');
        if (this.nameTaken(policy.name, policy.id)) return error(400, 'This policy name has already been used, please use a unique name.');
        this.putPolicyDirect(policy);
        return [200, { Status: 'OK', Message: policy.id, Meta: null }];
      }
      if (method === 'PUT' && id) {
        if (malformed || this.invalid(POLICY, body)) return error(403, 'Request body malformed.');
        const existing = this.dashboardPolicy(id);
        if (!existing) return error(404, 'Could not retrieve portal object.');
        const policy = clone(body as Json);
        policy.id = existing.id;
        policy._id = existing._id;
        if (this.nameTaken(policy.name, policy.id)) return error(400, 'This policy name has already been used, please use a unique name.');
        this.putPolicyDirect(policy);
        return [200, { Status: 'OK', Message: 'Data updated', Meta: null }];
      }
      if (method === 'DELETE' && id) {
        const existing = this.dashboardPolicy(id);
        if (!existing) return error(404, 'Could not retrieve object for deletion');
        this.deletePolicyDirect(existing.id);
        return [200, { Status: 'OK', Message: 'Data deleted', Meta: null }];
      }
      return error(405, 'Method not supported');
    }

    if (parts[0] === 'apis') {
      // Dashboard: classic `GET/PUT /api/apis/{id}` wrap the definition in `api_definition`;
      // `GET/PUT /api/apis/oas/{id}` carry the OAS document. Writes are live (the Dashboard tells its gateways).
      const oas = parts[1] === 'oas';
      const id = (oas ? parts.slice(2) : parts.slice(1)).join('/');
      const stored = this.loadedApis.get(id);
      if (!id) return error(405, 'Method not supported');
      if (!stored) return error(404, 'API not found');
      if (method === 'GET' && !oas)
        return [200, { api_definition: this.classicView(stored), hook_references: [], is_site: false, sort_by: 0 }];
      if (oas !== stored.oas) return error(400, oas ? 'API is not an OAS API' : 'API is an OAS API: use /api/apis/oas');
      if (method === 'GET') return [200, clone(stored.definition)];
      if (method === 'PUT') {
        const definition = oas ? (body as Json) : (body as Json)?.api_definition;
        if (malformed || !definition || typeof definition !== 'object') return error(400, 'Request malformed');
        const bodyId = oas ? definition['x-tyk-api-gateway']?.info?.id : definition.api_id;
        if (bodyId !== id) return error(400, 'API ID in the body does not match the one in the path');
        this.putApiDirect(id, { oas, definition: clone(definition) });
        return [200, { Status: 'OK', Message: 'API modified', Meta: null }];
      }
      return error(405, 'Method not supported');
    }

    if (parts[0] === 'keys') {
      const id = parts.slice(1).join('/');
      const byHash = query.hashed !== undefined && query.hashed !== '';
      if (method === 'POST') return this.createKey(id || null, body, malformed, 'dashboard');
      if (!id) return error(405, 'Method not supported');
      const key = this.findKey(id, byHash, query.org_id);
      if (method === 'GET')
        return key
          ? [200, { key_id: byHash ? key.hash : id, key_hash: key.hash, data: this.sessionView(key), api_model: {} }]
          : error(404, 'Could not retrieve key detail.');
      if (method === 'PUT') {
        if (malformed || this.invalid(SESSION_STATE, body)) return error(403, 'Request body malformed.');
        if (!key) return error(404, 'Could not retrieve key detail.');
        this.replaceSession(key, body as Json, query.suppress_reset === '1');
        return [200, { key_id: byHash ? key.hash : id, key_hash: key.hash, data: this.sessionView(key), api_model: {} }];
      }
      if (method === 'DELETE') {
        if (!key) return error(404, 'Could not retrieve key detail.');
        this.keys.delete(key.hash);
        this.quotaCounters.delete(key.hash);
        return [200, { Status: 'OK', Message: 'Key deleted successfully.', Meta: null }];
      }
      return error(405, 'Method not supported');
    }
    return error(404, 'Not found');
  }

  /** A Dashboard policy by `id` (5.12+) or legacy `_id`. */
  private dashboardPolicy(id: string): Json | undefined {
    const byId = this.loadedPolicies.get(id);
    if (byId) return byId;
    for (const policy of this.loadedPolicies.values()) if (policy._id === id) return policy;
    return undefined;
  }

  private nameTaken(name: unknown, exceptId: string): boolean {
    if (typeof name !== 'string' || !name) return false;
    for (const policy of this.loadedPolicies.values()) if (policy.id !== exceptId && policy.name === name) return true;
    return false;
  }
}
