/** GraphQL types of the quota alert rules operations. */
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import {
  MAX_COOL_DOWN_SECONDS,
  MAX_QUOTA_ALERT_THRESHOLDS,
  MAX_REARM_MARGIN_PERCENT,
  QuotaAlertChannel,
} from '../services/quota-alert-thresholds';

registerEnumType(QuotaAlertChannel, {
  name: 'QuotaAlertChannel',
  description: 'Where a quota warning is delivered.',
  valuesConfig: {
    SUBSCRIPTION: { description: 'The `quotaWarnings` subscription (and `quotaWarningsHistory`).' },
    WEBHOOK: { description: 'The organization’s webhook endpoints subscribed to quota warnings.' },
  },
});

@ObjectType({ description: 'The channels one alert threshold is delivered on.' })
export class QuotaAlertThresholdChannels {
  @Field(() => Int, { description: 'The threshold, in percent of the quota.' })
  thresholdPercent!: number;

  @Field(() => [QuotaAlertChannel], { description: 'Where its warnings go.' })
  channels!: QuotaAlertChannel[];
}

@InputType({ description: 'The channels of one alert threshold.' })
export class QuotaAlertThresholdChannelsInput {
  @Field(() => Int, { description: 'One of the rule’s `thresholds`.' })
  thresholdPercent!: number;

  @Field(() => [QuotaAlertChannel], { description: 'Where its warnings go: at least one channel, each once.' })
  channels!: QuotaAlertChannel[];
}

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

  @Field(() => Int, {
    description:
      'After a warning is delivered, the same warning (same counter, kind and threshold) is held back for this many seconds, even in a later quota window; 0 = off.',
  })
  coolDownSeconds!: number;

  @Field(() => Int, {
    description:
      'Hysteresis: after a warning is delivered, the same warning is held back until the counter has had a quota window that ended more than this many percentage points below the threshold (or a whole quota period without traffic); 0 = every new window re-arms it. Stops a counter that hovers at a threshold from being warned window after window.',
  })
  rearmMarginPercent!: number;

  @Field(() => [QuotaAlertThresholdChannels], { description: 'The channels of every threshold, in threshold order.' })
  channels!: QuotaAlertThresholdChannels[];

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

  @Field(() => Int, {
    nullable: true,
    description: `Cool-down in seconds, 0–${MAX_COOL_DOWN_SECONDS.toLocaleString('en-US')} (30 days); left out: 0 (off).`,
  })
  coolDownSeconds?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: `Re-arm margin in percentage points below a threshold, 0–${MAX_REARM_MARGIN_PERCENT}; left out: 0 (off).`,
  })
  rearmMarginPercent?: number | null;

  @Field(() => [QuotaAlertThresholdChannelsInput], {
    nullable: true,
    description: 'Channels of some thresholds (each one of `thresholds`, once); thresholds left out go to every channel.',
  })
  channels?: QuotaAlertThresholdChannelsInput[] | null;
}

@ObjectType({ description: 'Result of `setQuotaAlertRules`.' })
export class SetQuotaAlertRulesPayload {
  @Field(() => QuotaAlertRules, { nullable: true, description: 'The rules as stored; null when `errors` is not empty.' })
  rules!: QuotaAlertRules | null;

  @Field(() => [UserError], { description: 'Why nothing was changed; empty on success.' })
  errors!: UserError[];
}
