/** GraphQL inputs, payloads, filters and the connection of the plan operations. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { UserError } from '../../../common/errors';
import { KeyValueInput } from '../../../common/key-value';
import { payloadType } from '../../../common/payloads';
import { connectionType } from '../../../common/relay';
import { KEY_INPUT_DESCRIPTION, LABEL_MAX, MANAGED_BY_INPUT_DESCRIPTION } from '../../../common/catalog-labels';
import { CredentialKind, Plan, PlanStatus, QuotaPeriod, QuotaScope } from '../entities/plan';
import { ENDPOINT_RULES_DESCRIPTION, EndpointRuleInput } from '../entities/endpoint-rule';
import {
  MAX_ALLOWANCE,
  MAX_CATALOGS,
  MAX_CUSTOM_PERIOD,
  MAX_KEY_EXPIRY,
  MAX_METADATA_ENTRIES,
  MAX_METADATA_VALUE,
  MAX_QUOTA_REQUESTS,
  MAX_RATE_REQUESTS,
  MAX_RATE_WINDOW,
  MAX_RENEWAL,
  MAX_SCOPES,
  MAX_SCOPE_LENGTH,
  MAX_TIER,
  MAX_TRIAL_DAYS,
  MIN_CUSTOM_PERIOD,
  MIN_KEY_EXPIRY,
  MIN_RENEWAL,
} from '../services/limits';

export const PlanConnection = connectionType(Plan, 'Plan', 'plan');

@InputType({ description: 'Filters for `plans` (all given filters must match).' })
export class PlanFilter {
  @Field(() => ID, { nullable: true, description: 'Only plans in this catalog.' })
  catalogId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Only plans that share a catalog with this product (for non-admins: a catalog they may see).',
  })
  productId?: string | null;

  @Field(() => [PlanStatus], { nullable: true, description: 'Only these statuses (portal admins; others see PUBLISHED plans only).' })
  status?: PlanStatus[] | null;

  @Field(() => String, {
    nullable: true,
    description: 'Only plans whose name or display name contains this text (case-insensitive, at most 100 characters).',
  })
  search?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `Only the plan with this key (at most ${LABEL_MAX} characters), if the caller may see it.`,
  })
  key?: string | null;
}

@InputType({ description: 'A usage quota: how many requests per period. Set the whole quota to null for unlimited.' })
export class UsageQuotaInput {
  @Field(() => Int, { description: `Requests allowed per period, 1–${MAX_QUOTA_REQUESTS.toLocaleString('en-US')}.` })
  requests!: number;

  @Field(() => QuotaPeriod, { description: 'The period: HOUR, DAY, WEEK, MONTH (30 days) or CUSTOM.' })
  period!: QuotaPeriod;

  @Field(() => Int, {
    nullable: true,
    description: `Length of a CUSTOM period in seconds (${MIN_CUSTOM_PERIOD}–${MAX_CUSTOM_PERIOD}). Required for CUSTOM, refused for the named periods.`,
  })
  periodSeconds?: number | null;
}

@InputType({ description: 'A rate limit: how many requests per window of seconds. Set the whole rate limit to null for unlimited.' })
export class RateLimitInput {
  @Field(() => Int, { description: `Requests allowed per window, 1–${MAX_RATE_REQUESTS.toLocaleString('en-US')}.` })
  requests!: number;

  @Field(() => Int, { description: `Length of the window in seconds, 1–${MAX_RATE_WINDOW}.` })
  perSeconds!: number;
}

@InputType({ description: 'How many access requests one organization may make under the plan per interval. Set it to null for unlimited.' })
export class AccessRequestLimitInput {
  @Field(() => Int, { description: `Access requests per interval, 1–${MAX_ALLOWANCE}.` })
  allowance!: number;

  @Field(() => Int, { description: `Interval in seconds after which the allowance renews, ${MIN_RENEWAL}–${MAX_RENEWAL}.` })
  renewalSeconds!: number;
}

@InputType({
  description:
    'What an ORG_ADMIN may grant as a temporary quota boost on a credential under the plan (`grantQuotaBoost`). Set it to null so that only portal admins grant boosts.',
})
export class BoostAllowanceInput {
  @Field(() => Int, { description: 'Extra quota a boost may add, in percent of the plan’s quota, 0–1000.' })
  maxExtraQuotaPercent!: number;

  @Field(() => Int, {
    description: 'Extra rate a boost may add, in percent of the plan’s rate limit, 0–1000 (at least one of the two above 0).',
  })
  maxExtraRatePercent!: number;

  @Field(() => Int, { description: 'Longest boost in seconds, 60–2592000 (30 days).' })
  maxDurationSeconds!: number;

  @Field(() => Int, { description: 'Boosts an organization may grant itself per credential within `windowSeconds`, 1–100.' })
  maxBoosts!: number;

  @Field(() => Int, { description: `The window \`maxBoosts\` counts in, ${MIN_RENEWAL}–${MAX_RENEWAL} seconds.` })
  windowSeconds!: number;
}

export const D = {
  description: 'Markdown description, at most 20,000 characters (null = empty).',
  quota: 'Usage quota; null = unlimited.',
  rateLimit: 'Rate limit; null = unlimited.',
  quotaScope: 'Who shares the quota and rate-limit counters (default CREDENTIAL).',
  keyExpiresAfterSeconds: `Credentials expire this many seconds after they are issued (${MIN_KEY_EXPIRY}–${MAX_KEY_EXPIRY}, i.e. up to 5 years); null = never.`,
  jwtScopes: `JWT scopes mapped to the plan. Each entry may hold several scopes separated by spaces or commas (\`["read write", "admin,billing"]\` → 4 scopes); duplicates are dropped, order kept. At most ${MAX_SCOPES} scopes of 1–${MAX_SCOPE_LENGTH} printable ASCII characters without \`"\` and \`\\\`.`,
  credentialMetadata: `Metadata attached to every credential issued under the plan: at most ${MAX_METADATA_ENTRIES} entries, keys 1–64 characters of letters, digits, \`_\`, \`.\` and \`-\`, unique ignoring case, values at most ${MAX_METADATA_VALUE} characters. Keys that look like secrets (password, token, …) and keys the platform sets (DeveloperID, ApplicationID, OrganisationID, TeamIDs, rate_limit_pattern, quota_pattern) are refused.`,
  catalogIds: `Ids of the catalogs the plan is offered in (at most ${MAX_CATALOGS}); a plan is visible only through them, and publishing needs at least one.`,
  autoApprove: 'Approve access requests under the plan at once (default false).',
  credentialKind:
    'What approved access receives: API_KEY (default) or OAUTH_CLIENT (OAuth2 client credentials at the provider’s identity provider, with the plan’s `jwtScopes`; a plan with OAUTH_CLIENT needs at least one scope). Credentials issued before a change keep their kind.',
  accessRequestLimit: 'Access requests one organization may make under the plan per interval; null = unlimited.',
  tier: `Rank for ordering and upgrade paths, 0–${MAX_TIER} (default 0).`,
  trialDays: `Free trial length in days, 1–${MAX_TRIAL_DAYS}; null = no trial.`,
  endpointRules: `${ENDPOINT_RULES_DESCRIPTION} Products must exist.`,
  boostAllowance: 'What ORG_ADMINs may grant themselves as temporary quota boosts; null = only portal admins grant boosts.',
};

@InputType({ description: 'A new plan. Settings left out take their defaults.' })
export class CreatePlanInput {
  @Field(() => String, { description: 'Unique internal name: 1–100 characters of ASCII letters, digits, spaces, `-` and `_`.' })
  name!: string;

  @Field(() => String, { description: 'Name shown to developers, 1–120 characters.' })
  displayName!: string;

  @Field(() => String, { nullable: true, description: D.description })
  description?: string | null;

  @Field(() => UsageQuotaInput, { nullable: true, description: D.quota })
  quota?: UsageQuotaInput | null;

  @Field(() => RateLimitInput, { nullable: true, description: D.rateLimit })
  rateLimit?: RateLimitInput | null;

  @Field(() => QuotaScope, { nullable: true, description: D.quotaScope })
  quotaScope?: QuotaScope | null;

  @Field(() => Int, { nullable: true, description: D.keyExpiresAfterSeconds })
  keyExpiresAfterSeconds?: number | null;

  @Field(() => [String], { nullable: true, description: D.jwtScopes })
  jwtScopes?: string[] | null;

  @Field(() => CredentialKind, { nullable: true, description: D.credentialKind })
  credentialKind?: CredentialKind | null;

  @Field(() => [KeyValueInput], { nullable: true, description: D.credentialMetadata })
  credentialMetadata?: KeyValueInput[] | null;

  @Field(() => [ID], { nullable: true, description: D.catalogIds })
  catalogIds?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: D.autoApprove })
  autoApprove?: boolean | null;

  @Field(() => AccessRequestLimitInput, { nullable: true, description: D.accessRequestLimit })
  accessRequestLimit?: AccessRequestLimitInput | null;

  @Field(() => Int, { nullable: true, description: D.tier })
  tier?: number | null;

  @Field(() => Int, { nullable: true, description: D.trialDays })
  trialDays?: number | null;

  @Field(() => [EndpointRuleInput], { nullable: true, description: `${D.endpointRules} Default none.` })
  endpointRules?: EndpointRuleInput[] | null;

  @Field(() => BoostAllowanceInput, { nullable: true, description: `${D.boostAllowance} Default null.` })
  boostAllowance?: BoostAllowanceInput | null;

  @Field(() => PlanStatus, {
    nullable: true,
    description: 'DRAFT (default) or PUBLISHED (needs at least one catalog). ARCHIVED is refused.',
  })
  status?: PlanStatus | null;

  @Field(() => String, {
    nullable: true,
    description: `Stable key (1–${LABEL_MAX} lowercase letters and digits joined by single \`-\`, \`_\` or \`.\`), unique among plans, the same in every environment; leave out for none.`,
  })
  key?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Name of the tool that owns the plan (same rule as `key`); leave out for a hand-made plan.',
  })
  managedBy?: string | null;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same plan, as it is now') })
  idempotencyKey?: string | null;
}

/**
 * The settings an update or a change proposal may carry (every field optional). Only inherited:
 * no field refers to this type, so it is not in the schema.
 */
@InputType('PlanSettingsChanges', { description: 'Plan settings to change (base of UpdatePlanInput and PlanChangesInput).' })
export abstract class PlanSettingsChanges {
  @Field(() => String, { nullable: true, description: 'New unique internal name.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'New display name, 1–120 characters.' })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: D.description })
  description?: string | null;

  @Field(() => UsageQuotaInput, { nullable: true, description: D.quota })
  quota?: UsageQuotaInput | null;

  @Field(() => RateLimitInput, { nullable: true, description: D.rateLimit })
  rateLimit?: RateLimitInput | null;

  @Field(() => QuotaScope, { nullable: true, description: 'Who shares the quota and rate-limit counters.' })
  quotaScope?: QuotaScope | null;

  @Field(() => Int, { nullable: true, description: D.keyExpiresAfterSeconds })
  keyExpiresAfterSeconds?: number | null;

  @Field(() => [String], { nullable: true, description: `${D.jwtScopes} Replaces the whole list.` })
  jwtScopes?: string[] | null;

  @Field(() => CredentialKind, { nullable: true, description: D.credentialKind })
  credentialKind?: CredentialKind | null;

  @Field(() => [KeyValueInput], { nullable: true, description: `${D.credentialMetadata} Replaces the whole list.` })
  credentialMetadata?: KeyValueInput[] | null;

  @Field(() => [ID], { nullable: true, description: `${D.catalogIds} Replaces the whole list; a PUBLISHED plan keeps at least one.` })
  catalogIds?: string[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Approve access requests under the plan at once.' })
  autoApprove?: boolean | null;

  @Field(() => AccessRequestLimitInput, { nullable: true, description: D.accessRequestLimit })
  accessRequestLimit?: AccessRequestLimitInput | null;

  @Field(() => Int, { nullable: true, description: `Rank for ordering and upgrade paths, 0–${MAX_TIER}.` })
  tier?: number | null;

  @Field(() => Int, { nullable: true, description: D.trialDays })
  trialDays?: number | null;

  @Field(() => [EndpointRuleInput], { nullable: true, description: `${D.endpointRules} Replaces the whole list ([] = no restriction).` })
  endpointRules?: EndpointRuleInput[] | null;

  @Field(() => BoostAllowanceInput, { nullable: true, description: D.boostAllowance })
  boostAllowance?: BoostAllowanceInput | null;
}

@InputType({
  description:
    'Changes to a plan. Only the fields given change; for nullable settings an explicit null means unset/unlimited. Archived plans cannot be changed.',
})
export class UpdatePlanInput extends PlanSettingsChanges {
  @Field(() => ID, { description: 'The plan to change.' })
  id!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you edited; when given and the plan has moved on, nothing changes (VERSION_CONFLICT).',
  })
  expectedVersion?: number | null;

  @Field(() => String, {
    nullable: true,
    description: `${KEY_INPUT_DESCRIPTION('plan')} A label, not a setting: changing it records no version and needs no approval.`,
  })
  key?: string | null;

  @Field(() => String, {
    nullable: true,
    description: `${MANAGED_BY_INPUT_DESCRIPTION} A label, not a setting: changing it records no version and needs no approval.`,
  })
  managedBy?: string | null;
}

function transitionInput(name: string, what: string) {
  @InputType(name, { description: `Which plan to ${what}.` })
  class PlanTransitionInput {
    @Field(() => ID, { description: 'The plan.' })
    id!: string;

    @Field(() => Int, {
      nullable: true,
      description: 'The version you saw; when given and the plan has moved on, nothing changes (VERSION_CONFLICT).',
    })
    expectedVersion?: number | null;
  }
  return PlanTransitionInput;
}

export const PublishPlanInput = transitionInput('PublishPlanInput', 'publish');
export const ArchivePlanInput = transitionInput('ArchivePlanInput', 'archive');

@InputType({ description: 'Which plan to roll back, and to which version.' })
export class RollbackPlanInput {
  @Field(() => ID, { description: 'The plan.' })
  id!: string;

  @Field(() => Int, { description: 'The version whose settings to restore (see `planVersions`).' })
  toVersion!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you saw; when given and the plan has moved on, nothing changes (VERSION_CONFLICT).',
  })
  expectedVersion?: number | null;
}

@InputType({ description: 'Which plan to delete.' })
export class DeletePlanInput {
  @Field(() => ID, { description: 'The plan; it must never have been published.' })
  id!: string;
}

const payload = (name: string, mutation: string) => payloadType(name, mutation, 'plan', Plan, 'The plan after the change');

export const CreatePlanPayload = payload('CreatePlanPayload', 'createPlan');
export const UpdatePlanPayload = payload('UpdatePlanPayload', 'updatePlan');
export const PublishPlanPayload = payload('PublishPlanPayload', 'publishPlan');
export const ArchivePlanPayload = payload('ArchivePlanPayload', 'archivePlan');
export const RollbackPlanPayload = payload('RollbackPlanPayload', 'rollbackPlan');

@ObjectType({ description: 'Result of `deletePlan`.' })
export class DeletePlanPayload {
  @Field(() => ID, { nullable: true, description: 'Id of the deleted plan; null when `errors` is not empty.' })
  deletedPlanId!: string | null;

  @Field(() => [UserError], { description: 'Why nothing was deleted; empty on success.' })
  errors!: UserError[];
}

export interface PlanPayloadShape {
  plan: Plan | null;
  errors: UserError[];
}
