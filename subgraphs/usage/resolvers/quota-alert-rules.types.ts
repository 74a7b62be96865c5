/** GraphQL types of the quota alert rules operations. */
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { MAX_QUOTA_ALERT_THRESHOLDS } from '../services/quota-alert-thresholds';

@ObjectType({
  description:
    'Alert thresholds, in percent of the quota, at which quota warnings are raised for an organization (`appId` null: its default for all apps) or for one app. Without rules of its own an app uses the organization default; without those the built-in defaults 80, 90 and 100 apply.',
})
export class QuotaAlertRules {
  @Field(() => ID, { description: 'Organization the rules belong to.' })
  organizationId!: string;

  @Field(() => ID, { nullable: true, description: 'App the rules apply to; null for the organization default.' })
  appId!: string | null;

  @Field(() => [Int], { description: 'Thresholds in percent of the quota (1–100), ascending, without repeats.' })
  thresholds!: number[];

  @Field(() => Boolean, { description: 'True when nothing was set and the built-in defaults (80, 90, 100) apply.' })
  isDefault!: boolean;

  @Field(() => String, { nullable: true, description: 'Subject of whoever last set the rules; null for the built-in defaults.' })
  updatedBy!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the rules were last set; null for the built-in defaults.' })
  updatedAt!: Date | null;
}

@InputType({ description: 'Alert thresholds to set for an organization or one of its apps.' })
export class SetQuotaAlertRulesInput {
  @Field(() => ID, { description: 'Organization the rules belong to.' })
  organizationId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'App to set rules for; omit to set the organization default used by apps without their own.',
  })
  appId?: string | null;

  @Field(() => [Int], {
    description: `Thresholds in percent of the quota: 1 to ${MAX_QUOTA_ALERT_THRESHOLDS} distinct integers from 1 to 100 (any order; stored ascending). Replaces the previous list.`,
  })
  thresholds!: number[];
}

@ObjectType({ description: 'Result of `setQuotaAlertRules`.' })
export class SetQuotaAlertRulesPayload {
  @Field(() => QuotaAlertRules, { nullable: true, description: 'The rules as stored; null when `errors` is not empty.' })
  rules!: QuotaAlertRules | null;

  @Field(() => [UserError], { description: 'Why nothing was changed; empty on success.' })
  errors!: UserError[];
}
