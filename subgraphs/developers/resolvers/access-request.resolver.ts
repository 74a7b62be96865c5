import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { visibleCatalogIds } from '../../../common/audience';
import { badInput, UserError } from '../../../common/errors';
import { Validation } from '../../../common/mutation';
import { connectionType, PageArgs, paginate } from '../../../common/relay';
import type { SubgraphContext } from '../../../common/server';
import { AccessRequest, AccessRequestKind, AccessRequestStatus } from '../entities/access-request';
import { App } from '../entities/app';
import { Credential, StoredCredentialStatus } from '../entities/credential';
import { Developer } from '../entities/developer';
import { Organization } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { PlanRef, planRef, ProductRef, productRefs } from '../entities/refs';
import {
  developerBySubjectLoader,
  forbidden,
  isOrganizationAdmin,
  isUuid,
  organizationByIdLoader,
  requireOrganizationMember,
} from '../access';
import { notFoundError, requireActive } from '../authorize';
import { appByIdLoader, credentialByIdLoader, isMember, loadVisibleAccessRequest } from '../grant-loaders';
import { approveRequest, isCurrent, refuse, sameProducts, type Ops } from '../grants';
import { AccessRequestEventType, emitAccessEvent } from '../events';
import { loadPlanOffer, loadProductOffers, organizationCatalogIds, type PlanOffer } from '../offer';
import { childConnection, readCursor, type SqlCondition } from '../pagination';
import { payloadType } from '../payloads';
import { developerMutation } from '../profile';
import { MAX_PRODUCTS_PER_REQUEST } from '../settings';
import { checkReason } from '../validation';
import {
  checkIdempotencyKey,
  IdempotentCall,
  idempotencyKeyDescription,
  idempotentCall,
  requestHash,
  runIdempotent,
} from '../../../common/idempotency';

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

type RequestResult = { accessRequest: AccessRequest | null; credential: Credential | null; secret: string | null };
type DecisionResult = { accessRequest: AccessRequest | null };

/** SQL for `status in (…)` on `developers.access_request t`, hiding requests of deleted apps. */
export function accessRequestCondition(statuses: AccessRequestStatus[] | null | undefined): SqlCondition {
  const unique = [...new Set(statuses ?? [])].sort();
  if (!unique.length) return { key: 'live', sql: 't.app_id is not null', params: [] };
  return { key: unique.join(','), sql: 't.app_id is not null and t.status in (?)', params: [unique] };
}

/** Lowercased, de-duplicated product ids with their input positions; refuses bad lists. */
function readProductIds(v: Validation, ids: string[]): { id: string; index: number }[] {
  v.check(ids.length >= 1, 'input.productIds', 'Name at least one product.');
  v.check(ids.length <= MAX_PRODUCTS_PER_REQUEST, 'input.productIds', `Name at most ${MAX_PRODUCTS_PER_REQUEST} products.`);
  const seen = new Set<string>();
  const out: { id: string; index: number }[] = [];
  ids.forEach((raw, index) => {
    const id = raw.trim().toLowerCase();
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ id, index });
  });
  return out;
}

const NO_PLAN = 'No plan you can request has this id: check the id, or pick a plan from a catalog your organization can see.';

/**
 * Checks the plan and products against the published views: visible to the organization (through
 * `catalogs`), PUBLISHED, and every product offered together with the plan in a visible catalog.
 * Collects every refusal (nothing is written when any is found).
 */
async function checkOffer(
  em: EntityManager,
  v: Validation,
  planId: string,
  products: { id: string; index: number }[],
  catalogs: ReadonlySet<string>,
): Promise<PlanOffer | null> {
  const plan = isUuid(planId) ? await loadPlanOffer(em, planId.toLowerCase()) : null;
  const planVisible = plan !== null && plan.catalogIds.some((id) => catalogs.has(id));
  if (!plan || !planVisible) v.fail('input.planId', NO_PLAN, 'NOT_FOUND');
  else if (plan.status !== 'PUBLISHED') {
    v.fail(
      'input.planId',
      `This plan is ${plan.status}, not PUBLISHED: access can only be requested under published plans.`,
      'PLAN_NOT_PUBLISHED',
    );
  }
  const offers = await loadProductOffers(
    em,
    products.filter((p) => isUuid(p.id)).map((p) => p.id),
  );
  for (const { id, index } of products) {
    const field = `input.productIds[${index}]`;
    const offer = offers.get(id);
    const shownIn = offer ? offer.catalogIds.filter((c) => catalogs.has(c)) : [];
    if (!offer || !shownIn.length) v.fail(field, 'No product you can request has this id: check the id.', 'NOT_FOUND');
    else if (offer.status !== 'PUBLISHED')
      v.fail(field, `This product is ${offer.status}, not PUBLISHED: it cannot be requested.`, 'PRODUCT_NOT_AVAILABLE');
    else if (plan && planVisible && !shownIn.some((c) => plan.catalogIds.includes(c))) {
      v.fail(
        field,
        'This product is not offered under this plan: pick a plan from a catalog that also offers the product.',
        'PRODUCT_NOT_AVAILABLE',
      );
    }
  }
  return plan && planVisible ? plan : null;
}

/**
 * The plan's access-request limit: the organization's requests for the plan created within the
 * last `renewal` seconds (every status counts: rejected and cancelled ones too). Call while holding
 * the (organization, plan) lock.
 */
async function checkAccessRequestLimit(em: EntityManager, organizationId: string, plan: PlanOffer, now: Date): Promise<void> {
  const allowance = plan.accessRequestAllowance;
  const renewal = plan.accessRequestRenewalSeconds;
  if (allowance === null || renewal === null) return;
  const counted = await em.getConnection().execute<{ created_at: Date }[]>(
    `select created_at from developers.access_request
        where organization_id = ? and plan_id = ? and created_at > ?
        order by created_at, id`,
    [organizationId, plan.id, new Date(now.getTime() - renewal * 1000)],
    'all',
    em.getTransactionContext(),
  );
  if (counted.length < allowance) return;
  // The request whose leaving the window brings the count below the allowance (the oldest one
  // when the count equals the allowance, which the lock guarantees unless the plan lowered it).
  const leaving = new Date(counted[counted.length - allowance].created_at);
  const retryAfter = Math.max(1, Math.ceil((leaving.getTime() + renewal * 1000 - now.getTime()) / 1000));
  throw refuse(
    'PLAN_ACCESS_QUOTA_EXCEEDED',
    'input.planId',
    `Plan access quota exceeded: your organization may make ${allowance} access request(s) for this plan every ${renewal} seconds (rejected and cancelled requests count too). Try again in ${retryAfter} seconds.`,
    retryAfter,
  );
}

/** Serialises access requests of one organization for one plan until the transaction ends. */
async function lockOrganizationPlan(em: EntityManager, organizationId: string, planId: string): Promise<void> {
  await em
    .getConnection()
    .execute(
      'select pg_advisory_xact_lock(hashtextextended(?, 0))',
      [`developers:access-request:${organizationId}:${planId}`],
      'all',
      em.getTransactionContext(),
    );
}

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
      'Access requests the caller may see, oldest first: portal admins see all; a signed-in developer sees those of their organizations. Anonymous callers get UNAUTHENTICATED.',
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
      async (em, developer) => {
        const now = context.clock.now();
        const app = isUuid(input.appId) ? await em.findOne(App, { id: input.appId.toLowerCase() }) : null;
        if (!app || !(await isMember(em, app.organization.id, subject))) {
          throw forbidden("Only members of the app's organization may request access for it.", OrganizationRole.MEMBER);
        }
        const organization = await em.findOneOrFail(Organization, { id: app.organization.id }, { refresh: true });
        const v = new Validation();
        const products = readProductIds(v, input.productIds);
        checkIdempotencyKey(v, input.idempotencyKey, 'input.idempotencyKey');
        v.done();
        const idempotency = input.idempotencyKey
          ? new IdempotentCall(
              'developers',
              subject,
              'requestAccess',
              input.idempotencyKey,
              requestHash({ appId: app.id, planId: input.planId.trim().toLowerCase(), productIds: products.map((p) => p.id).sort() }),
            )
          : null;
        const first = await idempotency?.find(em, now);
        if (first) {
          const request = await em.findOneOrFail(AccessRequest, { id: first.resultId }, { refresh: true });
          const credential = request.credentialId ? await em.findOne(Credential, { id: request.credentialId }) : null;
          return { accessRequest: request, credential, secret: null };
        }
        requireActive(organization, 'input.appId');
        const offered = await organizationCatalogIds(em, organization.id, subject);
        const catalogs = callerCatalogs ? new Set([...offered].filter((id) => callerCatalogs.has(id))) : offered;
        const plan = await checkOffer(em, v, input.planId, products, catalogs);
        v.done();
        const productIds = products.map((p) => p.id).sort();

        await lockOrganizationPlan(em, organization.id, plan!.id);
        const pending = await em.findOne(AccessRequest, { appId: app.id, planId: plan!.id, status: AccessRequestStatus.PENDING });
        if (pending) {
          throw refuse(
            'ALREADY_EXISTS',
            'input.planId',
            'The app has a PENDING access request for this plan already: wait for its decision or cancel it.',
          );
        }
        const live = await em.find(
          Credential,
          { appId: app.id, status: StoredCredentialStatus.ACTIVE, revokesAt: null },
          { orderBy: { createdAt: 'desc', id: 'desc' } },
        );
        const current = live.filter((c) => isCurrent(c, now) && sameProducts(c.productIds, productIds));
        if (current.some((c) => c.planId === plan!.id)) {
          throw refuse(
            'ALREADY_GRANTED',
            'input.planId',
            'The app has an ACTIVE credential for exactly these products under this plan already.',
          );
        }
        const changeFrom = current.find((c) => c.planId !== plan!.id) ?? null;
        await checkAccessRequestLimit(em, organization.id, plan!, now);

        const request = em.create(AccessRequest, {
          appId: app.id,
          organizationId: organization.id,
          planId: plan!.id,
          productIds,
          kind: changeFrom ? AccessRequestKind.PLAN_CHANGE : AccessRequestKind.NEW_ACCESS,
          status: AccessRequestStatus.PENDING,
          requestedBy: developer.subject,
          changeCredentialId: changeFrom?.id ?? null,
          createdAt: now,
          updatedAt: now,
        });
        await em.flush();
        await emitAccessEvent(context.pubsub, em, {
          type: AccessRequestEventType.REQUESTED,
          organizationId: organization.id,
          accessRequestId: request.id,
          at: now,
        });
        await idempotency?.store(em, request.id, now);
        if (!plan!.autoApprove) return { accessRequest: request, credential: null, secret: null };
        const ops: Ops = { em, pubsub: context.pubsub, now, env: context.env };
        const { credential, secret } = await approveRequest(ops, request, plan!, null);
        return { accessRequest: request, credential, secret };
      },
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
      async (em) => {
        const now = context.clock.now();
        const idempotency = idempotentCall('developers', decidedBy, 'approveAccessRequest', input.idempotencyKey, {
          id: input.id.toLowerCase(),
        });
        return runIdempotent(em, idempotency, now, {
          replay: async (first) => ({ accessRequest: await em.findOneOrFail(AccessRequest, { id: first.resultId }, { refresh: true }) }),
          resultOf: (result) => ({ id: result.accessRequest!.id }),
          run: async () => {
            const request = await lockRequest(em, input.id);
            if (request.status === AccessRequestStatus.APPROVED) return { accessRequest: request }; // decided already: idempotent
            if (request.status !== AccessRequestStatus.PENDING) {
              throw refuse('INVALID_TRANSITION', null, `Only PENDING access requests can be approved; this one is ${request.status}.`);
            }
            const organization = await em.findOneOrFail(Organization, { id: request.organizationId });
            requireActive(organization);
            const plan = await loadPlanOffer(em, request.planId);
            if (!plan || plan.status !== 'PUBLISHED') {
              throw refuse('PLAN_NOT_PUBLISHED', null, `The plan is ${plan?.status ?? 'gone'}, not PUBLISHED: reject the request instead.`);
            }
            await approveRequest({ em, pubsub: context.pubsub, now, env: context.env }, request, plan, decidedBy);
            return { accessRequest: request };
          },
        });
      },
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
      async (em) => {
        const now = context.clock.now();
        const reason = input.reason.trim();
        const v = new Validation();
        checkReason(v, reason, 'input.reason');
        checkIdempotencyKey(v, input.idempotencyKey);
        v.done();
        const idempotency = idempotentCall('developers', decidedBy, 'rejectAccessRequest', input.idempotencyKey, {
          id: input.id.toLowerCase(),
          reason,
        });
        return runIdempotent(em, idempotency, now, {
          replay: async (first) => ({ accessRequest: await em.findOneOrFail(AccessRequest, { id: first.resultId }, { refresh: true }) }),
          resultOf: (result) => ({ id: result.accessRequest!.id }),
          run: async () => {
            const request = await lockRequest(em, input.id);
            if (request.status === AccessRequestStatus.REJECTED) return { accessRequest: request }; // decided already: idempotent
            if (request.status !== AccessRequestStatus.PENDING) {
              throw refuse('INVALID_TRANSITION', null, `Only PENDING access requests can be rejected; this one is ${request.status}.`);
            }
            request.status = AccessRequestStatus.REJECTED;
            request.decidedBy = decidedBy;
            request.decidedAt = now;
            request.decisionReason = reason;
            request.updatedAt = now;
            await em.flush();
            await emitAccessEvent(context.pubsub, em, {
              type: AccessRequestEventType.REJECTED,
              organizationId: request.organizationId,
              accessRequestId: request.id,
              at: now,
            });
            return { accessRequest: request };
          },
        });
      },
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
      async (em) => {
        const now = context.clock.now();
        const found = isUuid(input.id) ? await em.findOne(AccessRequest, { id: input.id.toLowerCase(), appId: { $ne: null } }) : null;
        if (!found || !(await isMember(em, found.organizationId, subject))) {
          throw forbidden('Only members of the organization that made an access request may cancel it.', OrganizationRole.MEMBER);
        }
        const request = await lockRequest(em, found.id);
        if (request.status === AccessRequestStatus.CANCELLED) return { accessRequest: request }; // cancelled already: idempotent
        if (request.status !== AccessRequestStatus.PENDING) {
          throw refuse('INVALID_TRANSITION', null, `Only PENDING access requests can be cancelled; this one is ${request.status}.`);
        }
        request.status = AccessRequestStatus.CANCELLED;
        request.decidedBy = subject;
        request.decidedAt = now;
        request.updatedAt = now;
        await em.flush();
        await emitAccessEvent(context.pubsub, em, {
          type: AccessRequestEventType.CANCELLED,
          organizationId: request.organizationId,
          accessRequestId: request.id,
          at: now,
        });
        return { accessRequest: request };
      },
      () => ({ accessRequest: null }),
    );
  }
}

/** Loads and locks an access request (of an existing app); NOT_FOUND on `input.id` otherwise. */
async function lockRequest(em: EntityManager, id: string): Promise<AccessRequest> {
  const request = isUuid(id)
    ? await em.findOne(
        AccessRequest,
        { id: id.toLowerCase(), appId: { $ne: null } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
      )
    : null;
  if (!request) throw notFoundError('input.id', 'access request');
  return request;
}

/** `Organization.accessRequests` and `App.accessRequests`. */
@Resolver(() => Organization)
export class OrganizationAccessRequestsResolver {
  @FieldResolver(() => AccessRequestConnection, {
    nullable: true,
    description:
      "The organization's access requests, oldest first. Readable by its members (any role) and portal admins; others get a FORBIDDEN error on this field.",
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
      { entity: AccessRequest, table: 'developers.access_request', parentColumn: 'organization_id', where: accessRequestCondition(status) },
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
