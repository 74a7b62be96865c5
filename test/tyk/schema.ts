/**
 * The project's own schema of the Tyk objects provider sync exchanges (Policy, SessionState and
 * their parts), written from Tyk's Go structs `user.Policy`, `user.SessionState` and
 * `user.AccessDefinition` (Tyk Gateway's `user/policy.go` and `user/session.go`) and checked against
 * the vendored OpenAPI file by `./contract.test.ts`.
 * The Tyk test server checks every request body with it, the way Tyk's Go JSON decoding does:
 * a value of the wrong JSON type (a string for `rate`, `1.5` for an int64 such as `quota_max`)
 * makes the whole body "malformed" (400); `null` leaves a field at its zero value (accepted).
 *
 * Unknown fields: Go ignores them. The test server rejects them too by default (`strict`), which
 * is STRICTER than Tyk, on purpose: a misspelt field name in the provider client would otherwise
 * be silently dropped by a real Tyk and nobody would notice.
 */

export type FieldType =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  /** Any JSON value (free-form `meta_data` values, auth-method blobs we never send). */
  | 'any'
  | { array: FieldType }
  | { map: FieldType }
  | { object: ObjectSchema }
  | { enum: readonly string[] };

export interface ObjectSchema {
  name: string;
  fields: Record<string, FieldType>;
}

const anyObject = { map: 'any' } as const;

export const RATE_LIMIT_SMOOTHING: ObjectSchema = {
  name: 'RateLimitSmoothing',
  fields: { enabled: 'boolean', threshold: 'integer', trigger: 'number', step: 'integer', delay: 'integer' },
};

export const API_LIMIT: ObjectSchema = {
  name: 'APILimit',
  fields: {
    rate: 'number',
    per: 'number',
    throttle_interval: 'number',
    throttle_retry_limit: 'integer',
    max_query_depth: 'integer',
    quota_max: 'integer',
    quota_renews: 'integer',
    quota_remaining: 'integer',
    quota_renewal_rate: 'integer',
    smoothing: { object: RATE_LIMIT_SMOOTHING },
  },
};

export const ACCESS_SPEC: ObjectSchema = { name: 'AccessSpec', fields: { url: 'string', methods: { array: 'string' } } };

export const ACCESS_DEFINITION: ObjectSchema = {
  name: 'AccessDefinition',
  fields: {
    api_id: 'string',
    api_name: 'string',
    versions: { array: 'string' },
    allowed_urls: { array: { object: ACCESS_SPEC } },
    limit: { object: API_LIMIT },
    endpoints: { array: anyObject },
    allowance_scope: 'string',
    restricted_types: { array: anyObject },
    allowed_types: { array: anyObject },
    field_access_rights: { array: anyObject },
    disable_introspection: 'boolean',
  },
};

export const POLICY_PARTITIONS: ObjectSchema = {
  name: 'PolicyPartitions',
  fields: { quota: 'boolean', rate_limit: 'boolean', acl: 'boolean', complexity: 'boolean', per_api: 'boolean' },
};

export const POLICY: ObjectSchema = {
  name: 'Policy',
  fields: {
    _id: 'string',
    id: 'string',
    name: 'string',
    org_id: 'string',
    rate: 'number',
    per: 'number',
    quota_max: 'integer',
    quota_renewal_rate: 'integer',
    throttle_interval: 'number',
    throttle_retry_limit: 'integer',
    max_query_depth: 'integer',
    access_rights: { map: { object: ACCESS_DEFINITION } },
    partitions: { object: POLICY_PARTITIONS },
    active: 'boolean',
    is_inactive: 'boolean',
    key_expires_in: 'integer',
    post_expiry_action: { enum: ['retain', 'delete'] },
    post_expiry_grace_period: 'integer',
    tags: { array: 'string' },
    meta_data: { map: 'any' },
    hmac_enabled: 'boolean',
    enable_http_signature_validation: 'boolean',
    last_updated: 'string',
    smoothing: { object: RATE_LIMIT_SMOOTHING },
    graphql_access_rights: { map: anyObject },
    date_created: 'string',
  },
};

export const SESSION_STATE: ObjectSchema = {
  name: 'SessionState',
  fields: {
    org_id: 'string',
    apply_policies: { array: 'string' },
    apply_policy_id: 'string',
    access_rights: { map: { object: ACCESS_DEFINITION } },
    rate: 'number',
    per: 'number',
    allowance: 'number',
    throttle_interval: 'number',
    throttle_retry_limit: 'integer',
    quota_max: 'integer',
    quota_remaining: 'integer',
    quota_renewal_rate: 'integer',
    quota_renews: 'integer',
    expires: 'integer',
    is_inactive: 'boolean',
    meta_data: { map: 'any' },
    tags: { array: 'string' },
    alias: 'string',
    date_created: 'string',
    last_updated: 'string',
    last_check: 'integer',
    enable_detailed_recording: 'boolean',
    enable_detail_recording: 'boolean',
    hmac_enabled: 'boolean',
    hmac_string: 'string',
    enable_http_signature_validation: 'boolean',
    basic_auth_data: anyObject,
    jwt_data: anyObject,
    certificate: 'string',
    oauth_client_id: 'string',
    oauth_keys: { map: 'string' },
    rsa_certificate_id: 'string',
    mtls_static_certificate_bindings: 'any',
    monitor: { object: { name: 'Monitor', fields: { trigger_limits: { array: 'number' } } } },
    session_lifetime: 'integer',
    post_expiry_action: { enum: ['retain', 'delete'] },
    post_expiry_grace_period: 'integer',
    data_expires: 'integer',
    max_query_depth: 'integer',
    smoothing: { object: RATE_LIMIT_SMOOTHING },
    id_extractor_deadline: 'integer',
  },
};

export const POLICY_UPDATE: ObjectSchema = { name: 'PolicyUpdateObj', fields: { apply_policies: { array: 'string' }, policy: 'string' } };

function describe(type: FieldType): string {
  if (typeof type === 'string') return type;
  if ('array' in type) return `array of ${describe(type.array)}`;
  if ('map' in type) return `object of ${describe(type.map)}`;
  if ('enum' in type) return `one of ${type.enum.join('|')}`;
  return type.object.name;
}

function checkValue(type: FieldType, value: unknown, path: string, strict: boolean, problems: string[]): void {
  // Go's decoder leaves a field at its zero value for JSON null: never an error.
  if (value === null) return;
  const wrong = (): void => {
    problems.push(
      `${path}: expected ${describe(type)}, got ${Array.isArray(value) ? 'array' : typeof value} ${JSON.stringify(value)?.slice(0, 40)}`,
    );
  };
  const expect = (ok: boolean): void => (ok ? undefined : wrong());
  if (type === 'any') return;
  if (type === 'string') return expect(typeof value === 'string');
  if (type === 'boolean') return expect(typeof value === 'boolean');
  if (type === 'number') return expect(typeof value === 'number' && Number.isFinite(value));
  if (type === 'integer') return expect(typeof value === 'number' && Number.isSafeInteger(value));
  if ('enum' in type) return expect(typeof value === 'string' && type.enum.includes(value));
  if ('array' in type) {
    if (!Array.isArray(value)) return wrong();
    value.forEach((item, i) => checkValue(type.array, item, `${path}[${i}]`, strict, problems));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return wrong();
  if ('map' in type) {
    for (const [key, item] of Object.entries(value as Record<string, unknown>))
      checkValue(type.map, item, `${path}.${key}`, strict, problems);
    return;
  }
  checkObject(type.object, value as Record<string, unknown>, path, strict, problems);
}

function checkObject(schema: ObjectSchema, value: Record<string, unknown>, path: string, strict: boolean, problems: string[]): void {
  for (const [key, item] of Object.entries(value)) {
    const field = schema.fields[key];
    if (!field) {
      if (strict) problems.push(`${path}.${key}: unknown ${schema.name} field`);
      continue;
    }
    checkValue(field, item, `${path}.${key}`, strict, problems);
  }
}

/** Problems with `value` as a `schema` object (empty when it is valid). */
export function validateTykObject(schema: ObjectSchema, value: unknown, options: { strict?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`$: expected a ${schema.name} JSON object`];
  checkObject(schema, value as Record<string, unknown>, '$', options.strict ?? true, problems);
  return problems;
}
