/**
 * Limits of plan settings (the migration's check constraints repeat them): what setting inputs
 * are checked against (`validation.ts`), what the provider import clamps to and what the schema
 * descriptions quote.
 */

export const PLAN_NAME_PATTERN = /^[A-Za-z0-9 _-]{1,100}$/;
export const MAX_DISPLAY_NAME = 120;
export const MAX_DESCRIPTION = 20_000;
export const MAX_QUOTA_REQUESTS = 1_000_000_000;
export const MIN_CUSTOM_PERIOD = 60;
export const MAX_CUSTOM_PERIOD = 31_536_000;
export const MAX_RATE_REQUESTS = 1_000_000;
export const MAX_RATE_WINDOW = 86_400;
export const MIN_KEY_EXPIRY = 60;
export const MAX_KEY_EXPIRY = 157_680_000;
export const MAX_SCOPES = 50;
export const MAX_SCOPE_LENGTH = 128;
/** RFC 6749 scope-token characters (%x21 / %x23-5B / %x5D-7E): printable ASCII except `"` and `\`. */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const MAX_METADATA_ENTRIES = 20;
export const METADATA_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
export const MAX_METADATA_VALUE = 512;
/** Keys that look like secrets: credential metadata is copied into every key and is no secret store. */
export const SECRET_KEY_PARTS = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'api-key',
  'private_key',
  'privatekey',
  'credential',
];
/** Keys the platform writes into every credential itself. */
export const RESERVED_METADATA_KEYS = ['DeveloperID', 'ApplicationID', 'OrganisationID', 'TeamIDs', 'rate_limit_pattern', 'quota_pattern'];
export const MAX_CATALOGS = 100;
export const MIN_ALLOWANCE = 1;
export const MAX_ALLOWANCE = 1000;
export const MIN_RENEWAL = 3_600;
export const MAX_RENEWAL = 31_536_000;
export const MAX_TIER = 1000;
export const MAX_TRIAL_DAYS = 365;
export const MAX_ENDPOINT_RULES = 20;
export const MAX_RULE_PATHS = 50;
export const MAX_RULE_PATH_LENGTH = 255;
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const MAX_GRAPHQL_TYPES = 50;
export const MAX_GRAPHQL_FIELDS = 100;
export const GRAPHQL_NAME_PATTERN = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;

/** A change request's reason (proposal and rejection), in characters. */
export const MAX_REASON = 1000;
