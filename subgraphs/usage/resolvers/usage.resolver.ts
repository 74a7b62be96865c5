import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { AppRef, CredentialRef, PlanRef } from '../entities/refs';
import { OrganizationRef } from '../entities/organization-ref';
import { isUuid } from '../../../common/ids';
import { credentialById, credentialsOf, organizationOfApp } from '../contracts/credentials';
import { canReadOrganization } from '../services/authorization';
import { counterOf, latestWindow, quotaStatusOf, requestNow, statusesOf } from '../services/quota-status';
import { planUsageReport, seriesOf, seriesRange, unmatchedUsage } from '../services/series';
import { MAX_REFUSALS, RECENT_REFUSAL_DAYS, recentRefusals } from '../services/refusals';
import { Refusal } from './refusals.types';
import { PlanUsageReport, QuotaStatus, UnmatchedUsage, UsageGranularity, UsageSeries } from './usage.types';

const FROM = 'Start of the range (inclusive; rounded down to the granularity).';
const TO = 'End of the range (exclusive; rounded up to the granularity).';
const GRANULARITY = 'Bucket width (default HOUR). At most 1,500 buckets per series.';
const MEMBERS = 'Members (any role) of its organization and portal admins may read it; null for everyone else.';

// Parameters are listed in reverse of the schema's argument order (type-graphql registers
// parameter decorators last-first): from, to, granularity.

@Resolver(() => CredentialRef)
export class CredentialUsageResolver {
  @FieldResolver(() => QuotaStatus, {
    nullable: true,
    description: `Where the quota this credential draws from stands now (its own counter, or its app’s or organization’s, per the plan’s quota scope). ${MEMBERS}`,
  })
  async quota(@Root() credential: CredentialRef, @Ctx() context: SubgraphContext): Promise<QuotaStatus | null> {
    const row = await credentialById(context, credential.id);
    if (!row || !(await canReadOrganization(context, row.organization_id))) return null;
    const counter = counterOf(row);
    if (!counter) return null;
    const now = requestNow(context);
    return quotaStatusOf(counter, await latestWindow(context, counter, now), now);
  }

  @FieldResolver(() => UsageSeries, {
    nullable: true,
    description: `Traffic of this credential over time, with its spike flag. ${MEMBERS}`,
  })
  async usage(
    @Root() credential: CredentialRef,
    @Ctx() context: SubgraphContext,
    @Arg('granularity', () => UsageGranularity, { defaultValue: UsageGranularity.HOUR, description: GRANULARITY })
    granularity: UsageGranularity,
    @Arg('to', () => Date, { description: TO }) to: Date,
    @Arg('from', () => Date, { description: FROM }) from: Date,
  ): Promise<UsageSeries | null> {
    const row = await credentialById(context, credential.id);
    if (!row || !(await canReadOrganization(context, row.organization_id))) return null;
    return seriesOf(context, 'CREDENTIAL', row.id, seriesRange(from, to, granularity));
  }

  @FieldResolver(() => [Refusal], {
    nullable: true,
    description: `The credential’s last requests Tyk refused (429 and 403) in the last ${RECENT_REFUSAL_DAYS} days, newest first, with why (RATE_LIMITED, QUOTA_EXCEEDED, FORBIDDEN). Counts once analytics are ingested. ${MEMBERS}`,
  })
  async recentRefusals(
    @Root() credential: CredentialRef,
    @Ctx() context: SubgraphContext,
    @Arg('first', () => Int, { defaultValue: 10, description: `How many refusals to return (1–${MAX_REFUSALS}, default 10).` })
    first: number,
  ): Promise<Refusal[] | null> {
    const row = await credentialById(context, credential.id);
    if (!row || !(await canReadOrganization(context, row.organization_id))) return null;
    return recentRefusals(context, row.id, first, requestNow(context));
  }
}

@Resolver(() => AppRef)
export class AppUsageResolver {
  @FieldResolver(() => [QuotaStatus], {
    nullable: true,
    description: `The quotas the app’s live credentials draw from, one per counter: each CREDENTIAL-scoped credential’s own, the app’s for APP-scoped plans, the organization’s for ORGANIZATION-scoped plans. ${MEMBERS}`,
  })
  async quota(@Root() app: AppRef, @Ctx() context: SubgraphContext): Promise<QuotaStatus[] | null> {
    const organizationId = await organizationOfApp(context, app.id);
    if (!(await canReadOrganization(context, organizationId))) return null;
    return statusesOf(context, await credentialsOf(context, 'app', app.id));
  }

  @FieldResolver(() => UsageSeries, {
    nullable: true,
    description: `Traffic of all the app’s credentials over time, with a spike flag. ${MEMBERS}`,
  })
  async usage(
    @Root() app: AppRef,
    @Ctx() context: SubgraphContext,
    @Arg('granularity', () => UsageGranularity, { defaultValue: UsageGranularity.HOUR, description: GRANULARITY })
    granularity: UsageGranularity,
    @Arg('to', () => Date, { description: TO }) to: Date,
    @Arg('from', () => Date, { description: FROM }) from: Date,
  ): Promise<UsageSeries | null> {
    const organizationId = await organizationOfApp(context, app.id);
    if (!(await canReadOrganization(context, organizationId))) return null;
    return seriesOf(context, 'APP', app.id, seriesRange(from, to, granularity));
  }
}

@Resolver(() => OrganizationRef)
export class OrganizationUsageResolver {
  @FieldResolver(() => [QuotaStatus], {
    nullable: true,
    description: `The quotas the organization’s live credentials draw from, one per counter (per credential, app or organization, following each plan’s quota scope). ${MEMBERS.replace('its organization', 'the organization')}`,
  })
  async quota(@Root() organization: OrganizationRef, @Ctx() context: SubgraphContext): Promise<QuotaStatus[] | null> {
    if (!isUuid(organization.id) || !(await canReadOrganization(context, organization.id.toLowerCase()))) return null;
    return statusesOf(context, await credentialsOf(context, 'organization', organization.id));
  }

  @FieldResolver(() => UsageSeries, {
    nullable: true,
    description: `Traffic of all the organization’s credentials over time, with a spike flag. ${MEMBERS.replace('its organization', 'the organization')}`,
  })
  async usage(
    @Root() organization: OrganizationRef,
    @Ctx() context: SubgraphContext,
    @Arg('granularity', () => UsageGranularity, { defaultValue: UsageGranularity.HOUR, description: GRANULARITY })
    granularity: UsageGranularity,
    @Arg('to', () => Date, { description: TO }) to: Date,
    @Arg('from', () => Date, { description: FROM }) from: Date,
  ): Promise<UsageSeries | null> {
    if (!isUuid(organization.id) || !(await canReadOrganization(context, organization.id.toLowerCase()))) return null;
    return seriesOf(context, 'ORGANIZATION', organization.id, seriesRange(from, to, granularity));
  }
}

@Resolver(() => PlanRef)
export class PlanUsageResolver {
  @FieldResolver(() => UsageSeries, {
    nullable: true,
    description: 'Traffic of every credential under the plan over time, with a spike flag. Portal admins only; null for everyone else.',
  })
  async usage(
    @Root() plan: PlanRef,
    @Ctx() context: SubgraphContext,
    @Arg('granularity', () => UsageGranularity, { defaultValue: UsageGranularity.HOUR, description: GRANULARITY })
    granularity: UsageGranularity,
    @Arg('to', () => Date, { description: TO }) to: Date,
    @Arg('from', () => Date, { description: FROM }) from: Date,
  ): Promise<UsageSeries | null> {
    if (!context.caller.isPortalAdmin || !isUuid(plan.id)) return null;
    return seriesOf(context, 'PLAN', plan.id, seriesRange(from, to, granularity));
  }
}

@Resolver()
export class UsageReportResolver {
  @Query(() => PlanUsageReport, {
    description:
      'Cohort view: requests, error and rejection rates and latency by plan and by tier over a range (rounded outward to minutes for ranges up to 25 hours, hours up to 62 days, days beyond; at most 1,500 days). Portal admins only; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  async planUsageReport(
    @Ctx() context: SubgraphContext,
    @Arg('to', () => Date, { description: 'End of the range (exclusive).' }) to: Date,
    @Arg('from', () => Date, { description: 'Start of the range (inclusive).' }) from: Date,
  ): Promise<PlanUsageReport> {
    context.caller.requirePortalAdmin();
    return planUsageReport(context, from, to);
  }

  @Query(() => UnmatchedUsage, {
    description:
      'Analytics records whose key matched no credential (keys issued outside the portal, deleted keys, unauthenticated requests) in a range of at most 93 days. Portal admins only; anyone else gets FORBIDDEN, anonymous callers UNAUTHENTICATED.',
  })
  async unmatchedUsage(
    @Ctx() context: SubgraphContext,
    @Arg('to', () => Date, { description: 'End of the range (exclusive).' }) to: Date,
    @Arg('from', () => Date, { description: 'Start of the range (inclusive).' }) from: Date,
  ): Promise<UnmatchedUsage> {
    context.caller.requirePortalAdmin();
    return unmatchedUsage(context, from, to);
  }
}
