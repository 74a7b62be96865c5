import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { userError } from '../../../common/errors';
import { runMutation } from '../../../common/mutation';
import type { SubgraphContext } from '../../../common/server';
import { isUuid } from '../../../common/ids';
import { requireOrganizationAdmin, requireOrganizationReader } from '../services/authorization';
import { listQuotaAlertRules, setQuotaAlertRules } from '../services/quota-alert-rules';
import { QuotaAlertRules, SetQuotaAlertRulesInput, SetQuotaAlertRulesPayload } from './quota-alert-rules.types';

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
    return listQuotaAlertRules(context.em, organizationId);
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
      (em) => setQuotaAlertRules(em, context.clock.now(), subject, input),
      () => ({ rules: null }),
    );
  }
}
