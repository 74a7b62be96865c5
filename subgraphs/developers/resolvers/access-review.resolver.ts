/**
 * The access review: `accessReview` (unused credentials), `revokeUnusedCredentials` (revocation
 * with notice), `keepCredential`, `accessReviewReports` (the daily report), the entries' links and
 * `Credential.scheduledRevocation`.
 */
import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { serviceOps } from '../../../common/ops';
import { PageArgs, type ConnectionShape } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { App } from '../entities/app';
import { Credential } from '../entities/credential';
import { Developer } from '../entities/developer';
import { Organization } from '../entities/organization';
import { appByIdLoader, credentialByIdLoader, developerBySubjectLoader, organizationByIdLoader } from '../data/loaders';
import {
  keepCredential,
  readAccessReview,
  readAccessReviewReports,
  revokeUnusedCredentials,
  type RevokeUnusedResult,
} from '../services/access-review';
import { developerMutation } from '../services/profile';
import {
  AccessReviewArgs,
  AccessReviewEntry,
  AccessReviewEntryConnection,
  AccessReviewReport,
  AccessReviewReportConnection,
  KeepCredentialInput,
  KeepCredentialPayload,
  RevokeUnusedCredentialsInput,
  RevokeUnusedCredentialsPayload,
  ScheduledRevocation,
} from './access-review.types';

@Resolver(() => AccessReviewEntry)
export class AccessReviewResolver {
  @Query(() => AccessReviewEntryConnection, {
    description:
      'Access review: ACTIVE credentials issued at least `unusedForDays` days ago and not used since (or never), oldest first, with their app, organization, owner and last use (from the usage records, to the minute). Portal admins see every organization’s; ORG_ADMINs those of the organizations they administer; everyone else gets FORBIDDEN.',
  })
  accessReview(
    @Args(() => AccessReviewArgs) args: AccessReviewArgs,
    @Ctx() context: SubgraphContext,
  ): Promise<ConnectionShape<AccessReviewEntry>> {
    return readAccessReview(context.em, context.caller, context.clock.now(), args);
  }

  @Query(() => AccessReviewReportConnection, {
    description:
      'The daily access review reports (ACCESS_REVIEW_UNUSED_DAYS days without use, made at 06:00 UTC; also announced as the ACCESS_REVIEW_REPORT webhook), newest first. Portal admins only.',
  })
  accessReviewReports(@Args(() => PageArgs) args: PageArgs, @Ctx() context: SubgraphContext): Promise<ConnectionShape<AccessReviewReport>> {
    context.caller.requirePortalAdmin();
    return readAccessReviewReports(context.em, args);
  }

  @Mutation(() => RevokeUnusedCredentialsPayload, {
    description:
      'Schedules the revocation of credentials an access review found unused: each organization is told at once (CREDENTIAL_REVOCATION_SCHEDULED on `accessRequestEvents` and as a webhook, with `revokeAt` and the reason), and each credential is revoked `noticeDays` days later (CREDENTIAL_REVOKED, its Tyk key deleted) unless it is used meanwhile or an ORG_ADMIN keeps it (`keepCredential`); then CREDENTIAL_REVOCATION_CANCELLED. A credential that is not ACTIVE is CREDENTIAL_NOT_ACTIVE, one used or issued within `unusedForDays` CREDENTIAL_IN_USE; nothing is scheduled unless every credential qualifies. Portal admins (any organization) and ORG_ADMINs (credentials of organizations they administer; others are FORBIDDEN).',
  })
  async revokeUnusedCredentials(
    @Arg('input', () => RevokeUnusedCredentialsInput, { description: 'The credentials, the notice and why.' })
    input: RevokeUnusedCredentialsInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RevokeUnusedCredentialsPayload> {
    const subject = context.caller.requireAuthenticated();
    return developerMutation<RevokeUnusedResult>(
      context,
      (em) => revokeUnusedCredentials(serviceOps(context, em), context.caller, subject, input),
      () => ({ scheduledCredentials: [], revokeAt: null }),
    );
  }

  @Mutation(() => KeepCredentialPayload, {
    description:
      'Calls off a credential’s scheduled revocation for want of use (CREDENTIAL_REVOCATION_CANCELLED, reason KEPT); NOT_SCHEDULED when none is. ORG_ADMINs of the credential’s organization and portal admins; everyone else gets FORBIDDEN.',
  })
  async keepCredential(
    @Arg('input', () => KeepCredentialInput, { description: 'The credential to keep.' }) input: KeepCredentialInput,
    @Ctx() context: SubgraphContext,
  ): Promise<KeepCredentialPayload> {
    const subject = context.caller.requireAuthenticated();
    return developerMutation<{ credential: Credential | null }>(
      context,
      (em) => keepCredential(serviceOps(context, em), context.caller, subject, input),
      () => ({ credential: null }),
    );
  }

  @FieldResolver(() => Credential, { nullable: true, description: 'The credential (null once it no longer exists).' })
  credential(@Root() entry: AccessReviewEntry, @Ctx() context: SubgraphContext): Promise<Credential | null> {
    return credentialByIdLoader(context, 'accessReview').load(entry.credentialId);
  }

  @FieldResolver(() => App, { nullable: true, description: 'The credential’s app (null once it no longer exists).' })
  app(@Root() entry: AccessReviewEntry, @Ctx() context: SubgraphContext): Promise<App | null> {
    return appByIdLoader(context, 'accessReview').load(entry.appId);
  }

  @FieldResolver(() => Organization, { nullable: true, description: 'The credential’s organization (null once it no longer exists).' })
  organization(@Root() entry: AccessReviewEntry, @Ctx() context: SubgraphContext): Promise<Organization | null> {
    return organizationByIdLoader(context, 'accessReview').load(entry.organizationId);
  }

  @FieldResolver(() => Developer, { nullable: true, description: 'The owner’s developer profile (null when they have none).' })
  owner(@Root() entry: AccessReviewEntry, @Ctx() context: SubgraphContext): Promise<Developer | null> {
    return developerBySubjectLoader(context, 'accessReview').load(entry.ownerSubject);
  }
}

@Resolver(() => Credential)
export class CredentialRevocationResolver {
  @FieldResolver(() => ScheduledRevocation, {
    nullable: true,
    description:
      'A revocation for want of use scheduled by an access review (`revokeUnusedCredentials`): when, since when and why; null when none is scheduled.',
  })
  scheduledRevocation(@Root() credential: Credential): ScheduledRevocation | null {
    if (!credential.unusedRevocationDueAt) return null;
    return Object.assign(new ScheduledRevocation(), {
      revokeAt: credential.unusedRevocationDueAt,
      scheduledAt: credential.unusedRevocationScheduledAt ?? credential.unusedRevocationDueAt,
      reason: credential.unusedRevocationReason ?? '',
    });
  }
}
