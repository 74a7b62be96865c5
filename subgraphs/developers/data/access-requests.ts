/** SQL of the access-request tables that more than one use case or resolver needs. */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../../common/ids';
import { transactionLock } from '../../../common/sql';
import { AccessRequest, type AccessRequestStatus } from '../entities/access-request';
import { notFoundError } from '../services/authorize';
import type { SqlCondition } from './pagination';

/** SQL for `status in (…)` on `developers.access_request t`, hiding requests of deleted apps. */
export function accessRequestCondition(statuses: AccessRequestStatus[] | null | undefined): SqlCondition {
  const unique = [...new Set(statuses ?? [])].sort();
  if (!unique.length) return { key: 'live', sql: 't.app_id is not null', params: [] };
  return { key: unique.join(','), sql: 't.app_id is not null and t.status in (?)', params: [unique] };
}

/** Serialises access requests of one organization for one plan until the transaction ends. */
export async function lockOrganizationPlan(em: EntityManager, organizationId: string, planId: string): Promise<void> {
  await transactionLock(em, `plangraph:developers:access-request:${organizationId}:${planId}`);
}

/** Loads and locks an access request (of an existing app); NOT_FOUND on `input.id` otherwise. */
export async function lockRequest(em: EntityManager, id: string): Promise<AccessRequest> {
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

/** When the organization's requests for the plan were made since `since`, oldest first (every status). */
export async function requestTimesSince(em: EntityManager, organizationId: string, planId: string, since: Date): Promise<Date[]> {
  const rows = await em.getConnection().execute<{ created_at: Date }[]>(
    `select created_at from developers.access_request
        where organization_id = ? and plan_id = ? and created_at > ?
        order by created_at, id`,
    [organizationId, planId, since],
    'all',
    em.getTransactionContext(),
  );
  return rows.map((row) => new Date(row.created_at));
}
