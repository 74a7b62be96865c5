/** GraphQL inputs, payloads and the connection of the quota-boost operations. */
import { Field, ID, InputType, Int } from 'type-graphql';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { connectionType } from '../../../common/relay';
import { QuotaBoost } from '../entities/quota-boost';

export const QuotaBoostConnection = connectionType(QuotaBoost, 'QuotaBoost', 'quota boost');

@InputType({
  description:
    'A temporary quota boost: extra quota and/or rate on one credential for a period. Give `extraQuotaRequests`, `extraRateRequests` or both.',
})
export class GrantQuotaBoostInput {
  @Field(() => ID, { description: 'The credential to boost (ACTIVE, not rotated out).' })
  credentialId!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      'Requests added to the plan’s quota per quota period (1–1,000,000,000; at most 1000% of the plan’s quota, and ORG_ADMINs at most the plan’s `boostAllowance.maxExtraQuotaPercent`). Needs a plan with a quota.',
  })
  extraQuotaRequests?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Requests added to the plan’s rate limit per rate window (1–1,000,000,000; at most 1000% of the plan’s rate, and ORG_ADMINs at most `boostAllowance.maxExtraRatePercent`). Needs a plan with a rate limit.',
  })
  extraRateRequests?: number | null;

  @Field(() => Int, {
    description: 'How long the boost lasts, in seconds: 60–7776000 (90 days); ORG_ADMINs at most `boostAllowance.maxDurationSeconds`.',
  })
  durationSeconds!: number;

  @Field(() => String, { description: 'Why (1–500 characters); kept with the boost and in the audit log.' })
  reason!: string;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same boost') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which quota boost to end now.' })
export class RevokeQuotaBoostInput {
  @Field(() => ID, { description: 'Quota boost id.' })
  id!: string;
}

export const GrantQuotaBoostPayload = payloadType('GrantQuotaBoostPayload', 'grantQuotaBoost', 'quotaBoost', QuotaBoost, 'The new boost');
export const RevokeQuotaBoostPayload = payloadType(
  'RevokeQuotaBoostPayload',
  'revokeQuotaBoost',
  'quotaBoost',
  QuotaBoost,
  'The boost as it is now',
);
