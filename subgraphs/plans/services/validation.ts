/**
 * The validation of plan setting inputs, shared by `createPlan`, `updatePlan`, `proposePlanChange`
 * and the provider import: checks every given field against the plan rules (`limits.ts`) and
 * returns it normalized.
 */
import { isUuid } from '../../../common/ids';
import type { Validation } from '../../../common/mutation';
import { CredentialKind, PERIOD_SECONDS, QuotaPeriod, QuotaScope } from '../entities/enums';
import {
  GRAPHQL_NAME_PATTERN,
  HTTP_METHODS,
  MAX_ALLOWANCE,
  MAX_CATALOGS,
  MAX_CUSTOM_PERIOD,
  MAX_DESCRIPTION,
  MAX_DISPLAY_NAME,
  MAX_ENDPOINT_RULES,
  MAX_GRAPHQL_FIELDS,
  MAX_GRAPHQL_TYPES,
  MAX_KEY_EXPIRY,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_VALUE,
  MAX_QUOTA_REQUESTS,
  MAX_RATE_REQUESTS,
  MAX_RATE_WINDOW,
  MAX_RENEWAL,
  MAX_RULE_PATH_LENGTH,
  MAX_RULE_PATHS,
  MAX_SCOPE_LENGTH,
  MAX_SCOPES,
  MAX_TIER,
  MAX_TRIAL_DAYS,
  METADATA_KEY_PATTERN,
  MIN_ALLOWANCE,
  MIN_CUSTOM_PERIOD,
  MIN_KEY_EXPIRY,
  MIN_RENEWAL,
  PLAN_NAME_PATTERN,
  RESERVED_METADATA_KEYS,
  SCOPE_PATTERN,
  SECRET_KEY_PARTS,
} from './limits';
import type { BoostAllowanceSetting, EndpointAccessSetting, EndpointRuleSetting, GraphqlTypeSetting, PlanSettingsData } from './settings';

/** Regular-expression constructs Go's RE2 (Tyk) does not support: lookarounds and backreferences. */
const NOT_RE2 = /\(\?[=!<]|\\[1-9]|\\k</;

const CONTROL = /[\u0000-\u001F\u007F]/;
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** The setting fields of `CreatePlanInput` / `UpdatePlanInput` (undefined = not given). */
export interface SettingsInput {
  name?: string | null;
  displayName?: string | null;
  description?: string | null;
  quota?: { requests: number; period: QuotaPeriod; periodSeconds?: number | null } | null;
  rateLimit?: { requests: number; perSeconds: number } | null;
  quotaScope?: QuotaScope | null;
  keyExpiresAfterSeconds?: number | null;
  jwtScopes?: string[] | null;
  credentialKind?: CredentialKind | null;
  credentialMetadata?: { key: string; value: string }[] | null;
  catalogIds?: string[] | null;
  autoApprove?: boolean | null;
  accessRequestLimit?: { allowance: number; renewalSeconds: number } | null;
  tier?: number | null;
  trialDays?: number | null;
  endpointRules?: EndpointRuleInputShape[] | null;
  boostAllowance?: BoostAllowanceSetting | null;
}

/** The shape of `EndpointRuleInput`. */
export interface EndpointRuleInputShape {
  productId: string;
  allow?: { path: string; methods: string[] }[] | null;
  allowedTypes?: { name: string; fields: string[] }[] | null;
  restrictedTypes?: { name: string; fields: string[] }[] | null;
}

const between = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max;
const fmt = (n: number) => n.toLocaleString('en-US');
const shorten = (s: string, max = 40) => (s.length > max ? `${s.slice(0, max)}…` : s);

/** `["read write", "admin,billing"]` → `read, write, admin, billing` (deduplicated, in order). */
export function splitScopes(entries: readonly string[]): { scopes: string[]; blank: number[] } {
  const scopes: string[] = [];
  const seen = new Set<string>();
  const blank: number[] = [];
  entries.forEach((entry, index) => {
    const parts = entry.split(/[\s,]+/).filter(Boolean);
    if (parts.length === 0) blank.push(index);
    for (const part of parts) {
      if (!seen.has(part)) {
        seen.add(part);
        scopes.push(part);
      }
    }
  });
  return { scopes, blank };
}

/**
 * Checks the given setting fields and returns them normalized. Fields left out (undefined) are
 * not returned; for nullable settings `null` means unset/unlimited; `null` for a required
 * setting is refused.
 */
export function validateSettings(v: Validation, input: SettingsInput, prefix = 'input'): Partial<PlanSettingsData> {
  const out: Partial<PlanSettingsData> = {};
  const f = (name: string) => `${prefix}.${name}`;
  const required = (name: string, what: string) =>
    v.fail(f(name), `${what} cannot be null: give a value, or leave \`${name}\` out to keep the current one.`);

  if (input.name !== undefined) {
    if (input.name === null) required('name', 'The name');
    else {
      const name = input.name.trim();
      v.check(
        PLAN_NAME_PATTERN.test(name),
        f('name'),
        'Give a name of 1 to 100 characters using ASCII letters, digits, spaces, `-` and `_` (e.g. `payments-gold`).',
      );
      out.name = name;
    }
  }
  if (input.displayName !== undefined) {
    if (input.displayName === null) required('displayName', 'The display name');
    else {
      const displayName = input.displayName.trim();
      v.check(
        displayName.length >= 1 && displayName.length <= MAX_DISPLAY_NAME,
        f('displayName'),
        `Give a display name of 1 to ${MAX_DISPLAY_NAME} characters.`,
      );
      v.check(!CONTROL.test(displayName), f('displayName'), 'Remove control characters (line breaks, tabs, …) from the display name.');
      out.displayName = displayName;
    }
  }
  if (input.description !== undefined) {
    const description = input.description ?? '';
    v.check(description.length <= MAX_DESCRIPTION, f('description'), `Keep the description within ${fmt(MAX_DESCRIPTION)} characters.`);
    v.check(
      !CONTROL_EXCEPT_WHITESPACE.test(description),
      f('description'),
      'Remove control characters from the description (tabs and line breaks are fine).',
    );
    out.description = description;
  }
  if (input.quota !== undefined) {
    const quota = input.quota;
    if (quota === null) out.quota = null;
    else {
      v.check(
        between(quota.requests, 1, MAX_QUOTA_REQUESTS),
        f('quota.requests'),
        `Allow between 1 and ${fmt(MAX_QUOTA_REQUESTS)} requests per period, or set \`quota\` to null for unlimited.`,
      );
      let periodSeconds: number;
      if (quota.period === QuotaPeriod.CUSTOM) {
        periodSeconds = quota.periodSeconds ?? NaN;
        v.check(
          between(periodSeconds, MIN_CUSTOM_PERIOD, MAX_CUSTOM_PERIOD),
          f('quota.periodSeconds'),
          `A CUSTOM period needs \`periodSeconds\` between ${MIN_CUSTOM_PERIOD} and ${fmt(MAX_CUSTOM_PERIOD)} (one year).`,
        );
      } else {
        periodSeconds = PERIOD_SECONDS[quota.period];
        v.check(
          quota.periodSeconds === undefined || quota.periodSeconds === null,
          f('quota.periodSeconds'),
          `A ${quota.period} period is ${fmt(periodSeconds)} seconds: leave \`periodSeconds\` out, or choose the CUSTOM period to set seconds yourself.`,
        );
      }
      out.quota = { requests: quota.requests, period: quota.period, periodSeconds };
    }
  }
  if (input.rateLimit !== undefined) {
    const rate = input.rateLimit;
    if (rate === null) out.rateLimit = null;
    else {
      v.check(
        between(rate.requests, 1, MAX_RATE_REQUESTS),
        f('rateLimit.requests'),
        `Allow between 1 and ${fmt(MAX_RATE_REQUESTS)} requests per window, or set \`rateLimit\` to null for unlimited.`,
      );
      v.check(
        between(rate.perSeconds, 1, MAX_RATE_WINDOW),
        f('rateLimit.perSeconds'),
        `Give a window between 1 and ${fmt(MAX_RATE_WINDOW)} seconds (one day).`,
      );
      out.rateLimit = { requests: rate.requests, perSeconds: rate.perSeconds };
    }
  }
  if (input.quotaScope !== undefined) {
    if (input.quotaScope === null) required('quotaScope', 'The quota scope');
    else out.quotaScope = input.quotaScope;
  }
  if (input.keyExpiresAfterSeconds !== undefined) {
    const seconds = input.keyExpiresAfterSeconds;
    if (seconds !== null) {
      v.check(
        between(seconds, MIN_KEY_EXPIRY, MAX_KEY_EXPIRY),
        f('keyExpiresAfterSeconds'),
        `Give a key lifetime between ${MIN_KEY_EXPIRY} seconds and ${fmt(MAX_KEY_EXPIRY)} seconds (5 years), or null for keys that never expire.`,
      );
    }
    out.keyExpiresAfterSeconds = seconds;
  }
  if (input.jwtScopes !== undefined) {
    if (input.jwtScopes === null) required('jwtScopes', 'The JWT scope list');
    else {
      const { scopes, blank } = splitScopes(input.jwtScopes);
      for (const index of blank)
        v.fail(`${f('jwtScopes')}[${index}]`, 'This entry holds no scope: remove it, or give scopes separated by spaces or commas.');
      const bad = scopes.filter((s) => s.length > MAX_SCOPE_LENGTH || !SCOPE_PATTERN.test(s));
      v.check(
        bad.length === 0,
        f('jwtScopes'),
        `These scopes are not valid: ${bad.map((s) => JSON.stringify(shorten(s))).join(', ')}. A scope is 1 to ${MAX_SCOPE_LENGTH} printable ASCII characters without spaces, commas, \`"\` or \`\\\`.`,
      );
      v.check(scopes.length <= MAX_SCOPES, f('jwtScopes'), `A plan maps at most ${MAX_SCOPES} scopes (got ${scopes.length}): remove some.`);
      out.jwtScopes = scopes;
    }
  }
  if (input.credentialKind !== undefined) {
    if (input.credentialKind === null) required('credentialKind', 'The credential kind');
    else out.credentialKind = input.credentialKind;
  }
  if (input.credentialMetadata !== undefined) {
    if (input.credentialMetadata === null) required('credentialMetadata', 'The credential metadata list');
    else {
      const entries = input.credentialMetadata;
      v.check(
        entries.length <= MAX_METADATA_ENTRIES,
        f('credentialMetadata'),
        `Give at most ${MAX_METADATA_ENTRIES} metadata entries (got ${entries.length}).`,
      );
      const seen = new Set<string>();
      const reserved = new Set(RESERVED_METADATA_KEYS.map((k) => k.toLowerCase()));
      entries.forEach((entry, index) => {
        const keyField = `${f('credentialMetadata')}[${index}].key`;
        const lower = entry.key.toLowerCase();
        if (!METADATA_KEY_PATTERN.test(entry.key)) {
          v.fail(keyField, 'Give a key of 1 to 64 characters using ASCII letters, digits, `_`, `.` and `-`.');
        } else if (reserved.has(lower)) {
          v.fail(keyField, `\`${entry.key}\` is set by the platform on every credential: choose another key.`);
        } else if (SECRET_KEY_PARTS.some((part) => lower.includes(part))) {
          v.fail(
            keyField,
            `\`${entry.key}\` looks like a secret. Credential metadata is copied into every credential and shown to admins: never store secrets in it; rename the key if it holds none.`,
          );
        } else if (seen.has(lower)) {
          v.fail(keyField, `The key \`${entry.key}\` is given twice (keys are compared ignoring case): keep one.`);
        }
        seen.add(lower);
        const valueField = `${f('credentialMetadata')}[${index}].value`;
        v.check(entry.value.length <= MAX_METADATA_VALUE, valueField, `Keep metadata values within ${MAX_METADATA_VALUE} characters.`);
        v.check(!CONTROL.test(entry.value), valueField, 'Remove control characters (line breaks, tabs, …) from the value.');
      });
      out.credentialMetadata = entries.map((e) => ({ key: e.key, value: e.value }));
    }
  }
  if (input.catalogIds !== undefined) {
    if (input.catalogIds === null) required('catalogIds', 'The catalog list');
    else {
      const ids = [...new Set(input.catalogIds.map((id) => id.trim().toLowerCase()))];
      const notIds = ids.filter((id) => !isUuid(id));
      v.check(notIds.length === 0, f('catalogIds'), `These are not catalog ids (UUIDs): ${notIds.map((id) => shorten(id)).join(', ')}.`);
      v.check(ids.length <= MAX_CATALOGS, f('catalogIds'), `A plan is in at most ${MAX_CATALOGS} catalogs.`);
      out.catalogIds = ids;
    }
  }
  if (input.autoApprove !== undefined) {
    if (input.autoApprove === null) required('autoApprove', 'autoApprove');
    else out.autoApprove = input.autoApprove;
  }
  if (input.accessRequestLimit !== undefined) {
    const limit = input.accessRequestLimit;
    if (limit === null) out.accessRequestLimit = null;
    else {
      v.check(
        between(limit.allowance, MIN_ALLOWANCE, MAX_ALLOWANCE),
        f('accessRequestLimit.allowance'),
        `Allow between ${MIN_ALLOWANCE} and ${MAX_ALLOWANCE} access requests per interval, or set \`accessRequestLimit\` to null for unlimited.`,
      );
      v.check(
        between(limit.renewalSeconds, MIN_RENEWAL, MAX_RENEWAL),
        f('accessRequestLimit.renewalSeconds'),
        `Give a renewal interval between ${fmt(MIN_RENEWAL)} seconds (one hour) and ${fmt(MAX_RENEWAL)} seconds (one year).`,
      );
      out.accessRequestLimit = { allowance: limit.allowance, renewalSeconds: limit.renewalSeconds };
    }
  }
  if (input.tier !== undefined) {
    if (input.tier === null) required('tier', 'The tier');
    else {
      v.check(between(input.tier, 0, MAX_TIER), f('tier'), `Give a tier between 0 and ${MAX_TIER}.`);
      out.tier = input.tier;
    }
  }
  if (input.trialDays !== undefined) {
    if (input.trialDays !== null) {
      v.check(
        between(input.trialDays, 1, MAX_TRIAL_DAYS),
        f('trialDays'),
        `Give between 1 and ${MAX_TRIAL_DAYS} trial days, or null for no trial.`,
      );
    }
    out.trialDays = input.trialDays;
  }
  if (input.endpointRules !== undefined) {
    if (input.endpointRules === null) required('endpointRules', 'The endpoint rule list');
    else out.endpointRules = validateRules(v, input.endpointRules, f('endpointRules'));
  }
  if (input.boostAllowance !== undefined) {
    const a = input.boostAllowance;
    if (a === null) out.boostAllowance = null;
    else {
      v.check(between(a.maxExtraQuotaPercent, 0, 1000), f('boostAllowance.maxExtraQuotaPercent'), 'Give between 0 and 1000 percent.');
      v.check(between(a.maxExtraRatePercent, 0, 1000), f('boostAllowance.maxExtraRatePercent'), 'Give between 0 and 1000 percent.');
      v.check(
        a.maxExtraQuotaPercent > 0 || a.maxExtraRatePercent > 0,
        f('boostAllowance'),
        'Allow some extra quota or rate, or set `boostAllowance` to null so that only portal admins grant boosts.',
      );
      v.check(
        between(a.maxDurationSeconds, 60, 2_592_000),
        f('boostAllowance.maxDurationSeconds'),
        'Give a longest boost between 60 seconds and 2,592,000 seconds (30 days).',
      );
      v.check(between(a.maxBoosts, 1, 100), f('boostAllowance.maxBoosts'), 'Allow between 1 and 100 boosts per window.');
      v.check(
        between(a.windowSeconds, MIN_RENEWAL, MAX_RENEWAL),
        f('boostAllowance.windowSeconds'),
        `Give a window between ${fmt(MIN_RENEWAL)} seconds (one hour) and ${fmt(MAX_RENEWAL)} seconds (one year).`,
      );
      out.boostAllowance = {
        maxExtraQuotaPercent: a.maxExtraQuotaPercent,
        maxExtraRatePercent: a.maxExtraRatePercent,
        maxDurationSeconds: a.maxDurationSeconds,
        maxBoosts: a.maxBoosts,
        windowSeconds: a.windowSeconds,
      };
    }
  }
  return out;
}

function validateTypes(v: Validation, types: { name: string; fields: string[] }[], field: string): GraphqlTypeSetting[] {
  v.check(types.length <= MAX_GRAPHQL_TYPES, field, `Give at most ${MAX_GRAPHQL_TYPES} types (got ${types.length}).`);
  const seen = new Set<string>();
  const out: GraphqlTypeSetting[] = [];
  types.slice(0, MAX_GRAPHQL_TYPES).forEach((type, index) => {
    const at = `${field}[${index}]`;
    const name = type.name.trim();
    if (!GRAPHQL_NAME_PATTERN.test(name))
      v.fail(
        `${at}.name`,
        'Give a GraphQL type name (letters, digits and `_`, not starting with a digit, at most 128 characters), e.g. `Query`.',
      );
    else if (seen.has(name)) v.fail(`${at}.name`, `The type \`${name}\` is listed twice: list its fields once.`);
    seen.add(name);
    const fields = [...new Set(type.fields.map((x) => x.trim()))];
    v.check(
      fields.length >= 1 && fields.length <= MAX_GRAPHQL_FIELDS,
      `${at}.fields`,
      `Give 1 to ${MAX_GRAPHQL_FIELDS} fields of the type.`,
    );
    const bad = fields.filter((x) => !GRAPHQL_NAME_PATTERN.test(x));
    v.check(
      bad.length === 0,
      `${at}.fields`,
      `These are not GraphQL field names: ${bad
        .slice(0, 5)
        .map((x) => JSON.stringify(shorten(x)))
        .join(', ')}.`,
    );
    out.push({ name, fields });
  });
  return out;
}

/** Checks endpoint rules (premium endpoints): bounded, one rule per product, paths Tyk can match. */
export function validateRules(v: Validation, rules: readonly EndpointRuleInputShape[], field: string): EndpointRuleSetting[] {
  v.check(
    rules.length <= MAX_ENDPOINT_RULES,
    field,
    `A plan has at most ${MAX_ENDPOINT_RULES} endpoint rules, one per product (got ${rules.length}).`,
  );
  const seen = new Set<string>();
  const out: EndpointRuleSetting[] = [];
  rules.slice(0, MAX_ENDPOINT_RULES).forEach((rule, index) => {
    const at = `${field}[${index}]`;
    const productId = rule.productId.trim().toLowerCase();
    if (!isUuid(productId)) v.fail(`${at}.productId`, 'Give a product id (a UUID from `Product.id`).');
    else if (seen.has(productId)) v.fail(`${at}.productId`, 'This product has a rule already: give each product one rule.');
    seen.add(productId);
    const allow = rule.allow ?? [];
    v.check(allow.length <= MAX_RULE_PATHS, `${at}.allow`, `Give at most ${MAX_RULE_PATHS} paths per product (got ${allow.length}).`);
    const paths: EndpointAccessSetting[] = [];
    const seenPaths = new Set<string>();
    allow.slice(0, MAX_RULE_PATHS).forEach((entry, i) => {
      const pathField = `${at}.allow[${i}].path`;
      const path = entry.path.trim();
      let compiles = true;
      try {
        new RegExp(path);
      } catch {
        compiles = false;
      }
      if (path.length < 1 || path.length > MAX_RULE_PATH_LENGTH || !/^\^?\//.test(path)) {
        v.fail(
          pathField,
          `Give a path of 1 to ${MAX_RULE_PATH_LENGTH} characters starting with \`/\` (or \`^/\`), e.g. \`/weather/premium/{id}\` or \`/weather/reports/*\`.`,
        );
      } else if (CONTROL.test(path) || /\s/.test(path)) {
        v.fail(pathField, 'Remove spaces and control characters from the path.');
      } else if (!compiles || NOT_RE2.test(path)) {
        v.fail(
          pathField,
          'The path is matched by Tyk as a regular expression (Go RE2): this one does not compile there (no lookarounds or backreferences; escape other special characters).',
        );
      } else if (seenPaths.has(path)) {
        v.fail(pathField, 'This path is listed twice: list its methods once.');
      }
      seenPaths.add(path);
      const methods = [...new Set(entry.methods.map((m) => m.trim().toUpperCase()))];
      const unknown = methods.filter((m) => !(HTTP_METHODS as readonly string[]).includes(m));
      v.check(methods.length >= 1, `${at}.allow[${i}].methods`, `Give at least one method (${HTTP_METHODS.join(', ')}).`);
      v.check(
        unknown.length === 0,
        `${at}.allow[${i}].methods`,
        `Unknown methods: ${unknown
          .slice(0, 5)
          .map((m) => JSON.stringify(shorten(m, 20)))
          .join(', ')}. Use ${HTTP_METHODS.join(', ')}.`,
      );
      paths.push({ path, methods: HTTP_METHODS.filter((m) => methods.includes(m)) });
    });
    const allowedTypes = validateTypes(v, rule.allowedTypes ?? [], `${at}.allowedTypes`);
    const restrictedTypes = validateTypes(v, rule.restrictedTypes ?? [], `${at}.restrictedTypes`);
    v.check(
      !(allowedTypes.length && restrictedTypes.length),
      `${at}.restrictedTypes`,
      'Give either allowedTypes (only these fields) or restrictedTypes (all but these fields), not both: Tyk applies the allow list alone when both are set.',
    );
    v.check(
      paths.length > 0 || allowedTypes.length > 0 || restrictedTypes.length > 0,
      at,
      'This rule restricts nothing: give paths (`allow`) or GraphQL types, or remove the rule so the plan gets the whole product.',
    );
    out.push({ productId, allow: paths, allowedTypes, restrictedTypes });
  });
  return out;
}
