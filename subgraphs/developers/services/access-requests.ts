/**
 * The access-request use cases: request, approve, reject, cancel. Each runs inside the mutation's
 * transaction (`developerMutation`), authorises, validates, locks, writes, emits its event and,
 * for approvals, issues or moves the credential (`credentials.ts`), whose Tyk key the provider
 * subgraph writes from the job enqueued in the same transaction.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Validation } from '../../../common/mutation';
import { checkIdempotencyKey, IdempotentCall, idempotentCall, requestHash, runIdempotent } from '../../../common/idempotency';
import { AccessRequest, AccessRequestKind, AccessRequestStatus } from '../entities/access-request';
import { App } from '../entities/app';
import { Credential, StoredCredentialStatus } from '../entities/credential';
import { Organization } from '../entities/organization';
import { OrganizationRole } from '../entities/organization-member';
import { isUuid } from '../../../common/ids';
import { requireActive, isMember, memberMayUseApp } from './authorize';
import { approveRequest, isCurrent, sameProducts } from './credentials';
import type { Ops } from '../../../common/ops';
import { refusal, forbidden } from '../../../common/errors';
import { AccessRequestEventType } from '../entities/access-request-event';
import { emitAccessEvent } from './events';
import { loadPlanOffer, loadProductOffers, organizationCatalogIds, type PlanOffer } from '../contracts/offer';
import { MAX_PRODUCTS_PER_REQUEST } from '../settings';
import { checkReason } from './validation';
import { lockOrganizationPlan, lockRequest, requestTimesSince } from '../data/access-requests';

export type RequestResult = { accessRequest: AccessRequest | null; credential: Credential | null; secret: string | null };
export type DecisionResult = { accessRequest: AccessRequest | null };

/** Who asks: read before the transaction (a second pool connection inside it could starve the pool). */
export interface Requester {
  /** Token subject of the caller. */
  subject: string;
  /** Subject of the caller's developer profile (created on first use). */
  requestedBy: string;
  /** Catalogs the caller may see; null for portal admins (no narrowing). */
  callerCatalogs: ReadonlySet<string> | null;
}

export interface RequestAccessCommand {
  appId: string;
  planId: string;
  productIds: string[];
  idempotencyKey?: string | null;
}

export interface DecideCommand {
  id: string;
  idempotencyKey?: string | null;
}

export interface RejectCommand extends DecideCommand {
  reason: string;
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
  const counted = await requestTimesSince(em, organizationId, plan.id, new Date(now.getTime() - renewal * 1000));
  if (counted.length < allowance) return;
  // The request whose leaving the window brings the count below the allowance (the oldest one
  // when the count equals the allowance, which the lock guarantees unless the plan lowered it).
  const leaving = counted[counted.length - allowance];
  const retryAfter = Math.max(1, Math.ceil((leaving.getTime() + renewal * 1000 - now.getTime()) / 1000));
  throw refusal(
    'PLAN_ACCESS_QUOTA_EXCEEDED',
    'input.planId',
    `Plan access quota exceeded: your organization may make ${allowance} access request(s) for this plan every ${renewal} seconds (rejected and cancelled requests count too). Try again in ${retryAfter} seconds.`,
    retryAfter,
  );
}

/** `requestAccess`: a PENDING request, approved at once under auto-approve plans. */
export async function requestAccess(ops: Ops, requester: Requester, input: RequestAccessCommand): Promise<RequestResult> {
  const { em, now } = ops;
  const app = isUuid(input.appId) ? await em.findOne(App, { id: input.appId.toLowerCase() }) : null;
  if (!app || !(await memberMayUseApp(em, app.id, requester.subject))) {
    throw forbidden(
      "Only members of the app's organization who may see the app (`App.visibility`) may request access for it.",
      OrganizationRole.MEMBER,
    );
  }
  const organization = await em.findOneOrFail(Organization, { id: app.organization.id }, { refresh: true });
  const v = new Validation();
  const products = readProductIds(v, input.productIds);
  checkIdempotencyKey(v, input.idempotencyKey, 'input.idempotencyKey');
  v.done();
  const idempotency = input.idempotencyKey
    ? new IdempotentCall(
        'developers',
        requester.subject,
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
  const offered = await organizationCatalogIds(em, organization.id, requester.subject);
  const visible = requester.callerCatalogs;
  const catalogs = visible ? new Set([...offered].filter((id) => visible.has(id))) : offered;
  const plan = await checkOffer(em, v, input.planId, products, catalogs);
  v.done();
  const productIds = products.map((p) => p.id).sort();

  await lockOrganizationPlan(em, organization.id, plan!.id);
  const pending = await em.findOne(AccessRequest, { appId: app.id, planId: plan!.id, status: AccessRequestStatus.PENDING });
  if (pending) {
    throw refusal(
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
    throw refusal(
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
    requestedBy: requester.requestedBy,
    changeCredentialId: changeFrom?.id ?? null,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  await emitAccessEvent(ops.pubsub, em, {
    type: AccessRequestEventType.REQUESTED,
    organizationId: organization.id,
    accessRequestId: request.id,
    at: now,
  });
  await idempotency?.store(em, request.id, now);
  if (!plan!.autoApprove) return { accessRequest: request, credential: null, secret: null };
  const { credential, secret } = await approveRequest(ops, request, plan!, null);
  return { accessRequest: request, credential, secret };
}

/** `approveAccessRequest`: portal admins only (checked by the caller: `decidedBy`). */
export async function approveAccessRequest(ops: Ops, decidedBy: string, input: DecideCommand): Promise<DecisionResult> {
  const { em, now } = ops;
  const idempotency = idempotentCall('developers', decidedBy, 'approveAccessRequest', input.idempotencyKey, {
    id: input.id.toLowerCase(),
  });
  return runIdempotent(em, idempotency, now, {
    replay: async (first) => ({ accessRequest: await em.findOneOrFail(AccessRequest, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.accessRequest!.id }),
    run: async () => {
      const request = await lockRequest(em, input.id);
      if (alreadyThere(request, AccessRequestStatus.APPROVED, 'approved')) return { accessRequest: request };
      const organization = await em.findOneOrFail(Organization, { id: request.organizationId });
      requireActive(organization);
      const plan = await loadPlanOffer(em, request.planId);
      if (!plan || plan.status !== 'PUBLISHED') {
        throw refusal('PLAN_NOT_PUBLISHED', null, `The plan is ${plan?.status ?? 'gone'}, not PUBLISHED: reject the request instead.`);
      }
      await approveRequest(ops, request, plan, decidedBy);
      return { accessRequest: request };
    },
  });
}

/** `rejectAccessRequest`: portal admins only (checked by the caller: `decidedBy`). */
export async function rejectAccessRequest(ops: Ops, decidedBy: string, input: RejectCommand): Promise<DecisionResult> {
  const { em, now } = ops;
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
      if (alreadyThere(request, AccessRequestStatus.REJECTED, 'rejected')) return { accessRequest: request };
      await close(ops, request, AccessRequestStatus.REJECTED, decidedBy, reason);
      return { accessRequest: request };
    },
  });
}

/** `cancelAccessRequest`: members of the request's organization. */
export async function cancelAccessRequest(ops: Ops, subject: string, input: DecideCommand): Promise<DecisionResult> {
  const { em } = ops;
  const found = isUuid(input.id) ? await em.findOne(AccessRequest, { id: input.id.toLowerCase(), appId: { $ne: null } }) : null;
  if (!found || !(await isMember(em, found.organizationId, subject)) || !(await memberMayUseApp(em, found.appId!, subject))) {
    throw forbidden(
      'Only members of the organization that made an access request, who may see its app, may cancel it.',
      OrganizationRole.MEMBER,
    );
  }
  const request = await lockRequest(em, found.id);
  if (alreadyThere(request, AccessRequestStatus.CANCELLED, 'cancelled')) return { accessRequest: request };
  await close(ops, request, AccessRequestStatus.CANCELLED, subject, null);
  return { accessRequest: request };
}

/**
 * A decision on a locked request: true when it is in `target` already (deciding again changes
 * nothing); INVALID_TRANSITION unless it is PENDING.
 */
function alreadyThere(request: AccessRequest, target: AccessRequestStatus, done: string): boolean {
  if (request.status === target) return true;
  if (request.status !== AccessRequestStatus.PENDING) {
    throw refusal('INVALID_TRANSITION', null, `Only PENDING access requests can be ${done}; this one is ${request.status}.`);
  }
  return false;
}

/** Ends a PENDING request as REJECTED (with the reason) or CANCELLED, with its event, in the mutation's transaction. */
async function close(
  ops: Ops,
  request: AccessRequest,
  status: AccessRequestStatus.REJECTED | AccessRequestStatus.CANCELLED,
  by: string,
  reason: string | null,
): Promise<void> {
  request.status = status;
  request.decidedBy = by;
  request.decidedAt = ops.now;
  if (reason !== null) request.decisionReason = reason;
  request.updatedAt = ops.now;
  await ops.em.flush();
  await emitAccessEvent(ops.pubsub, ops.em, {
    type: status === AccessRequestStatus.REJECTED ? AccessRequestEventType.REJECTED : AccessRequestEventType.CANCELLED,
    organizationId: request.organizationId,
    accessRequestId: request.id,
    at: ops.now,
  });
}
