import { randomUUID } from 'node:crypto';
import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserError, userError, UserErrorException } from '../../../common/errors';
import { runMutation, Validation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { QuotaAlertRule } from '../entities/quota-alert-rule';
import { isUuid } from '../../../common/ids';
import { requireOrganizationAdmin, requireOrganizationReader } from '../services/authorization';

/** Thresholds (percent of quota) used when an organization has set none. */
export const DEFAULT_QUOTA_ALERT_THRESHOLDS: readonly number[] = Object.freeze([80, 90, 100]);
export const MAX_QUOTA_ALERT_THRESHOLDS = 10;

const NO_ID = '00000000-0000-0000-0000-000000000000';

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

export function toQuotaAlertRules(rule: QuotaAlertRule): QuotaAlertRules {
  return Object.assign(new QuotaAlertRules(), {
    organizationId: rule.organizationId,
    appId: rule.appId,
    thresholds: [...rule.thresholds],
    isDefault: false,
    updatedBy: rule.updatedBy,
    updatedAt: rule.updatedAt,
  });
}

export function defaultQuotaAlertRules(organizationId: string, appId: string | null = null): QuotaAlertRules {
  return Object.assign(new QuotaAlertRules(), {
    organizationId,
    appId,
    thresholds: [...DEFAULT_QUOTA_ALERT_THRESHOLDS],
    isDefault: true,
    updatedBy: null,
    updatedAt: null,
  });
}

/**
 * The thresholds that apply to an app (or, with `appId` null, the organization): the app's own
 * rules, else the organization default, else the built-in defaults. For the usage ingest.
 */
export async function effectiveQuotaAlertRules(em: EntityManager, organizationId: string, appId: string | null): Promise<QuotaAlertRules> {
  const rules = await em.find(QuotaAlertRule, { organizationId, $or: appId ? [{ appId: null }, { appId }] : [{ appId: null }] });
  const own = appId ? rules.find((r) => r.appId === appId) : undefined;
  const fallback = rules.find((r) => r.appId === null);
  const found = own ?? fallback;
  return found ? toQuotaAlertRules(found) : defaultQuotaAlertRules(organizationId, null);
}

function validateThresholds(validation: Validation, thresholds: number[]): void {
  const field = 'input.thresholds';
  if (thresholds.length < 1 || thresholds.length > MAX_QUOTA_ALERT_THRESHOLDS) {
    validation.fail(field, `Give between 1 and ${MAX_QUOTA_ALERT_THRESHOLDS} thresholds (you gave ${thresholds.length}).`);
  }
  const outOfRange = thresholds.filter((t) => !Number.isInteger(t) || t < 1 || t > 100);
  if (outOfRange.length) {
    validation.fail(field, `Thresholds are percentages of the quota from 1 to 100: fix or remove ${[...new Set(outOfRange)].join(', ')}.`);
  }
  const repeated = [...new Set(thresholds.filter((t, i) => thresholds.indexOf(t) !== i))];
  if (repeated.length) validation.fail(field, `Give each threshold once: remove the repeated ${repeated.join(', ')}.`);
}

@Resolver(() => QuotaAlertRules)
export class QuotaAlertRulesResolver {
  @Query(() => [QuotaAlertRules], {
    description:
      'Alert rules of an organization: first its default (the built-in 80, 90, 100 with `isDefault: true` when none was set), then the rules of individual apps. Members of that organization (any role) and portal admins may call it; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  async quotaAlertRules(
    @Arg('organizationId', () => ID, { description: 'Organization whose rules to list.' }) organizationId: string,
    @Ctx() context: SubgraphContext,
  ): Promise<QuotaAlertRules[]> {
    await requireOrganizationReader(context, organizationId);
    const rows = await context.em.find(QuotaAlertRule, { organizationId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
    const organizationDefault = rows.find((r) => r.appId === null);
    return [
      organizationDefault ? toQuotaAlertRules(organizationDefault) : defaultQuotaAlertRules(organizationId),
      ...rows.filter((r) => r.appId !== null).map(toQuotaAlertRules),
    ];
  }

  @Mutation(() => SetQuotaAlertRulesPayload, {
    description:
      'Sets the alert thresholds of an organization (its default) or of one of its apps, replacing earlier ones. ORG_ADMINs of that organization and portal admins may call it; other members and outsiders get FORBIDDEN, anonymous callers UNAUTHENTICATED. An `appId` that is not an app of the organization is NOT_FOUND on `input.appId`.',
  })
  async setQuotaAlertRules(
    @Arg('input', () => SetQuotaAlertRulesInput, { description: 'Organization, optional app, and thresholds.' })
    input: SetQuotaAlertRulesInput,
    @Ctx() context: SubgraphContext,
  ): Promise<SetQuotaAlertRulesPayload> {
    const subject = context.caller.requireAuthenticated();
    if (!isUuid(input.organizationId)) {
      const errors = [userError('VALIDATION_FAILED', 'input.organizationId', 'Pass the organization id (a UUID).')];
      return { rules: null, errors };
    }
    await requireOrganizationAdmin(context, input.organizationId);
    return runMutation<{ rules: QuotaAlertRules | null }>(
      context,
      async (em) => {
        const appId = input.appId ?? null;
        const validation = new Validation().check(
          appId === null || isUuid(appId),
          'input.appId',
          'Pass an app id (a UUID), or leave `appId` out to set the organization default.',
        );
        validateThresholds(validation, input.thresholds);
        validation.done();
        if (appId !== null) {
          // Rules only for the organization's own apps (developers' published view): an app of
          // another organization, or one that does not exist, is NOT_FOUND.
          const owner = await em
            .getConnection()
            .execute<{ organization_id: string }[]>(
              `select organization_id::text as organization_id from developers.app_contract where id = ?`,
              [appId],
              'all',
              em.getTransactionContext(),
            );
          if (owner[0]?.organization_id !== input.organizationId.toLowerCase()) {
            throw new UserErrorException([
              userError('NOT_FOUND', 'input.appId', 'This organization has no app with this id: check the id.'),
            ]);
          }
        }
        const thresholds = [...input.thresholds].sort((a, b) => a - b);
        const now = context.clock.now().toISOString();
        const rows = await em.getConnection().execute<Record<string, unknown>[]>(
          `insert into usage.quota_alert_rule (id, organization_id, app_id, thresholds, updated_by, created_at, updated_at)
           values (?, ?, ?, ?::integer[], ?, ?::timestamptz, ?::timestamptz)
           on conflict (organization_id, (coalesce(app_id, '${NO_ID}'::uuid)))
           do update set thresholds = excluded.thresholds, updated_by = excluded.updated_by, updated_at = excluded.updated_at
           returning *`,
          [randomUUID(), input.organizationId, appId, `{${thresholds.join(',')}}`, subject, now, now],
          'all',
          em.getTransactionContext(),
        );
        return { rules: toQuotaAlertRules(em.map(QuotaAlertRule, rows[0])) };
      },
      () => ({ rules: null }),
    );
  }
}
