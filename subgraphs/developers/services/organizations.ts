/**
 * The organization use cases: a portal admin creates one, a developer requests one, a portal
 * admin decides on it (approve, reject, suspend, reactivate). Each runs inside the mutation's
 * transaction (`developerMutation`).
 */
import { LockMode } from '@mikro-orm/core';
import { refusal } from '../../../common/errors';
import { checkIdempotencyKey, firstResultGone, idempotentCall, runIdempotent } from '../../../common/idempotency';
import { isUuid } from '../../../common/ids';
import { Validation } from '../../../common/mutation';
import { Organization, OrganizationStatus } from '../entities/organization';
import { OrganizationMember, OrganizationRole } from '../entities/organization-member';
import { checkName, checkReason, checkSlug, checkSubject } from './validation';
import { notFoundError } from './authorize';
import type { Ops } from '../../../common/ops';
import { recordWebhookEvent, type WebhookEventType } from '../../../common/webhooks';

export type OrganizationResult = { organization: Organization | null };

export interface CreateOrganizationCommand {
  name: string;
  slug: string;
  adminSubject?: string | null;
  idempotencyKey?: string | null;
}

export interface RequestOrganizationCommand {
  name: string;
  slug: string;
  idempotencyKey?: string | null;
}

/** The constraint behind "slug taken", for `runMutation`'s `uniqueFields`. */
export const SLUG_TAKEN = {
  organization_slug_key: { field: 'input.slug', message: 'An organization with this slug exists already: choose another slug.' },
};

/** `createOrganization`: an ACTIVE organization, with its ORG_ADMIN when `adminSubject` is given. Portal admins only (checked by the caller: `createdBy`). */
export async function createOrganization(
  ops: Ops,
  createdBy: string,
  input: CreateOrganizationCommand,
): Promise<{ organization: Organization | null }> {
  const { em } = ops;
  const name = input.name.trim();
  const slug = input.slug.trim();
  const adminSubject = input.adminSubject === null || input.adminSubject === undefined ? null : input.adminSubject.trim();
  const v = new Validation();
  checkName(v, name, 'input.name');
  checkSlug(v, slug, 'input.slug');
  if (adminSubject !== null) checkSubject(v, adminSubject, 'input.adminSubject');
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('developers', createdBy, 'createOrganization', input.idempotencyKey, {
    name,
    slug,
    adminSubject,
  });
  return runIdempotent<{ organization: Organization | null }>(em, idempotency, ops.now, {
    replay: async (first) => ({ organization: await em.findOneOrFail(Organization, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.organization!.id }),
    run: async () => {
      const at = ops.now;
      const organization = em.create(Organization, {
        name,
        slug,
        status: OrganizationStatus.ACTIVE,
        createdBy,
        decidedBy: createdBy,
        decidedAt: at,
        createdAt: at,
        updatedAt: at,
      });
      if (adminSubject !== null) {
        em.create(OrganizationMember, { organization, subject: adminSubject, role: OrganizationRole.ORG_ADMIN });
      }
      await em.flush();
      await recordWebhookEvent(em, {
        type: 'ORGANIZATION_CREATED',
        organizationId: organization.id,
        occurredAt: at,
        data: { slug, status: organization.status },
      });
      return { organization };
    },
  });
}

/** `requestOrganization`: a PENDING organization with the caller (`subject`) as its ORG_ADMIN. */
export async function requestOrganization(ops: Ops, subject: string, input: RequestOrganizationCommand): Promise<OrganizationResult> {
  const { em } = ops;
  const name = input.name.trim();
  const slug = input.slug.trim();
  const v = new Validation();
  checkName(v, name, 'input.name');
  checkSlug(v, slug, 'input.slug');
  checkIdempotencyKey(v, input.idempotencyKey);
  v.done();
  const idempotency = idempotentCall('developers', subject, 'requestOrganization', input.idempotencyKey, { name, slug });
  return runIdempotent<OrganizationResult>(em, idempotency, ops.now, {
    replay: async (first) => ({ organization: await em.findOneOrFail(Organization, { id: first.resultId }, { refresh: true }) }),
    resultOf: (result) => ({ id: result.organization!.id }),
    run: async () => {
      const at = ops.now;
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
      await recordWebhookEvent(em, {
        type: 'ORGANIZATION_REQUESTED',
        organizationId: organization.id,
        occurredAt: at,
        data: { slug, status: organization.status, requestedBy: subject },
      });
      return { organization };
    },
  });
}

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

export type Decision = keyof typeof DECISIONS;

/** The webhook event of each decision. */
const DECISION_EVENTS: Record<Decision, WebhookEventType> = {
  approve: 'ORGANIZATION_APPROVED',
  reject: 'ORGANIZATION_REJECTED',
  suspend: 'ORGANIZATION_SUSPENDED',
  reactivate: 'ORGANIZATION_REACTIVATED',
};

/**
 * Makes a decision. Repeating one changes nothing anyway; `idempotencyKey` (approve and reject)
 * adds what a repeat lacks: a retry gets the first result even after a later decision (a
 * suspension) instead of INVALID_TRANSITION, and the same key with another reason is refused.
 */
export async function decideOrganization(
  ops: Ops,
  decidedBy: string,
  decision: Decision,
  id: string,
  reasonInput: string | null,
  idempotencyKey: string | null | undefined = null,
): Promise<OrganizationResult> {
  const { em } = ops;
  const rule = DECISIONS[decision];
  const reason = reasonInput === null ? null : reasonInput.trim();
  const v = new Validation();
  if (reason !== null) checkReason(v, reason, 'input.reason');
  checkIdempotencyKey(v, idempotencyKey);
  v.done();
  const operation = `${decision}Organization`;
  const idempotency = idempotentCall('developers', decidedBy, operation, idempotencyKey, { id: id.toLowerCase(), reason });
  return runIdempotent<OrganizationResult>(em, idempotency, ops.now, {
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
        throw refusal('INVALID_TRANSITION', null, `${rule.hint}; this one is ${organization.status}.`);
      }
      organization.status = rule.to;
      organization.decidedBy = decidedBy;
      organization.decidedAt = ops.now;
      organization.decisionReason = reason;
      await em.flush();
      await recordWebhookEvent(em, {
        type: DECISION_EVENTS[decision],
        organizationId: organization.id,
        occurredAt: ops.now,
        data: { status: organization.status },
      });
      return { organization };
    },
  });
}
