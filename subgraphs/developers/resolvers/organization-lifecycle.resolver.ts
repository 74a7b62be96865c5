import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SubgraphContext } from '../../../common/server';
import { developerMutation } from '../services/profile';
import { serviceOps } from '../../../common/ops';
import { decideOrganization, requestOrganization, SLUG_TAKEN, type Decision, type OrganizationResult } from '../services/organizations';
import {
  ApproveOrganizationInput,
  ApproveOrganizationPayload,
  ReactivateOrganizationInput,
  ReactivateOrganizationPayload,
  RejectOrganizationInput,
  RejectOrganizationPayload,
  RequestOrganizationInput,
  RequestOrganizationPayload,
  SuspendOrganizationInput,
  SuspendOrganizationPayload,
} from './organization-lifecycle.types';

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
      (em) => requestOrganization(serviceOps(context, em), subject, input),
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

/** Runs a portal admin's decision on an organization in its transaction. */
function decide(
  context: SubgraphContext,
  decision: Decision,
  id: string,
  reasonInput: string | null,
  idempotencyKey: string | null | undefined = null,
): Promise<OrganizationResult> {
  const decidedBy = context.caller.requirePortalAdmin();
  return developerMutation<OrganizationResult>(
    context,
    (em) => decideOrganization(serviceOps(context, em), decidedBy, decision, id, reasonInput, idempotencyKey),
    () => ({ organization: null }),
  );
}
