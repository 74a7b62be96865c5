import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { type FilterQuery } from '@mikro-orm/core';
import { visibleCatalogIds } from '../../../common/audience';
import { badInput } from '../../../common/errors';
import { PageArgs, paginate } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { AccessRequest, AccessRequestStatus } from '../entities/access-request';
import { App } from '../entities/app';
import { Credential } from '../entities/credential';
import { Developer } from '../entities/developer';
import { Organization } from '../entities/organization';
import { OrganizationMember } from '../entities/organization-member';
import { PlanRef, planRef, ProductRef, productRefs } from '../entities/refs';
import {
  developerBySubjectLoader,
  organizationByIdLoader,
  appByIdLoader,
  credentialByIdLoader,
  loadVisibleAccessRequest,
  appVisibleCondition,
  bothConditions,
} from '../data/loaders';
import { isOrganizationAdmin, requireOrganizationMember } from '../services/authorize';
import { isUuid } from '../../../common/ids';
import { serviceOps } from '../../../common/ops';
import { childConnection, readCursor } from '../data/pagination';
import { developerMutation } from '../services/profile';
import { accessRequestCondition } from '../data/access-requests';
import {
  approveAccessRequest,
  cancelAccessRequest,
  rejectAccessRequest,
  requestAccess,
  type DecisionResult,
  type RequestResult,
} from '../services/access-requests';
import {
  AccessRequestConnection,
  AccessRequestFilter,
  ApproveAccessRequestInput,
  ApproveAccessRequestPayload,
  CancelAccessRequestInput,
  CancelAccessRequestPayload,
  RejectAccessRequestInput,
  RejectAccessRequestPayload,
  RequestAccessInput,
  RequestAccessPayload,
} from './access-request.types';

@Resolver(() => AccessRequest)
export class AccessRequestResolver {
  @Query(() => AccessRequest, {
    nullable: true,
    description:
      'One access request by id. Members of its organization and portal admins get it; everyone else gets null, whether or not it exists.',
  })
  accessRequest(
    @Arg('id', () => ID, { description: 'Access request id (a UUID; anything else is BAD_USER_INPUT).' }) id: string,
    @Ctx() context: SubgraphContext,
  ): Promise<AccessRequest | null> {
    return loadVisibleAccessRequest(context, id);
  }

  @Query(() => AccessRequestConnection, {
    description:
      "Access requests the caller may see, oldest first: portal admins see all; a signed-in developer sees those of their organizations' apps they may see (`App.visibility`). Anonymous callers get UNAUTHENTICATED.",
  })
  async accessRequests(
    @Args(() => PageArgs) page: PageArgs,
    @Arg('filter', () => AccessRequestFilter, { nullable: true, description: 'Narrow the list.' }) filter: AccessRequestFilter | null,
    @Ctx() context: SubgraphContext,
  ) {
    const subject = context.caller.requireAuthenticated();
    if (page.after) readCursor(page.after);
    const where: FilterQuery<AccessRequest>[] = [{ appId: { $ne: null } }];
    if (!context.caller.isPortalAdmin) {
      const memberships = await context.em.find(OrganizationMember, { subject });
      where.push({ organizationId: { $in: memberships.map((m) => m.organization.id) } });
      // The apps of those organizations the caller may see (`App.visibility`): ids only, no entities.
      const rule = appVisibleCondition(context, 'a.id');
      const apps = await context.em
        .getConnection()
        .execute<{ id: string }[]>(`select a.id from developers.app a where a.organization_id in (?) and ${rule.sql}`, [
          memberships.length ? memberships.map((m) => m.organization.id) : [null],
          ...rule.params,
        ]);
      where.push({ appId: { $in: apps.map((a) => a.id) } });
    }
    if (filter?.organizationId !== null && filter?.organizationId !== undefined) {
      if (!isUuid(filter.organizationId)) throw badInput('filter.organizationId', 'Pass an organization id (a UUID).');
      where.push({ organizationId: filter.organizationId.toLowerCase() });
    }
    if (filter?.status?.length) where.push({ status: { $in: filter.status } });
    return paginate(context.em, AccessRequest, { $and: where }, page);
  }

  @FieldResolver(() => App, { description: 'The app that is to use the products.' })
  async app(@Root() request: AccessRequest, @Ctx() context: SubgraphContext): Promise<App> {
    return (await appByIdLoader(context, 'accessRequest').load(request.appId!))!;
  }

  @FieldResolver(() => Organization, { description: 'The organization of the app.' })
  async organization(@Root() request: AccessRequest, @Ctx() context: SubgraphContext): Promise<Organization> {
    return (await organizationByIdLoader(context, 'accessRequest').load(request.organizationId))!;
  }

  @FieldResolver(() => PlanRef, { description: 'The plan requested (select its name, quota and rate limit through the gateway).' })
  plan(@Root() request: AccessRequest): PlanRef {
    return planRef(request.planId);
  }

  @FieldResolver(() => [ProductRef], { description: 'The products requested.' })
  products(@Root() request: AccessRequest): ProductRef[] {
    return productRefs(request.productIds);
  }

  @FieldResolver(() => Developer, { nullable: true, description: 'The member who asked; null if they have no profile any more.' })
  requestedBy(@Root() request: AccessRequest, @Ctx() context: SubgraphContext): Promise<Developer | null> {
    return developerBySubjectLoader(context, 'accessRequest').load(request.requestedBy);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Token subject of who decided: the portal admin who approved or rejected it, or the member who cancelled it; null while PENDING and for automatic approvals. Readable by portal admins and the organization's ORG_ADMINs; null for everyone else.",
  })
  async decidedBy(@Root() request: AccessRequest, @Ctx() context: SubgraphContext): Promise<string | null> {
    return (await isOrganizationAdmin(context, request.organizationId)) ? request.decidedBy : null;
  }

  @FieldResolver(() => Credential, {
    nullable: true,
    description: 'The credential the approval granted (for a PLAN_CHANGE: the credential moved to this plan); null unless APPROVED.',
  })
  credential(@Root() request: AccessRequest, @Ctx() context: SubgraphContext): Promise<Credential | null> | null {
    return request.credentialId ? credentialByIdLoader(context, 'accessRequest').load(request.credentialId) : null;
  }

  @Mutation(() => RequestAccessPayload, {
    description: [
      "Requests access for an app to products under a plan. Members (any role) of the app's ACTIVE organization only; anyone else gets FORBIDDEN.",
      'Refusals (nothing is written): NOT_FOUND on `input.planId` for a plan that does not exist or is not offered to the organization (the same answer for both);',
      'PLAN_NOT_PUBLISHED; NOT_FOUND / PRODUCT_NOT_AVAILABLE on `input.productIds[i]` for products that are unknown or not visible / not published or not offered with the plan;',
      'ALREADY_EXISTS when the app has a PENDING request for the plan; ALREADY_GRANTED when the app has an ACTIVE credential for exactly these products under the plan;',
      'PLAN_ACCESS_QUOTA_EXCEEDED (message starts with "Plan access quota exceeded", `retryAfter` in seconds) when the organization has used the plan\'s access-request limit:',
      'every request of the organization for the plan within the renewal interval counts, whatever became of it (rejected and cancelled ones too).',
      'If the app has an ACTIVE credential for exactly these products under another plan, the request is a PLAN_CHANGE.',
      'Auto-approve plans approve at once: the result then carries the credential and, for a new one, its secret (shown once). Otherwise the request waits PENDING for a portal admin.',
      'Retries: with `input.idempotencyKey` a retry by the same caller within 24 hours returns the first result (secret null) instead of ALREADY_EXISTS or a second request.',
    ].join(' '),
  })
  async requestAccess(
    @Arg('input', () => RequestAccessInput, { description: 'The app, plan and products.' }) input: RequestAccessInput,
    @Ctx() context: SubgraphContext,
  ): Promise<RequestResult> {
    const subject = context.caller.requireAuthenticated();
    // Read before the transaction: a second pool connection taken inside it could starve the pool under load.
    const callerCatalogs = context.caller.isPortalAdmin ? null : await visibleCatalogIds(context);
    return developerMutation<RequestResult>(
      context,
      (em, developer) => requestAccess(serviceOps(context, em), { subject, requestedBy: developer.subject, callerCatalogs }, input),
      () => ({ accessRequest: null, credential: null, secret: null }),
      {
        uniqueFields: {
          access_request_pending_key: {
            field: 'input.planId',
            message: 'The app has a PENDING access request for this plan already: wait for its decision or cancel it.',
          },
        },
      },
    );
  }

  @Mutation(() => ApproveAccessRequestPayload, {
    description:
      "Approves a PENDING access request: NEW_ACCESS issues a credential (its secret is NOT shown to the approver; a member of the organization reveals it once with `revealCredentialSecret`), PLAN_CHANGE moves the app's credential to the plan (same id and secret). Approving it again changes nothing; approving a REJECTED or CANCELLED request is INVALID_TRANSITION. Refused with PLAN_NOT_PUBLISHED when the plan is no longer published. Portal admins only (ORG_ADMINs cannot decide requests).",
  })
  async approveAccessRequest(
    @Arg('input', () => ApproveAccessRequestInput, { description: 'The access request to approve.' }) input: ApproveAccessRequestInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DecisionResult> {
    const decidedBy = context.caller.requirePortalAdmin();
    return developerMutation<DecisionResult>(
      context,
      (em) => approveAccessRequest(serviceOps(context, em), decidedBy, input),
      () => ({ accessRequest: null }),
    );
  }

  @Mutation(() => RejectAccessRequestPayload, {
    description:
      'Rejects a PENDING access request with a reason. Rejecting it again changes nothing (the first reason stays); rejecting an APPROVED or CANCELLED request is INVALID_TRANSITION. Portal admins only (ORG_ADMINs cannot decide requests).',
  })
  async rejectAccessRequest(
    @Arg('input', () => RejectAccessRequestInput, { description: 'The access request to reject and why.' }) input: RejectAccessRequestInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DecisionResult> {
    const decidedBy = context.caller.requirePortalAdmin();
    return developerMutation<DecisionResult>(
      context,
      (em) => rejectAccessRequest(serviceOps(context, em), decidedBy, input),
      () => ({ accessRequest: null }),
    );
  }

  @Mutation(() => CancelAccessRequestPayload, {
    description:
      "Withdraws a PENDING access request (it still counts towards the plan's access-request limit). Cancelling it again changes nothing; an APPROVED or REJECTED request cannot be cancelled (INVALID_TRANSITION). Members (any role) of its organization only; anyone else gets FORBIDDEN.",
  })
  async cancelAccessRequest(
    @Arg('input', () => CancelAccessRequestInput, { description: 'The access request to withdraw.' }) input: CancelAccessRequestInput,
    @Ctx() context: SubgraphContext,
  ): Promise<DecisionResult> {
    const subject = context.caller.requireAuthenticated();
    return developerMutation<DecisionResult>(
      context,
      (em) => cancelAccessRequest(serviceOps(context, em), subject, input),
      () => ({ accessRequest: null }),
    );
  }
}

/** `Organization.accessRequests` and `App.accessRequests`. */
@Resolver(() => Organization)
export class OrganizationAccessRequestsResolver {
  @FieldResolver(() => AccessRequestConnection, {
    nullable: true,
    description:
      "The organization's access requests, oldest first (those of apps the caller may see). Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
  })
  async accessRequests(
    @Root() organization: Organization,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [AccessRequestStatus], { nullable: true, description: 'Only requests with one of these statuses (default: all).' })
    status: AccessRequestStatus[] | null,
    @Ctx() context: SubgraphContext,
  ) {
    await requireOrganizationMember(context, organization.id);
    return childConnection<AccessRequest>(
      context,
      {
        entity: AccessRequest,
        table: 'developers.access_request',
        parentColumn: 'organization_id',
        where: bothConditions(accessRequestCondition(status), appVisibleCondition(context, 't.app_id')),
      },
      organization.id,
      page,
    );
  }
}

@Resolver(() => App)
export class AppAccessRequestsResolver {
  @FieldResolver(() => AccessRequestConnection, {
    description: "The app's access requests, oldest first (whoever can see the app: its organization's members and portal admins).",
  })
  async accessRequests(
    @Root() app: App,
    @Args(() => PageArgs) page: PageArgs,
    @Arg('status', () => [AccessRequestStatus], { nullable: true, description: 'Only requests with one of these statuses (default: all).' })
    status: AccessRequestStatus[] | null,
    @Ctx() context: SubgraphContext,
  ) {
    return childConnection<AccessRequest>(
      context,
      { entity: AccessRequest, table: 'developers.access_request', parentColumn: 'app_id', where: accessRequestCondition(status) },
      app.id,
      page,
    );
  }
}
