/** GraphQL types of the access review: unused credentials, their scheduled revocation, the daily report. */
import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { connectionType, PageArgs } from '../../../common/relay';
import { Credential } from '../entities/credential';

export const MAX_UNUSED_DAYS = 730;
export const MAX_NOTICE_DAYS = 90;
export const MAX_REVOKE_BATCH = 100;

@ObjectType({
  description:
    'An ACTIVE credential that has not been used for the review’s number of days (or never), with its app, organization and owner.',
})
export class AccessReviewEntry {
  @Field(() => ID, { description: 'The credential’s id.' })
  credentialId!: string;

  @Field(() => ID, { description: 'The id of the credential’s app.' })
  appId!: string;

  @Field(() => ID, { description: 'The id of the credential’s organization.' })
  organizationId!: string;

  @Field(() => String, { description: 'Token subject of the credential’s owner: the member whose access request it grants.' })
  ownerSubject!: string;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the credential was last used (any request, whatever its outcome), to the minute, from the usage records; null when it was never used.',
  })
  lastUsedAt!: Date | null;

  @Field(() => Date, { description: 'When the credential was issued.' })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When a revocation for want of use is due (`revokeUnusedCredentials`); null when none is scheduled.',
  })
  revokeAt!: Date | null;
}

export const AccessReviewEntryConnection = connectionType(AccessReviewEntry, 'AccessReviewEntry', 'access review entry');

@ArgsType()
export class AccessReviewArgs extends PageArgs {
  @Field(() => Int, {
    description: `List credentials issued at least this many days ago and not used since then (1–${MAX_UNUSED_DAYS}; BAD_USER_INPUT otherwise).`,
  })
  unusedForDays!: number;

  @Field(() => ID, {
    nullable: true,
    description: 'Only this organization’s credentials (ORG_ADMINs: one they administer; by default all they administer).',
  })
  organizationId?: string | null;
}

@ObjectType({ description: 'A credential’s revocation for want of use, scheduled by an access review.' })
export class ScheduledRevocation {
  @Field(() => Date, { description: 'When the credential will be revoked unless it is used or kept before then.' })
  revokeAt!: Date;

  @Field(() => Date, { description: 'When the revocation was scheduled (a use after it calls the revocation off).' })
  scheduledAt!: Date;

  @Field(() => String, { description: 'Why it was scheduled (the words of who scheduled it).' })
  reason!: string;
}

@InputType({ description: 'Which unused credentials to revoke, after how much notice, and why.' })
export class RevokeUnusedCredentialsInput {
  @Field(() => [ID], {
    description: `The credentials (1–${MAX_REVOKE_BATCH}, from \`accessReview\`); each must be ACTIVE and unused for \`unusedForDays\`.`,
  })
  credentialIds!: string[];

  @Field(() => Int, {
    description: `The review’s number of days (1–${MAX_UNUSED_DAYS}): a credential used (or issued) more recently is refused with CREDENTIAL_IN_USE.`,
  })
  unusedForDays!: number;

  @Field(() => Int, { description: `Days of notice before the revocation (1–${MAX_NOTICE_DAYS}); the organization is told at once.` })
  noticeDays!: number;

  @Field(() => String, { description: 'Why (1–1000 characters); sent to the organization and recorded in the audit log.' })
  reason!: string;
}

@ObjectType({ description: 'Result of `revokeUnusedCredentials`.' })
export class RevokeUnusedCredentialsPayload {
  @Field(() => [Credential], {
    description:
      'The credentials, each with its `scheduledRevocation` (one scheduled already keeps its own date and is not announced again); empty when `errors` is not empty.',
  })
  scheduledCredentials!: Credential[];

  @Field(() => Date, {
    nullable: true,
    description: 'When the newly scheduled ones will be revoked unless used or kept; null when `errors` is not empty.',
  })
  revokeAt!: Date | null;

  @Field(() => [UserError], { description: 'Why nothing was scheduled; empty on success.' })
  errors!: UserError[];
}

@InputType({ description: 'The credential to keep.' })
export class KeepCredentialInput {
  @Field(() => ID, { description: 'Credential id (with a revocation for want of use scheduled).' })
  credentialId!: string;
}

@ObjectType({ description: 'Result of `keepCredential`.' })
export class KeepCredentialPayload {
  @Field(() => Credential, {
    nullable: true,
    description: 'The credential, no longer scheduled for revocation; null when `errors` is not empty.',
  })
  credential!: Credential | null;

  @Field(() => [UserError], { description: 'Why it was not kept; empty on success.' })
  errors!: UserError[];
}

@ObjectType({
  description:
    'The daily access review report: the ACTIVE credentials unused for ACCESS_REVIEW_UNUSED_DAYS days when it was made (at most one report per UTC day).',
})
export class AccessReviewReport {
  @Field(() => ID, { description: 'Stable identifier (UUID).' })
  id!: string;

  @Field(() => Date, { description: 'When the report was made.' })
  generatedAt!: Date;

  @Field(() => Int, { description: 'The number of days without use it looked for.' })
  unusedForDays!: number;

  @Field(() => Int, { description: 'How many credentials were unused that long, over all organizations.' })
  credentialCount!: number;

  @Field(() => Int, { description: 'How many organizations they belong to.' })
  organizationCount!: number;

  @Field(() => Boolean, { description: 'True when `entries` holds only the first 1000 of `credentialCount`.' })
  truncated!: boolean;

  @Field(() => [AccessReviewEntry], {
    description: 'The credentials as they were when the report was made (oldest first; `revokeAt` as scheduled then).',
  })
  entries!: AccessReviewEntry[];

  /** Keyset order of the reports' connection (newest first). */
  createdAt!: Date;
}

export const AccessReviewReportConnection = connectionType(AccessReviewReport, 'AccessReviewReport', 'access review report');
