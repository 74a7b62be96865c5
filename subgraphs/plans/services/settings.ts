/**
 * A plan's settings as one value: what `PlanVersion.settings` stores, what `rollbackPlan`
 * restores, and what the version diff compares. The validation of setting inputs is in
 * `validation.ts`.
 */
import { CredentialKind, PlanStatus, QuotaPeriod, QuotaScope } from '../entities/enums';
import type { MetadataEntry, Plan } from '../entities/plan';

export interface QuotaSetting {
  requests: number;
  period: QuotaPeriod;
  periodSeconds: number;
}

export interface RateLimitSetting {
  requests: number;
  perSeconds: number;
}

export interface AccessRequestLimitSetting {
  allowance: number;
  renewalSeconds: number;
}

/** What ORG_ADMINs may grant themselves as temporary quota boosts under the plan. */
export interface BoostAllowanceSetting {
  maxExtraQuotaPercent: number;
  maxExtraRatePercent: number;
  maxDurationSeconds: number;
  maxBoosts: number;
  windowSeconds: number;
}

/** A copy in one fixed key order (so encodings compare equal); null stays null. */
export function copyBoostAllowance(a: BoostAllowanceSetting | null | undefined): BoostAllowanceSetting | null {
  if (!a) return null;
  return {
    maxExtraQuotaPercent: Number(a.maxExtraQuotaPercent),
    maxExtraRatePercent: Number(a.maxExtraRatePercent),
    maxDurationSeconds: Number(a.maxDurationSeconds),
    maxBoosts: Number(a.maxBoosts),
    windowSeconds: Number(a.windowSeconds),
  };
}

/** A path pattern and the HTTP methods allowed on it (Tyk `allowed_urls` entry). */
export interface EndpointAccessSetting {
  path: string;
  methods: string[];
}

/** A GraphQL type and some of its fields (Tyk `allowed_types` / `restricted_types` entry). */
export interface GraphqlTypeSetting {
  name: string;
  fields: string[];
}

/**
 * What credentials under the plan may call on one product's Tyk APIs (premium endpoints): only
 * the `allow` paths (empty = every path) and, for GraphQL APIs, only the `allowedTypes` fields or
 * everything but the `restrictedTypes` fields. Products without a rule are not restricted.
 */
export interface EndpointRuleSetting {
  productId: string;
  allow: EndpointAccessSetting[];
  allowedTypes: GraphqlTypeSetting[];
  restrictedTypes: GraphqlTypeSetting[];
}

/** Every setting of a plan (no id, status, version or timestamps). null = unset/unlimited. */
export interface PlanSettingsData {
  name: string;
  displayName: string;
  description: string;
  quota: QuotaSetting | null;
  rateLimit: RateLimitSetting | null;
  quotaScope: QuotaScope;
  keyExpiresAfterSeconds: number | null;
  jwtScopes: string[];
  credentialKind: CredentialKind;
  credentialMetadata: MetadataEntry[];
  catalogIds: string[];
  autoApprove: boolean;
  accessRequestLimit: AccessRequestLimitSetting | null;
  tier: number;
  trialDays: number | null;
  endpointRules: EndpointRuleSetting[];
  boostAllowance: BoostAllowanceSetting | null;
}

export type SettingKey = keyof PlanSettingsData;

/** Settings in schema order, with the name the diff (`PlanSettingChange.field`) uses. */
export const SETTING_FIELDS: readonly { key: SettingKey; field: string }[] = [
  { key: 'name', field: 'name' },
  { key: 'displayName', field: 'displayName' },
  { key: 'description', field: 'description' },
  { key: 'quota', field: 'quota' },
  { key: 'rateLimit', field: 'rateLimit' },
  { key: 'quotaScope', field: 'quotaScope' },
  { key: 'keyExpiresAfterSeconds', field: 'keyExpiresAfterSeconds' },
  { key: 'jwtScopes', field: 'jwtScopes' },
  { key: 'credentialKind', field: 'credentialKind' },
  { key: 'credentialMetadata', field: 'credentialMetadata' },
  { key: 'catalogIds', field: 'catalogs' },
  { key: 'autoApprove', field: 'autoApprove' },
  { key: 'accessRequestLimit', field: 'accessRequestLimit' },
  { key: 'tier', field: 'tier' },
  { key: 'trialDays', field: 'trialDays' },
  { key: 'endpointRules', field: 'endpointRules' },
  { key: 'boostAllowance', field: 'boostAllowance' },
];

// ---------------------------------------------------------------------------------------------
// Settings ↔ plan rows.

export function settingsOf(plan: Plan): PlanSettingsData {
  return {
    name: plan.name,
    displayName: plan.displayName,
    description: plan.description,
    quota:
      plan.quotaRequests === null || plan.quotaPeriod === null || plan.quotaPeriodSeconds === null
        ? null
        : { requests: plan.quotaRequests, period: plan.quotaPeriod, periodSeconds: plan.quotaPeriodSeconds },
    rateLimit:
      plan.rateRequests === null || plan.ratePerSeconds === null ? null : { requests: plan.rateRequests, perSeconds: plan.ratePerSeconds },
    quotaScope: plan.quotaScope,
    keyExpiresAfterSeconds: plan.keyExpiresAfterSeconds,
    jwtScopes: [...plan.jwtScopes],
    credentialKind: plan.credentialKind,
    credentialMetadata: plan.credentialMetadata.map((e) => ({ key: e.key, value: e.value })),
    catalogIds: [...plan.catalogIds],
    autoApprove: plan.autoApprove,
    accessRequestLimit:
      plan.accessRequestAllowance === null || plan.accessRequestRenewalSeconds === null
        ? null
        : { allowance: plan.accessRequestAllowance, renewalSeconds: plan.accessRequestRenewalSeconds },
    tier: plan.tier,
    trialDays: plan.trialDays,
    endpointRules: copyRules(plan.endpointRules),
    boostAllowance: copyBoostAllowance(plan.boostAllowance),
  };
}

/** A deep copy of endpoint rules in one fixed key order (so encodings compare equal). */
export function copyRules(rules: readonly EndpointRuleSetting[] | null | undefined): EndpointRuleSetting[] {
  return (rules ?? []).map((r) => ({
    productId: r.productId,
    allow: (r.allow ?? []).map((a) => ({ path: a.path, methods: [...a.methods] })),
    allowedTypes: (r.allowedTypes ?? []).map((t) => ({ name: t.name, fields: [...t.fields] })),
    restrictedTypes: (r.restrictedTypes ?? []).map((t) => ({ name: t.name, fields: [...t.fields] })),
  }));
}

/** Writes settings onto a plan row (only the given keys). */
export function applySettings(plan: Plan, settings: Partial<PlanSettingsData>): void {
  if (settings.name !== undefined) plan.name = settings.name;
  if (settings.displayName !== undefined) plan.displayName = settings.displayName;
  if (settings.description !== undefined) plan.description = settings.description;
  if (settings.quota !== undefined) {
    plan.quotaRequests = settings.quota?.requests ?? null;
    plan.quotaPeriod = settings.quota?.period ?? null;
    plan.quotaPeriodSeconds = settings.quota?.periodSeconds ?? null;
  }
  if (settings.rateLimit !== undefined) {
    plan.rateRequests = settings.rateLimit?.requests ?? null;
    plan.ratePerSeconds = settings.rateLimit?.perSeconds ?? null;
  }
  if (settings.quotaScope !== undefined) plan.quotaScope = settings.quotaScope;
  if (settings.keyExpiresAfterSeconds !== undefined) plan.keyExpiresAfterSeconds = settings.keyExpiresAfterSeconds;
  if (settings.jwtScopes !== undefined) plan.jwtScopes = [...settings.jwtScopes];
  if (settings.credentialKind !== undefined) plan.credentialKind = settings.credentialKind;
  if (settings.credentialMetadata !== undefined)
    plan.credentialMetadata = settings.credentialMetadata.map((e) => ({ key: e.key, value: e.value }));
  if (settings.catalogIds !== undefined) plan.catalogIds = [...settings.catalogIds];
  if (settings.autoApprove !== undefined) plan.autoApprove = settings.autoApprove;
  if (settings.accessRequestLimit !== undefined) {
    plan.accessRequestAllowance = settings.accessRequestLimit?.allowance ?? null;
    plan.accessRequestRenewalSeconds = settings.accessRequestLimit?.renewalSeconds ?? null;
  }
  if (settings.tier !== undefined) plan.tier = settings.tier;
  if (settings.trialDays !== undefined) plan.trialDays = settings.trialDays;
  if (settings.endpointRules !== undefined) plan.endpointRules = copyRules(settings.endpointRules);
  if (settings.boostAllowance !== undefined) plan.boostAllowance = copyBoostAllowance(settings.boostAllowance);
}

/**
 * Settings read back from `plan_version.settings` (jsonb reorders object keys), rebuilt in one
 * fixed shape so encodings compare equal.
 */
export function normalizeSettings(json: unknown): PlanSettingsData {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- stored JSON of any past version, read field by field below
  const s = (typeof json === 'string' ? JSON.parse(json) : json) as Record<string, any>;
  const quota = s.quota as QuotaSetting | null;
  const rate = s.rateLimit as RateLimitSetting | null;
  const access = s.accessRequestLimit as AccessRequestLimitSetting | null;
  return {
    name: String(s.name),
    displayName: String(s.displayName),
    description: String(s.description ?? ''),
    quota: quota ? { requests: quota.requests, period: quota.period, periodSeconds: quota.periodSeconds } : null,
    rateLimit: rate ? { requests: rate.requests, perSeconds: rate.perSeconds } : null,
    quotaScope: (s.quotaScope as QuotaScope) ?? QuotaScope.CREDENTIAL,
    keyExpiresAfterSeconds: s.keyExpiresAfterSeconds ?? null,
    jwtScopes: [...((s.jwtScopes as string[]) ?? [])],
    // Versions recorded before the setting existed issued API keys.
    credentialKind: (s.credentialKind as CredentialKind) ?? CredentialKind.API_KEY,
    credentialMetadata: ((s.credentialMetadata as MetadataEntry[]) ?? []).map((e) => ({ key: e.key, value: e.value })),
    catalogIds: [...((s.catalogIds as string[]) ?? [])],
    autoApprove: Boolean(s.autoApprove),
    accessRequestLimit: access ? { allowance: access.allowance, renewalSeconds: access.renewalSeconds } : null,
    tier: Number(s.tier ?? 0),
    trialDays: s.trialDays ?? null,
    endpointRules: copyRules(s.endpointRules as EndpointRuleSetting[] | undefined),
    // Versions recorded before the setting existed had no boost allowance.
    boostAllowance: copyBoostAllowance(s.boostAllowance as BoostAllowanceSetting | null | undefined),
  };
}

export interface SettingChange {
  field: string;
  before: string | null;
  after: string | null;
}

/**
 * The fields that differ between two versions, JSON-encoded (`null` → "null"). With no previous
 * version (CREATED) every field is listed with `before: null`. `status` is listed too when it
 * changed (it is not a setting, but publishing and archiving change it).
 */
export function diffSettings(
  before: { settings: PlanSettingsData; status: PlanStatus } | null,
  after: { settings: PlanSettingsData; status: PlanStatus },
): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const { key, field } of SETTING_FIELDS) {
    const next = JSON.stringify(after.settings[key]);
    if (!before) {
      changes.push({ field, before: null, after: next });
      continue;
    }
    const previous = JSON.stringify(before.settings[key]);
    if (previous !== next) changes.push({ field, before: previous, after: next });
  }
  if (!before || before.status !== after.status) {
    changes.push({ field: 'status', before: before ? JSON.stringify(before.status) : null, after: JSON.stringify(after.status) });
  }
  return changes;
}

/** Defaults of a new plan for every setting `createPlan` leaves out. */
export function defaultSettings(name: string, displayName: string): PlanSettingsData {
  return {
    name,
    displayName,
    description: '',
    quota: null,
    rateLimit: null,
    quotaScope: QuotaScope.CREDENTIAL,
    keyExpiresAfterSeconds: null,
    jwtScopes: [],
    credentialKind: CredentialKind.API_KEY,
    credentialMetadata: [],
    catalogIds: [],
    autoApprove: false,
    accessRequestLimit: null,
    tier: 0,
    trialDays: null,
    endpointRules: [],
    boostAllowance: null,
  };
}
