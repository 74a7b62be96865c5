/** GraphQL inputs, payloads and the connection of the access-request operations. */
import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { UserError } from '../../../common/errors';
import { idempotencyKeyDescription } from '../../../common/idempotency';
import { connectionType } from '../../../common/relay';
import { AccessRequest, AccessRequestStatus } from '../entities/access-request';
import { Credential } from '../entities/credential';
import { payloadType } from '../../../common/payloads';
import { MAX_PRODUCTS_PER_REQUEST } from '../settings';

export const AccessRequestConnection = connectionType(AccessRequest, 'AccessRequest', 'access request');

@InputType({ description: 'Access for an app to one or more products under one plan.' })
export class RequestAccessInput {
  @Field(() => ID, { description: 'The app that is to use the products (of an ACTIVE organization you belong to).' })
  appId!: string;

  @Field(() => ID, { description: 'The plan: PUBLISHED and offered in a catalog your organization may see.' })
  planId!: string;

  @Field(() => [ID], {
    description: `The products (1–${MAX_PRODUCTS_PER_REQUEST}; duplicates count once): PUBLISHED and in a catalog your organization may see that also offers the plan.`,
  })
  productIds!: string[];

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription(
      'the same access request and credential, `secret` null (the same app, plan and products in any order and case are the same input)',
    ),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which access request to approve.' })
export class ApproveAccessRequestInput {
  @Field(() => ID, { description: 'Access request id.' })
  id!: string;

  @Field(() => String, { nullable: true, description: idempotencyKeyDescription('the same access request, as it is now') })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which access request to reject, and why.' })
export class RejectAccessRequestInput {
  @Field(() => ID, { description: 'Access request id.' })
  id!: string;

  @Field(() => String, { description: "Why it is turned down, 1–1000 characters; shown to the organization's members." })
  reason!: string;

  @Field(() => String, {
    nullable: true,
    description: idempotencyKeyDescription('the same access request, as it is now (the reason compared after trimming)'),
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'Which access request to withdraw.' })
export class CancelAccessRequestInput {
  @Field(() => ID, { description: 'Access request id.' })
  id!: string;
}

@InputType({ description: 'Filters for `accessRequests`.' })
export class AccessRequestFilter {
  @Field(() => [AccessRequestStatus], { nullable: true, description: 'Only requests with one of these statuses.' })
  status?: AccessRequestStatus[] | null;

  @Field(() => ID, { nullable: true, description: 'Only requests of this organization.' })
  organizationId?: string | null;
}

@ObjectType({ description: 'Result of `requestAccess`.' })
export class RequestAccessPayload {
  @Field(() => AccessRequest, {
    nullable: true,
    description: 'The new request (APPROVED at once for auto-approve plans, else PENDING); null when `errors` is not empty.',
  })
  accessRequest!: AccessRequest | null;

  @Field(() => Credential, {
    nullable: true,
    description:
      'For auto-approve plans: the credential the approval granted (new, or moved to the plan by a PLAN_CHANGE); null otherwise.',
  })
  credential!: Credential | null;

  @Field(() => String, {
    nullable: true,
    description:
      'For auto-approve plans that issued a new credential: its secret (API key), shown this once and never again — store it now. Null otherwise (after a manual approval a member reveals it once with `revealCredentialSecret`), and null on a retry with the same `idempotencyKey`: the secret was delivered in the first response only and is never revealed twice (a lost first response means rotating the credential).',
  })
  secret!: string | null;

  @Field(() => [UserError], { description: 'Why nothing was requested; empty on success.' })
  errors!: UserError[];
}

export const ApproveAccessRequestPayload = payloadType(
  'ApproveAccessRequestPayload',
  'approveAccessRequest',
  'accessRequest',
  AccessRequest,
  'The approved access request',
);
export const RejectAccessRequestPayload = payloadType(
  'RejectAccessRequestPayload',
  'rejectAccessRequest',
  'accessRequest',
  AccessRequest,
  'The rejected access request',
);
export const CancelAccessRequestPayload = payloadType(
  'CancelAccessRequestPayload',
  'cancelAccessRequest',
  'accessRequest',
  AccessRequest,
  'The cancelled access request',
);
