import type { EntityManager } from '@mikro-orm/postgresql';
import { readPlanContracts, type PlanContractRow } from '../../../common/contracts/plans';

/**
 * What the plans and products subgraphs publish about an offer, read from their published views
 * only (`plans.plan_contract`, `products.product_contract`, `products.catalog_*_contract`),
 * inside the caller's transaction.
 */

export interface PlanOffer {
  id: string;
  name: string;
  status: string;
  catalogIds: string[];
  autoApprove: boolean;
  accessRequestAllowance: number | null;
  accessRequestRenewalSeconds: number | null;
  keyExpiresAfterSeconds: number | null;
  /** The plan's credential metadata (a JSON object of strings). */
  credentialMetadata: Record<string, string>;
  /** API_KEY or OAUTH_CLIENT (`plans.plan_contract.credential_kind`). */
  credentialKind: 'API_KEY' | 'OAUTH_CLIENT';
}

export interface ProductOffer {
  id: string;
  status: string;
  catalogIds: string[];
}

function run<T>(em: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  return em.getConnection().execute<T[]>(sql, params, 'all', em.getTransactionContext());
}

type PlanRow = Pick<
  PlanContractRow,
  | 'id'
  | 'name'
  | 'status'
  | 'catalog_ids'
  | 'auto_approve'
  | 'access_request_allowance'
  | 'access_request_renewal_seconds'
  | 'key_expires_after_seconds'
  | 'credential_metadata'
  | 'credential_kind'
>;

/** The plan as `plans.plan_contract` publishes it; null when there is no such plan. */
export async function loadPlanOffer(em: EntityManager, planId: string): Promise<PlanOffer | null> {
  const row: PlanRow | undefined = (
    await readPlanContracts(
      em,
      [planId],
      [
        'name',
        'status',
        'catalog_ids',
        'auto_approve',
        'access_request_allowance',
        'access_request_renewal_seconds',
        'key_expires_after_seconds',
        'credential_metadata',
        'credential_kind',
      ],
    )
  ).get(planId);
  if (!row) return null;
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(row.credential_metadata ?? {})) metadata[key] = String(value);
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    catalogIds: row.catalog_ids ?? [],
    autoApprove: Boolean(row.auto_approve),
    accessRequestAllowance: row.access_request_allowance === null ? null : Number(row.access_request_allowance),
    accessRequestRenewalSeconds: row.access_request_renewal_seconds === null ? null : Number(row.access_request_renewal_seconds),
    keyExpiresAfterSeconds: row.key_expires_after_seconds === null ? null : Number(row.key_expires_after_seconds),
    credentialMetadata: metadata,
    credentialKind: row.credential_kind === 'OAUTH_CLIENT' ? 'OAUTH_CLIENT' : 'API_KEY',
  };
}

/** Products by id with their status and catalogs (one statement); missing ids are absent. */
export async function loadProductOffers(em: EntityManager, productIds: readonly string[]): Promise<Map<string, ProductOffer>> {
  const result = new Map<string, ProductOffer>();
  if (!productIds.length) return result;
  const rows = await run<{ id: string; status: string; catalog_ids: string[] | null }>(
    em,
    `select p.id::text as id, p.status,
            array(select cp.catalog_id::text from products.catalog_product_contract cp where cp.product_id = p.id) as catalog_ids
       from products.product_contract p
      where p.id in (?)`,
    [[...productIds]],
  );
  for (const row of rows) result.set(row.id, { id: row.id, status: row.status, catalogIds: row.catalog_ids ?? [] });
  return result;
}

/**
 * Catalogs offered to an organization through one of its members: every PUBLIC catalog, PRIVATE
 * catalogs whose audience names the organization, and PRIVATE catalogs shown to a team of the
 * organization that the member is in. (A private catalog the member sees through another
 * organization does not count: access is requested for this organization's app.)
 */
export async function organizationCatalogIds(em: EntityManager, organizationId: string, subject: string): Promise<Set<string>> {
  const rows = await run<{ id: string }>(
    em,
    `select c.id::text as id from products.catalog_contract c where c.visibility = 'PUBLIC'
     union
     select a.catalog_id::text from products.catalog_audience_contract a where a.organization_id = ?
     union
     select a.catalog_id::text from products.catalog_audience_contract a
       join developers.team_membership_contract t on t.team_id = a.team_id
      where t.organization_id = ? and t.subject = ?`,
    [organizationId, organizationId, subject],
  );
  return new Set(rows.map((r) => r.id));
}
