import { Arg, Ctx, Field, ID, InputType, Mutation, Resolver } from 'type-graphql';
import { LockMode } from '@mikro-orm/core';
import { userError, UserErrorException } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import {
  checkIdempotencyKey,
  firstResultGone,
  idempotencyKeyDescription,
  idempotentCall,
  runIdempotent,
} from '../../../common/idempotency';
import type { SubgraphContext } from '../../../common/server';
import { Organization, OrganizationStatus } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { isUuid } from '../../../common/ids';
import { notFoundError } from '../services/authorize';
import { developerMutation } from '../profile';
import { payloadType } from '../../../common/payloads';
import { checkName, checkReason, checkSlug } from '../validation';
import { SLUG_TAKEN } from './organization.resolver';

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

type OrganizationResult = { organization: Organization | null };

/**
 * The status machine of organizations. A decision moves `from` one of the listed statuses `to`
 * another; repeating a decision that was already made (the organization is in `to`) changes
 * nothing and is not an error; anything else is INVALID_TRANSITION.
 */
const DECISIONS = {
  approve: { from: [OrganizationStatus.PENDING], to: OrganizationStatus.ACTIVE, hint: 'Only PENDING organizations can be approved' },
  reject: { from: [OrganizationStatus.PENDING], to: OrganizationStatus.REJECTED, hint: 'Only PENDING organizations can be rejected' },
  suspend: { from: [OrganizationStatus.ACTIVE], to: OrganizationStatus.SUSPENDED, hint: 'Only ACTIVE organizations can be suspended' },
  reactivate: {
    from: [OrganizationStatus.SUSPENDED],
    to: OrganizationStatus.ACTIVE,
    hint: 'Only SUSPENDED organizations can be reactivated (approve PENDING ones instead)',
  },
} as const;

type Decision = keyof typeof DECISIONS;

@Resolver()
export class OrganizationLifecycleResolver {
  @Mutation(() => RequestOrganizationPayload, {
    description:
      'Asks for a new organization. It starts PENDING with the caller as its ORG_ADMIN and becomes usable once a portal admin approves it. Any signed-in caller.',
  })
  async requestOrganization(
    @Arg('input', () => RequestOrganizationInput, { description: 'The organization to request.' }) input: RequestOrganizationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OrganizationResult> {
    const subject = context.caller.requireAuthenticated();
    return developerMutation<OrganizationResult>(
      context,
      async (em) => {
        const name = input.name.trim();
        const slug = input.slug.trim();
        const v = new Validation();
        checkName(v, name, 'input.name');
        checkSlug(v, slug, 'input.slug');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', subject, 'requestOrganization', input.idempotencyKey, { name, slug });
        return runIdempotent<OrganizationResult>(em, idempotency, context.clock.now(), {
          replay: async (first) => ({ organization: await em.findOneOrFail(Organization, { id: first.resultId }, { refresh: true }) }),
          resultOf: (result) => ({ id: result.organization!.id }),
          run: async () => {
            const at = context.clock.now();
            const organization = em.create(Organization, {
              name,
              slug,
              status: OrganizationStatus.PENDING,
              createdBy: subject,
              createdAt: at,
              updatedAt: at,
            });
            em.create(OrganizationMember, { organization, subject, role: OrganizationRole.ORG_ADMIN, createdAt: at });
            await em.flush();
            return { organization };
          },
        });
      },
      () => ({ organization: null }),
      { uniqueFields: SLUG_TAKEN },
    );
  }

  @Mutation(() => ApproveOrganizationPayload, {
    description: 'Approves a PENDING organization (it becomes ACTIVE). Approving it again changes nothing. Portal admins only.',
  })
  approveOrganization(
    @Arg('input', () => ApproveOrganizationInput, { description: 'The organization to approve.' }) input: ApproveOrganizationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OrganizationResult> {
    return decide(context, 'approve', input.id, null, input.idempotencyKey);
  }

  @Mutation(() => RejectOrganizationPayload, {
    description:
      'Rejects a PENDING organization with a reason (it becomes REJECTED). Rejecting it again changes nothing. Portal admins only.',
  })
  rejectOrganization(
    @Arg('input', () => RejectOrganizationInput, { description: 'The organization to reject and why.' }) input: RejectOrganizationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OrganizationResult> {
    return decide(context, 'reject', input.id, input.reason, input.idempotencyKey);
  }

  @Mutation(() => SuspendOrganizationPayload, {
    description:
      'Suspends an ACTIVE organization with a reason (it becomes SUSPENDED: members keep read access but cannot create or change anything). Suspending it again changes nothing. Portal admins only.',
  })
  suspendOrganization(
    @Arg('input', () => SuspendOrganizationInput, { description: 'The organization to suspend and why.' }) input: SuspendOrganizationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OrganizationResult> {
    return decide(context, 'suspend', input.id, input.reason);
  }

  @Mutation(() => ReactivateOrganizationPayload, {
    description:
      'Reactivates a SUSPENDED organization (it becomes ACTIVE again). Reactivating an ACTIVE one changes nothing. Portal admins only.',
  })
  reactivateOrganization(
    @Arg('input', () => ReactivateOrganizationInput, { description: 'The organization to reactivate.' }) input: ReactivateOrganizationInput,
    @Ctx() context: SubgraphContext,
  ): Promise<OrganizationResult> {
    return decide(context, 'reactivate', input.id, null);
  }
}

/**
 * Makes a decision. Repeating one changes nothing anyway; `idempotencyKey` (approve and reject)
 * adds what a repeat lacks: a retry gets the first result even after a later decision (a
 * suspension) instead of INVALID_TRANSITION, and the same key with another reason is refused.
 */
async function decide(
  context: SubgraphContext,
  decision: Decision,
  id: string,
  reasonInput: string | null,
  idempotencyKey: string | null | undefined = null,
): Promise<OrganizationResult> {
  const decidedBy = context.caller.requirePortalAdmin();
  const rule = DECISIONS[decision];
  return developerMutation<OrganizationResult>(
    context,
    async (em) => {
      const reason = reasonInput === null ? null : reasonInput.trim();
      const v = new Validation();
      if (reason !== null) checkReason(v, reason, 'input.reason');
      checkIdempotencyKey(v, idempotencyKey);
      v.done();
      const operation = `${decision}Organization`;
      const idempotency = idempotentCall('developers', decidedBy, operation, idempotencyKey, { id: id.toLowerCase(), reason });
      return runIdempotent<OrganizationResult>(em, idempotency, context.clock.now(), {
        replay: async (first) => {
          const organization = await em.findOne(Organization, { id: first.resultId }, { refresh: true });
          if (!organization) throw firstResultGone('organization');
          return { organization };
        },
        resultOf: (result) => ({ id: result.organization!.id }),
        run: async () => {
          const organization = isUuid(id)
            ? await em.findOne(Organization, { id: id.toLowerCase() }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true })
            : null;
          if (!organization) throw notFoundError('input.id', 'organization');
          if (organization.status === rule.to) return { organization }; // decided already: idempotent
          if (!(rule.from as readonly OrganizationStatus[]).includes(organization.status)) {
            throw new UserErrorException([userError('INVALID_TRANSITION', null, `${rule.hint}; this one is ${organization.status}.`)]);
          }
          organization.status = rule.to;
          organization.decidedBy = decidedBy;
          organization.decidedAt = context.clock.now();
          organization.decisionReason = reason;
          await em.flush();
          return { organization };
        },
      });
    },
    () => ({ organization: null }),
  );
}
