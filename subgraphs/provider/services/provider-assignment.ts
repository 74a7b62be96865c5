/**
 * `assignProvider`: the provider that enforces a plan or product instead of the default one. Runs
 * inside the mutation's transaction (`runMutation`), after the resolver has checked the caller is a
 * portal admin with MFA; the plan's or product's policy sync, enqueued in the same transaction,
 * writes the policy there and removes it from the previous provider (./policy-sync.ts).
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { existingSubjects } from '../contracts/views';
import { liveKeysUse } from '../data/credential-keys';
import { LinkKind, LinkOrigin, PolicyLink } from '../entities/policy-link';
import { Provider } from '../entities/provider';
import { type PlanRef, planRef, type ProductRef, productRef } from '../entities/refs';
import { SyncState, SyncStatus } from '../entities/sync-state';
import { lock } from './deps';
import { defaultPolicyId } from './policy-sync';
import { enqueueSubjectSync } from './provider-sync';

/** Exactly one of `planId` and `productId`. */
export interface AssignProviderCommand {
  planId?: string | null;
  productId?: string | null;
  providerId: string;
}

export type AssignProviderResult = { plan: PlanRef | null; product: ProductRef | null; sync: SyncState | null };

/** Assigns the provider (refused for imported plans/products and while live keys use the policy elsewhere) and re-syncs. */
export async function assignProvider(em: EntityManager, input: AssignProviderCommand): Promise<AssignProviderResult> {
  const validation = new Validation();
  const planId = input.planId ?? null;
  const productId = input.productId ?? null;
  validation.check(
    (planId === null) !== (productId === null),
    planId === null ? 'input.planId' : 'input.productId',
    'Give exactly one of `planId` and `productId`.',
  );
  validation.check(isUuid(input.providerId), 'input.providerId', 'Give a provider id (a UUID from `providers`).');
  const subjectId = (planId ?? productId ?? '').toLowerCase();
  const field = planId !== null ? 'input.planId' : 'input.productId';
  validation.check(!subjectId || isUuid(subjectId), field, 'Give a plan or product id (a UUID).');
  validation.done();
  const kind = planId !== null ? LinkKind.PLAN : LinkKind.PRODUCT;
  const what = kind === LinkKind.PLAN ? 'plan' : 'product';

  const provider = await em.findOne(Provider, { id: input.providerId.toLowerCase() });
  if (!provider) validation.fail('input.providerId', 'No provider has this id: pick one from `providers`.', 'NOT_FOUND');
  const found = await existingSubjects(em, kind, [subjectId]);
  if (!found.has(subjectId)) validation.fail(field, `No ${what} has this id.`, 'NOT_FOUND');
  validation.done();

  await lock(em, `policy:${kind}:${subjectId}`);
  let link = await em.findOne(PolicyLink, { kind, subjectId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (link?.origin === LinkOrigin.PROVIDER && link.providerId !== provider!.id) {
    validation.fail(field, `This ${what} was imported from a provider and stays there: its policy belongs to that provider.`, 'IMPORTED');
  }
  if (
    link?.providerId &&
    link.providerId !== provider!.id &&
    link.policyPresent &&
    (await liveKeysUse(em, link.providerId, link.policyId))
  ) {
    validation.fail(
      field,
      `Live keys on the current provider use this ${what}'s policy: revoke or rotate them first, then assign it again.`,
      'IN_USE',
    );
  }
  validation.done();
  if (!link) link = em.create(PolicyLink, { kind, subjectId, policyId: defaultPolicyId(kind, subjectId) });
  if (link.providerId !== provider!.id) {
    link.providerId = provider!.id;
    link.status = SyncStatus.PENDING;
    link.lastError = null;
  }
  await em.flush();
  await enqueueSubjectSync(em, kind, subjectId);
  const sync = Object.assign(new SyncState(), {
    status: link.status,
    providerId: link.providerId,
    externalId: link.policyId,
    attempts: link.attempts,
    lastError: link.lastError,
    lastAttemptAt: link.lastAttemptAt,
    syncedAt: link.syncedAt,
  });
  return {
    plan: kind === LinkKind.PLAN ? planRef(subjectId) : null,
    product: kind === LinkKind.PRODUCT ? productRef(subjectId) : null,
    sync,
  };
}
