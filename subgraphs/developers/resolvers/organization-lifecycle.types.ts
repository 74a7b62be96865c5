/** GraphQL inputs and payloads of the organization lifecycle: request, approve, reject, suspend, reactivate. */
import { Field, ID, InputType } from 'type-graphql';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { payloadType } from '../../../common/payloads';
import { Organization } from '../entities/organization';

@InputType({ description: 'An organization a developer asks for; a portal admin approves or rejects it.' })
export class RequestOrganizationInput {
  @Field(() => String, { description: 'Display name, 1–120 characters.' })
  name!: string;

  @Field(() => String, {
    description: 'Unique URL-safe slug: lowercase letters, digits and single hyphens, at most 64 characters (`acme-corp`).',
  })
  slug!: string;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same organization, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which organization to approve.' })
export class ApproveOrganizationInput {
  @Field(() => ID, { description: 'Organization id.' })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same organization, as it is now (without a key, approving an ACTIVE organization again also changes nothing)',
    ),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which organization to reject, and why.' })
export class RejectOrganizationInput {
  @Field(() => ID, { description: 'Organization id.' })
  id!: string;

  @Field(() => String, { description: "Why the request is turned down, 1–1000 characters; shown to the organization's ORG_ADMINs." })
  reason!: string;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same organization, as it is now (the reason compared after trimming; without a key, rejecting a REJECTED organization again also changes nothing and keeps the first reason)',
    ),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which organization to suspend, and why.' })
export class SuspendOrganizationInput {
  @Field(() => ID, { description: 'Organization id.' })
  id!: string;

  @Field(() => String, { description: "Why the organization is suspended, 1–1000 characters; shown to the organization's ORG_ADMINs." })
  reason!: string;
}

@InputType({ description: 'Which suspended organization to reactivate.' })
export class ReactivateOrganizationInput {
  @Field(() => ID, { description: 'Organization id.' })
  id!: string;
}

const what = 'The organization';
export const RequestOrganizationPayload = payloadType(
  'RequestOrganizationPayload',
  'requestOrganization',
  'organization',
  Organization,
  'The requested (PENDING) organization',
);
export const ApproveOrganizationPayload = payloadType(
  'ApproveOrganizationPayload',
  'approveOrganization',
  'organization',
  Organization,
  what,
);
export const RejectOrganizationPayload = payloadType('RejectOrganizationPayload', 'rejectOrganization', 'organization', Organization, what);
export const SuspendOrganizationPayload = payloadType(
  'SuspendOrganizationPayload',
  'suspendOrganization',
  'organization',
  Organization,
  what,
);
export const ReactivateOrganizationPayload = payloadType(
  'ReactivateOrganizationPayload',
  'reactivateOrganization',
  'organization',
  Organization,
  what,
);
