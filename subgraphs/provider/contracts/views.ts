/**
 * Reads of the other subgraphs' published views (the only surface provider may read):
 * `plans.plan_contract` (through `common/contracts/plans.ts`), `products.product_contract`,
 * `developers.credential_contract`, and `usage.adaptive_limit_contract` (a plan's tightened rate).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { readPlanContracts } from '../../../common/contracts/plans';
import { PROVIDER_PLAN_COLUMNS, type CredentialContractRow, type PlanContractRow, type ProductContractRow } from '../tyk/bodies';
import { query, relationExists } from '../../../common/sql';

const PRODUCT_COLUMNS = 'id::text as id, slug, name, status, tyk_api_ids';

const CREDENTIAL_COLUMNS = `id::text as id, app_id::text as app_id, organization_id::text as organization_id, plan_id::text as plan_id,
  product_ids::text[] as product_ids, status, expires_at, revokes_at, alias, metadata, pending_secret_encrypted,
  replaces_credential_id::text as replaces_credential_id, created_at, version`;

/**
 * Plans as the provider writes them: `plans.plan_contract`, with the rate of a plan whose adaptive
 * rate limit is TIGHTENED taken from the usage subgraph's `usage.adaptive_limit_contract` (never
 * above the plan's own rate). Policy sync and drift repair both read plans here, so the tightened
 * rate is what is written and what is repaired to.
 */
export async function readPlans(em: EntityManager, ids: readonly string[]): Promise<Map<string, PlanContractRow>> {
  const plans = await readPlanContracts(em, ids, PROVIDER_PLAN_COLUMNS);
  if (!plans.size) return plans;
  for (const row of await readTightenedRates(em, [...plans.keys()])) {
    const plan = plans.get(row.plan_id);
    if (!plan || plan.rate_requests === null || plan.rate_per_seconds === null) continue;
    plans.set(row.plan_id, {
      ...plan,
      rate_requests: Math.min(row.effective_rate_requests, plan.rate_requests),
      rate_per_seconds: row.effective_per_seconds,
    });
  }
  return plans;
}

/** Tightened plans among `ids` (`usage.adaptive_limit_contract`; none while the usage subgraph has not published it yet). */
async function readTightenedRates(
  em: EntityManager,
  ids: readonly string[],
): Promise<{ plan_id: string; effective_rate_requests: number; effective_per_seconds: number }[]> {
  if (!(await relationExists(em, 'usage.adaptive_limit_contract'))) return [];
  return query(
    em,
    `select plan_id::text as plan_id, effective_rate_requests, effective_per_seconds from usage.adaptive_limit_contract
      where plan_id in (?) and effective_rate_requests is not null and effective_per_seconds is not null`,
    [[...ids]],
  );
}

export async function readPlan(em: EntityManager, id: string): Promise<PlanContractRow | null> {
  return (await readPlans(em, [id])).get(id) ?? null;
}

export async function readProducts(em: EntityManager, ids: readonly string[]): Promise<Map<string, ProductContractRow>> {
  if (!ids.length) return new Map();
  const rows = await query<ProductContractRow>(em, `select ${PRODUCT_COLUMNS} from products.product_contract where id in (?)`, [[...ids]]);
  return new Map(rows.map((row) => [row.id, row]));
}

export async function readProduct(em: EntityManager, id: string): Promise<ProductContractRow | null> {
  return (await readProducts(em, [id])).get(id) ?? null;
}

export async function readCredential(em: EntityManager, id: string): Promise<CredentialContractRow | null> {
  const rows = await query<CredentialContractRow>(em, `select ${CREDENTIAL_COLUMNS} from developers.credential_contract where id = ?`, [
    id,
  ]);
  return rows[0] ?? null;
}

/** A credential as its OAuth2 client's registration needs it (`kind`: OAUTH_CLIENT ones have a client). */
export interface ClientCredentialRow {
  id: string;
  organization_id: string;
  plan_id: string;
  status: string;
  revokes_at: Date | null;
  kind: string;
}

export async function readClientCredential(em: EntityManager, id: string): Promise<ClientCredentialRow | null> {
  const rows = await query<ClientCredentialRow>(
    em,
    `select id::text as id, organization_id::text as organization_id, plan_id::text as plan_id, status, revokes_at, kind
       from developers.credential_contract where id = ?`,
    [id],
  );
  return rows[0] ?? null;
}

/** The plan of a credential (null when the credential does not exist). */
export async function readCredentialPlan(em: EntityManager, id: string): Promise<{ plan_id: string } | null> {
  const rows = await query<{ plan_id: string }>(em, 'select plan_id::text as plan_id from developers.credential_contract where id = ?', [
    id,
  ]);
  return rows[0] ?? null;
}

/** The Tyk API ids of a product (none when it has none or does not exist). */
export async function readProductApiIds(em: EntityManager, id: string): Promise<string[]> {
  const [row] = await query<{ tyk_api_ids: string[] | null }>(em, `select tyk_api_ids from products.product_contract where id = ?`, [id]);
  return row?.tyk_api_ids ?? [];
}

/** Ids among `ids` that exist in the owner's view (plans for PLAN, products for PRODUCT). */
export async function existingSubjects(em: EntityManager, kind: 'PLAN' | 'PRODUCT', ids: readonly string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const view = kind === 'PLAN' ? 'plans.plan_contract' : 'products.product_contract';
  const rows = await query<{ id: string }>(em, `select id::text as id from ${view} where id in (?)`, [[...ids]]);
  return new Set(rows.map((row) => row.id));
}

/**
 * Which (organization, subject) pairs are memberships (any role) of ACTIVE organizations, as the
 * developers subgraph publishes them (`developers.membership_contract`): keys `<organization>|<subject>`.
 */
export async function isOrganizationMember(em: EntityManager, pairs: readonly [string, string][]): Promise<Set<string>> {
  if (!pairs.length) return new Set();
  const rows = await query<{ organization_id: string; subject: string }>(
    em,
    `select organization_id::text as organization_id, subject from developers.membership_contract
      where organization_status = 'ACTIVE' and organization_id in (?) and subject in (?)`,
    [[...new Set(pairs.map(([org]) => org))], [...new Set(pairs.map(([, subject]) => subject))]],
  );
  return new Set(rows.map((row) => `${row.organization_id}|${row.subject}`));
}

/** Credentials by id (`developers.credential_contract`), in one SELECT. */
export async function readCredentials(em: EntityManager, ids: readonly string[]): Promise<Map<string, CredentialContractRow>> {
  if (!ids.length) return new Map();
  const rows = await query<CredentialContractRow>(em, `select ${CREDENTIAL_COLUMNS} from developers.credential_contract where id in (?)`, [
    [...ids],
  ]);
  return new Map(rows.map((row) => [row.id, row]));
}

/** An ACTIVE quota boost of a credential, as `developers.quota_boost_contract` publishes it. */
export interface QuotaBoostRow {
  id: string;
  credential_id: string;
  quota_max: number | null;
  quota_period_seconds: number | null;
  rate_requests: number | null;
  rate_per_seconds: number | null;
  expires_at: Date;
}

/** The ACTIVE quota boosts of these credentials (at most one each), by credential id (none while the view does not exist). */
export async function readActiveBoosts(em: EntityManager, credentialIds: readonly string[]): Promise<Map<string, QuotaBoostRow[]>> {
  const out = new Map<string, QuotaBoostRow[]>();
  if (!credentialIds.length) return out;
  // The developers subgraph's migration creates the view; suites that run the provider without it have no boosts.
  if (!(await relationExists(em, 'developers.quota_boost_contract'))) return out;
  const rows = await query<QuotaBoostRow>(
    em,
    `select id::text as id, credential_id::text as credential_id, quota_max, quota_period_seconds, rate_requests, rate_per_seconds, expires_at
       from developers.quota_boost_contract where credential_id = any(?::uuid[]) and status = 'ACTIVE' order by starts_at, id`,
    [`{${[...new Set(credentialIds)].join(',')}}`],
  );
  for (const row of rows) out.set(row.credential_id, [...(out.get(row.credential_id) ?? []), row]);
  return out;
}
