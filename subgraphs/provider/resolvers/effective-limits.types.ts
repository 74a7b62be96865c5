/** GraphQL types of `Credential.effectiveLimits` ("why was I limited?"). */
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { QuotaScope } from '../../../common/shared-enums';

export enum AppliedPolicyKind {
  PLAN = 'PLAN',
  PRODUCT = 'PRODUCT',
  RULES = 'RULES',
  BOOST = 'BOOST',
}

registerEnumType(AppliedPolicyKind, {
  name: 'AppliedPolicyKind',
  description: 'What a Tyk policy applied to a credential’s key stands for in the portal.',
  valuesConfig: {
    PLAN: { description: 'The plan’s consumption-limit policy: quota and rate limit (quota and rate_limit partitions).' },
    PRODUCT: { description: 'A product’s access policy: which Tyk APIs the key opens (acl partition).' },
    RULES: { description: 'The plan’s endpoint rules on one product: the paths and GraphQL fields allowed there (acl partition).' },
    BOOST: {
      description:
        'An ACTIVE temporary quota boost (`grantQuotaBoost`): the boosted quota and/or rate (quota / rate_limit partitions); Tyk applies the highest of the key’s policies. Taken off at the boost’s end, counters kept.',
    },
  },
});

export enum LiveKeyUnavailableReason {
  NO_PROVIDER = 'NO_PROVIDER',
  KEY_NOT_ISSUED = 'KEY_NOT_ISSUED',
  KEY_REVOKED = 'KEY_REVOKED',
  KEY_MISSING = 'KEY_MISSING',
  PROVIDER_UNREACHABLE = 'PROVIDER_UNREACHABLE',
  PROVIDER_ERROR = 'PROVIDER_ERROR',
}

registerEnumType(LiveKeyUnavailableReason, {
  name: 'LiveKeyUnavailableReason',
  description: 'Why the live key could not be read from the provider.',
  valuesConfig: {
    NO_PROVIDER: { description: 'No provider holds (or is assigned to hold) the key.' },
    KEY_NOT_ISSUED: { description: 'The key has not been created in the provider yet (see `Credential.sync`).' },
    KEY_REVOKED: { description: 'The credential’s key was deleted from the provider (revoked credential).' },
    KEY_MISSING: { description: 'The portal issued the key but the provider no longer has it.' },
    PROVIDER_UNREACHABLE: { description: 'The provider did not answer in time (or could not be connected to).' },
    PROVIDER_ERROR: { description: 'The provider answered the key read with an error.' },
  },
});

@ObjectType({ description: 'One Tyk policy the portal applies to the credential’s key, in the order Tyk merges them.' })
export class AppliedPolicy {
  @Field(() => String, {
    description: 'The policy id in the provider (`pg-plan-…`, `pg-product-…`, `pg-rules-…`, `pg-boost-…`, or an imported policy’s id).',
  })
  policyId!: string;

  @Field(() => AppliedPolicyKind, { description: 'What the policy stands for.' })
  kind!: AppliedPolicyKind;

  @Field(() => ID, { description: 'The plan (PLAN, RULES), product (PRODUCT) or quota boost (BOOST) the policy belongs to.' })
  subjectId!: string;

  @Field(() => ID, { nullable: true, description: 'RULES only: the product the endpoint rules restrict.' })
  productId!: string | null;

  @Field(() => String, { description: 'What the policy sets on the key, in words (limits, APIs, restricted paths).' })
  sets!: string;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether the live key has the policy applied; null when the live key could not be read.',
  })
  onLiveKey!: boolean | null;
}

@ObjectType({
  description:
    'The limits the portal’s model says the key gets: the plan’s quota and rate limit, raised by an ACTIVE quota boost (the highest of the two, as Tyk merges them), and its quota scope.',
})
export class ExpectedLimits {
  @Field(() => Int, { nullable: true, description: 'Requests per quota period; null = unlimited.' })
  quotaMax!: number | null;

  @Field(() => Int, { nullable: true, description: 'Quota period in seconds; null = unlimited.' })
  quotaPeriodSeconds!: number | null;

  @Field(() => Int, { nullable: true, description: 'Requests per rate-limit interval; null = unlimited.' })
  rate!: number | null;

  @Field(() => Int, { nullable: true, description: 'Rate-limit interval in seconds; null = unlimited.' })
  perSeconds!: number | null;

  @Field(() => QuotaScope, { description: 'Who shares the quota and rate-limit counter.' })
  quotaScope!: QuotaScope;

  @Field(() => String, {
    nullable: true,
    description: 'The `rate_limit_pattern` the plan policy carries for APP and ORGANIZATION scopes (null: Tyk counts on the key).',
  })
  rateLimitPattern!: string | null;
}

@ObjectType({ description: 'The key as the provider holds it now, policies applied.' })
export class LiveKeyLimits {
  @Field(() => Int, { description: 'Requests per quota window Tyk enforces (-1 = unlimited, 0 = none set).' })
  quotaMax!: number;

  @Field(() => Int, { nullable: true, description: 'Requests left in the current window (null when the quota is unlimited).' })
  quotaRemaining!: number | null;

  @Field(() => Int, { description: 'Quota period in seconds (-1 = unlimited).' })
  quotaRenewalSeconds!: number;

  @Field(() => Date, {
    nullable: true,
    description: 'When the current quota window started (its end minus the period); null before any request.',
  })
  windowStart!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the current quota window ends and the counter resets; null before any request.' })
  windowResetsAt!: Date | null;

  @Field(() => Float, { description: 'Requests per rate-limit interval (-1 = unlimited, 0 = none set).' })
  rate!: number;

  @Field(() => Float, { description: 'Rate-limit interval in seconds.' })
  perSeconds!: number;

  @Field(() => [String], { description: 'The policy ids applied to the key, in order.' })
  appliedPolicies!: string[];

  @Field(() => [String], { description: 'The Tyk API ids the key opens.' })
  apiIds!: string[];

  @Field(() => String, { nullable: true, description: 'The `rate_limit_pattern` Tyk counts on (null: the key itself).' })
  rateLimitPattern!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the key expires; null = never.' })
  expiresAt!: Date | null;

  @Field(() => Boolean, { description: 'Whether Tyk marks the key inactive (every request refused with 403).' })
  inactive!: boolean;
}

@ObjectType({ description: 'One way the live key differs from what the portal’s model says.' })
export class LimitDifference {
  @Field(() => String, {
    description: 'What differs: `apply_policies`, `quota_max`, `quota_renewal_rate`, `rate`, `per`, `rate_limit_pattern` or `is_inactive`.',
  })
  field!: string;

  @Field(() => String, { nullable: true, description: 'What the portal expects (as text).' })
  expected!: string | null;

  @Field(() => String, { nullable: true, description: 'What the provider holds (as text).' })
  live!: string | null;

  @Field(() => String, { description: 'The difference in words, with what to do.' })
  message!: string;
}

@ObjectType({
  description:
    'Why a credential is limited the way it is: the policies the portal merges on its Tyk key (products, endpoint rules, plan, and an ACTIVE temporary quota boost), the limits the portal expects, what Tyk counts on, and the key as the provider holds it now, checked against each other.',
})
export class EffectiveLimits {
  @Field(() => ID, { description: 'The credential.' })
  credentialId!: string;

  @Field(() => [AppliedPolicy], {
    description: 'The policies the portal applies to the key, in the order Tyk merges them (products, endpoint rules, plan, quota boost).',
  })
  policies!: AppliedPolicy[];

  @Field(() => ExpectedLimits, { nullable: true, description: 'The limits the plan sets; null when the plan is gone.' })
  expected!: ExpectedLimits | null;

  @Field(() => String, {
    description:
      'What Tyk counts requests on: `credential:<id>` (the key itself), `app:<id>` or `organization:<id>` (the key’s ApplicationID / OrganisationID metadata, per the plan’s quota scope).',
  })
  counterKey!: string;

  @Field(() => LiveKeyLimits, { nullable: true, description: 'The live key; null when it could not be read (see `liveUnavailable`).' })
  live!: LiveKeyLimits | null;

  @Field(() => LiveKeyUnavailableReason, { nullable: true, description: 'Why `live` is null; null when it was read.' })
  liveUnavailable!: LiveKeyUnavailableReason | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Whether the live key matches the portal’s model (no `differences`); null when the live key could not be read.',
  })
  consistent!: boolean | null;

  @Field(() => [LimitDifference], { description: 'How the live key differs from the portal’s model (empty when consistent or unread).' })
  differences!: LimitDifference[];

  @Field(() => Date, { description: 'When this was computed.' })
  checkedAt!: Date;
}
