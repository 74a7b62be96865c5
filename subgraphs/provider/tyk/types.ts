/**
 * The Tyk objects provider sync reads and writes: Tyk's `user.Policy` and `user.SessionState`
 * (Tyk Gateway's `user/policy.go` and `user/session.go`; OpenAPI `Policy` and `SessionState`).
 * Only the fields the portal manages are typed; everything else a provider returns is kept
 * (index signature) so that a GET-modify-PUT never drops it.
 */

/** Which sections of a policy apply to a key (all false = the whole policy applies). */
export interface TykPartitions {
  quota: boolean;
  rate_limit: boolean;
  acl: boolean;
  complexity: boolean;
  per_api: boolean;
}

/** `allowed_urls` entry: a path regex and its methods. */
export interface TykAccessSpec {
  url: string;
  methods: string[];
}

/** `access_rights[apiId]`: which API (and versions / paths) a policy or key grants. */
export interface TykAccessDefinition {
  api_id: string;
  api_name?: string;
  versions?: string[];
  allowed_urls?: TykAccessSpec[];
  /** GraphQL APIs: only these fields (`graphql.Type`: name + fields). */
  allowed_types?: TykGraphqlType[];
  /** GraphQL APIs: all but these fields. */
  restricted_types?: TykGraphqlType[];
  [other: string]: unknown;
}

/** A GraphQL type and some of its fields (Tyk's `graphql.Type`). */
export interface TykGraphqlType {
  name: string;
  fields: string[];
}

/** A Tyk security policy. `-1` means unlimited for rate/per and quota_max/quota_renewal_rate. */
export interface TykPolicy {
  /** Dashboard database id; never set by the portal, kept when Tyk returns it. */
  _id?: string;
  id: string;
  name: string;
  org_id: string;
  rate: number;
  per: number;
  quota_max: number;
  quota_renewal_rate: number;
  throttle_interval: number;
  throttle_retry_limit: number;
  max_query_depth: number;
  access_rights: Record<string, TykAccessDefinition>;
  partitions: TykPartitions;
  key_expires_in: number;
  meta_data: Record<string, unknown>;
  tags: string[];
  active: boolean;
  is_inactive: boolean;
  hmac_enabled: boolean;
  [other: string]: unknown;
}

/**
 * A key's session. Since Tyk 5.12 zero values are omitted from JSON: a missing number is 0 and a
 * missing list or map is empty.
 */
export interface TykSession {
  org_id?: string;
  alias?: string;
  apply_policies?: string[];
  expires?: number;
  meta_data?: Record<string, unknown>;
  tags?: string[];
  access_rights?: Record<string, TykAccessDefinition>;
  rate?: number;
  per?: number;
  quota_max?: number;
  quota_remaining?: number;
  quota_renews?: number;
  quota_renewal_rate?: number;
  is_inactive?: boolean;
  [other: string]: unknown;
}

/**
 * An API definition as the provider holds it: Tyk Classic (`APIDefinition`, `GET /tyk/apis/{id}`)
 * or Tyk OAS (an OpenAPI document with `x-tyk-api-gateway`, `GET /tyk/apis/oas/{id}`). The portal
 * changes only its JWT scope-to-policy mapping and writes the rest back as it was read.
 */
export interface TykApiDefinition {
  apiId: string;
  oas: boolean;
  definition: Record<string, unknown>;
}
