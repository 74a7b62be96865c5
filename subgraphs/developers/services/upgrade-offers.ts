/**
 * Consent-based upgrade offers. The usage subgraph tells this one (job `developers.offerUpgrade`)
 * when a quota window is projected to be used up before it resets; this subgraph then offers the
 * organization the next tier for each app drawing from that counter: the PUBLISHED plan of the
 * lowest higher tier (then name) that the organization may request for the credential's products
 * and whose quota is larger (or unlimited). One OPEN offer per (app, plan), one offer per app and
 * window. Nothing is upgraded or throttled: an ORG_ADMIN accepts (`acceptUpgradeOffer`, a plan
 * change through `requestAccess` that keeps the credential) or a member declines.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../../common/auth';
import { forbidden, refusal } from '../../../common/errors';
import { isUuid } from '../../../common/ids';
import type { UpgradeCheckPayload } from '../../../common/job-payloads';
import type { Ops } from '../../../common/ops';
import { pgArray, query } from '../../../common/sql';
import { loadProductOffers, organizationCatalogIds } from '../contracts/offer';
import { AccessRequest } from '../entities/access-request';
import { AccessRequestEventType } from '../entities/access-request-event';
import { App } from '../entities/app';
import { Credential, StoredCredentialStatus } from '../entities/credential';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { UpgradeOffer, UpgradeOfferStatus, effectiveOfferStatus } from '../entities/upgrade-offer';
import { requestAccess, type Requester, type RequestResult } from './access-requests';
import { isMember, memberMayUseApp } from './authorize';
import { isCurrent } from './credentials';
import { emitAccessEvent } from './events';

/** How long an offer may be accepted. */
export const UPGRADE_OFFER_TTL_SECONDS = 7 * 86_400;

interface CandidatePlan {
  id: string;
  tier: number;
  quota_requests: number | null;
  catalog_ids: string[];
}

/**
 * The next tier for a credential: PUBLISHED plans of a higher tier than its plan's, in a catalog the
 * organization may request from (public, or private to it or to a team of the app's creator), that
 * offer every product of the credential, with a larger quota (or none). Lowest tier first, then name.
 */
export async function nextTier(em: EntityManager, credential: Credential, creator: string): Promise<CandidatePlan | null> {
  const [current] = await query<{ tier: number; quota_requests: number | null }>(
    em,
    `select tier, quota_requests from plans.plan_contract where id = ?`,
    [credential.planId],
  );
  if (!current) return null;
  const catalogs = [...(await organizationCatalogIds(em, credential.organizationId, creator))];
  if (!catalogs.length) return null;
  const candidates = await query<CandidatePlan>(
    em,
    `select id::text as id, tier, quota_requests, catalog_ids::text[] as catalog_ids from plans.plan_contract
      where status = 'PUBLISHED' and tier > ? and id <> ? and catalog_ids && ?::uuid[]
        and (quota_requests is null or ?::int is null or quota_requests > ?::int)
      order by tier, name, id limit 20`,
    [current.tier, credential.planId, pgArray(catalogs), current.quota_requests, current.quota_requests],
  );
  if (!candidates.length) return null;
  const products = await loadProductOffers(em, credential.productIds);
  const visible = new Set(catalogs);
  for (const plan of candidates) {
    const planCatalogs = plan.catalog_ids.filter((id) => visible.has(id));
    const offersAll = credential.productIds.every((productId) => {
      const product = products.get(productId);
      return product?.status === 'PUBLISHED' && product.catalogIds.some((id) => planCatalogs.includes(id));
    });
    if (offersAll) return plan;
  }
  return null;
}

function parsePayload(payload: unknown): UpgradeCheckPayload | null {
  const p = (payload ?? {}) as Partial<UpgradeCheckPayload>;
  const optionalId = (v: unknown) => v === null || isUuid(v);
  if (!isUuid(p.organizationId) || !isUuid(p.planId) || !optionalId(p.appId ?? null) || !optionalId(p.credentialId ?? null)) return null;
  if (!Number.isInteger(p.projectedUsed) || !Number.isInteger(p.limit) || Number.isNaN(new Date(String(p.resetsAt)).getTime())) return null;
  return {
    organizationId: p.organizationId.toLowerCase(),
    planId: p.planId.toLowerCase(),
    appId: p.appId ? p.appId.toLowerCase() : null,
    credentialId: p.credentialId ? p.credentialId.toLowerCase() : null,
    projectedUsed: p.projectedUsed!,
    limit: p.limit!,
    resetsAt: String(p.resetsAt),
  };
}

/**
 * The handler of `developers.offerUpgrade`: for each app drawing from the projected counter (the
 * credential's, the app's, or every app of the organization under the plan), offers the next tier
 * unless the app has an OPEN offer for its plan or had an offer for this window already. Publishes
 * UPGRADE_OFFERED per offer. Returns the offers made. A malformed payload is dropped (null).
 */
export async function offerUpgrade(ops: Ops, payload: unknown): Promise<UpgradeOffer[] | null> {
  const check = parsePayload(payload);
  if (!check) return null;
  const { em, now } = ops;
  const resetsAt = new Date(check.resetsAt);
  if (resetsAt.getTime() <= now.getTime()) return []; // the window is over: nothing to offer for it
  const where = check.credentialId
    ? { id: check.credentialId }
    : check.appId
      ? { appId: check.appId, planId: check.planId }
      : { organizationId: check.organizationId, planId: check.planId };
  const credentials = (
    await em.find(Credential, { ...where, status: StoredCredentialStatus.ACTIVE }, { orderBy: { createdAt: 'desc', id: 'desc' } })
  ).filter((c) => c.planId === check.planId && c.organizationId === check.organizationId && isCurrent(c, now));
  const made: UpgradeOffer[] = [];
  const seenApps = new Set<string>();
  for (const credential of credentials) {
    if (seenApps.has(credential.appId)) continue;
    seenApps.add(credential.appId);
    // One offer at a time per app and plan (the unique index), and one per window.
    await em
      .getConnection()
      .execute(
        `select pg_advisory_xact_lock(hashtext('upgrade-offer:' || ?))`,
        [`${credential.appId}:${check.planId}`],
        'all',
        em.getTransactionContext(),
      );
    const previous = await em.find(UpgradeOffer, { appId: credential.appId, fromPlanId: check.planId }, { refresh: true });
    for (const offer of previous) {
      if (offer.status === UpgradeOfferStatus.OPEN && effectiveOfferStatus(offer, now) === UpgradeOfferStatus.EXPIRED) {
        offer.status = UpgradeOfferStatus.EXPIRED;
        offer.updatedAt = now;
      }
    }
    await em.flush();
    if (previous.some((o) => o.status === UpgradeOfferStatus.OPEN || o.windowResetsAt.getTime() >= resetsAt.getTime())) continue;
    const app = await em.findOne(App, { id: credential.appId });
    if (!app) continue;
    const target = await nextTier(em, credential, app.createdBy);
    if (!target) continue;
    const offer = em.create(UpgradeOffer, {
      organizationId: credential.organizationId,
      appId: credential.appId,
      credentialId: credential.id,
      fromPlanId: check.planId,
      toPlanId: target.id,
      status: UpgradeOfferStatus.OPEN,
      projectedUsed: Math.max(check.projectedUsed, check.limit),
      quotaLimit: check.limit,
      windowResetsAt: resetsAt,
      expiresAt: new Date(now.getTime() + UPGRADE_OFFER_TTL_SECONDS * 1000),
      createdAt: now,
      updatedAt: now,
    });
    await em.flush();
    await emitAccessEvent(ops.pubsub, em, {
      type: AccessRequestEventType.UPGRADE_OFFERED,
      organizationId: offer.organizationId,
      credentialId: offer.credentialId,
      upgradeOfferId: offer.id,
      at: now,
      data: {
        fromPlanId: offer.fromPlanId,
        toPlanId: offer.toPlanId,
        projectedUsed: offer.projectedUsed,
        quotaLimit: offer.quotaLimit,
        expiresAt: offer.expiresAt.toISOString(),
      },
    });
    made.push(offer);
  }
  return made;
}

export interface OfferCommand {
  id: string;
  idempotencyKey?: string | null;
}

export type OfferResult = { upgradeOffer: UpgradeOffer | null; accessRequest: RequestResult['accessRequest'] };

/** Locks an offer the caller may act on (members who may see its app; FORBIDDEN as for a missing offer otherwise). */
async function lockOffer(em: EntityManager, subject: string, id: string, denied: string, role: OrganizationRole): Promise<UpgradeOffer> {
  const found = isUuid(id) ? await em.findOne(UpgradeOffer, { id: id.toLowerCase() }) : null;
  const allowed =
    found !== null &&
    (role === OrganizationRole.ORG_ADMIN
      ? (await em.count(OrganizationMember, { organization: found.organizationId, subject, role: OrganizationRole.ORG_ADMIN })) > 0
      : (await isMember(em, found.organizationId, subject)) && (await memberMayUseApp(em, found.appId, subject)));
  if (!allowed) throw forbidden(denied, role);
  return em.findOneOrFail(UpgradeOffer, { id: found.id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

function requireOpen(offer: UpgradeOffer, now: Date): void {
  const status = effectiveOfferStatus(offer, now);
  if (status === UpgradeOfferStatus.EXPIRED)
    throw refusal(
      'OFFER_EXPIRED',
      'input.id',
      `The offer expired at ${offer.expiresAt.toISOString()}; a new one comes with the next projection.`,
    );
  if (status !== UpgradeOfferStatus.OPEN)
    throw refusal('INVALID_TRANSITION', 'input.id', `Only OPEN offers can be answered; this one is ${status}.`);
}

/**
 * `acceptUpgradeOffer` (ORG_ADMINs of the offer's organization only; portal admins cannot consent
 * for an organization): requests the offered plan for the credential's app and products through
 * `requestAccess`, which makes it a PLAN_CHANGE keeping the credential (approved at once under an
 * auto-approve plan, PENDING for a portal admin otherwise). Accepting it again returns it and its
 * request as they are (so a retry, with or without `idempotencyKey`, gets the first result).
 */
export async function acceptUpgradeOffer(ops: Ops, caller: Caller, requester: Requester, input: OfferCommand): Promise<OfferResult> {
  const { em, now } = ops;
  const subject = caller.requireAuthenticated();
  const offer = await lockOffer(
    em,
    subject,
    input.id,
    'Only ORG_ADMINs of the organization the offer is made to may accept it (it changes the plan the organization pays for).',
    OrganizationRole.ORG_ADMIN,
  );
  if (offer.status === UpgradeOfferStatus.ACCEPTED) {
    // Accepted already (a retry): the same offer and plan-change request.
    const request = offer.accessRequestId ? await em.findOne(AccessRequest, { id: offer.accessRequestId }) : null;
    return { upgradeOffer: offer, accessRequest: request };
  }
  requireOpen(offer, now);
  const credential = await em.findOne(Credential, { id: offer.credentialId });
  if (!credential || !isCurrent(credential, now) || credential.planId !== offer.fromPlanId) {
    throw refusal('OFFER_STALE', 'input.id', 'The credential is no longer ACTIVE under the plan the offer was made for.');
  }
  const result = await requestAccess(ops, requester, {
    appId: offer.appId,
    planId: offer.toPlanId,
    productIds: [...credential.productIds],
    idempotencyKey: input.idempotencyKey ?? null,
  });
  offer.status = UpgradeOfferStatus.ACCEPTED;
  offer.decidedBy = subject;
  offer.decidedAt = now;
  offer.accessRequestId = result.accessRequest?.id ?? null;
  offer.updatedAt = now;
  await em.flush();
  return { upgradeOffer: offer, accessRequest: result.accessRequest };
}

/** `declineUpgradeOffer` (members of the offer's organization who may see its app): nothing changes. */
export async function declineUpgradeOffer(ops: Ops, caller: Caller, input: OfferCommand): Promise<OfferResult> {
  const { em, now } = ops;
  const subject = caller.requireAuthenticated();
  const offer = await lockOffer(
    em,
    subject,
    input.id,
    'Only members of the organization the offer is made to, who may see its app, may decline it.',
    OrganizationRole.MEMBER,
  );
  if (offer.status === UpgradeOfferStatus.DECLINED) return { upgradeOffer: offer, accessRequest: null };
  requireOpen(offer, now);
  offer.status = UpgradeOfferStatus.DECLINED;
  offer.decidedBy = subject;
  offer.decidedAt = now;
  offer.updatedAt = now;
  await em.flush();
  return { upgradeOffer: offer, accessRequest: null };
}
