/**
 * The plans subgraph's published view `plans.plan_contract`, the only way other subgraphs read
 * plans: its row type and one reader, declared once. The view's owner checks that the view has
 * exactly these columns (`subgraphs/plans/contract.test.ts`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, query } from '../sql';

/** One entry of `endpoint_rules`: per product, what the plan's credentials may call. */
export interface EndpointRuleRow {
  productId: string;
  allow: { path: string; methods: string[] }[];
  allowedTypes: { name: string; fields: string[] }[];
  restrictedTypes: { name: string; fields: string[] }[];
}

/** A row of `plans.plan_contract`. */
export interface PlanContractRow {
  id: string;
  name: string;
  status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
  catalog_ids: string[];
  auto_approve: boolean;
  access_request_allowance: number | null;
  access_request_renewal_seconds: number | null;
  key_expires_after_seconds: number | null;
  quota_scope: 'CREDENTIAL' | 'APP' | 'ORGANIZATION';
  quota_requests: number | null;
  quota_period_seconds: number | null;
  rate_requests: number | null;
  rate_per_seconds: number | null;
  /** The plan's JWT scopes. */
  jwt_scopes: string[];
  /** Metadata written into every credential's Tyk key, as key → value. */
  credential_metadata: Record<string, string>;
  tier: number;
  trial_days: number | null;
  version: number;
  credential_kind: 'API_KEY' | 'OAUTH_CLIENT';
  endpoint_rules: EndpointRuleRow[];
  /** What ORG_ADMINs may grant as quota boosts (camelCase keys); null = portal admins only. */
  boost_allowance: BoostAllowanceRow | null;
}

/** `boost_allowance` of `plans.plan_contract`. */
export interface BoostAllowanceRow {
  maxExtraQuotaPercent: number;
  maxExtraRatePercent: number;
  maxDurationSeconds: number;
  maxBoosts: number;
  windowSeconds: number;
}

export type PlanContractColumn = keyof PlanContractRow;

/** How each column is selected (ids as text: node-postgres leaves uuid arrays unparsed). */
const SELECT: Record<PlanContractColumn, string> = {
  id: 'id::text as id',
  name: 'name',
  status: 'status',
  catalog_ids: 'catalog_ids::text[] as catalog_ids',
  auto_approve: 'auto_approve',
  access_request_allowance: 'access_request_allowance',
  access_request_renewal_seconds: 'access_request_renewal_seconds',
  key_expires_after_seconds: 'key_expires_after_seconds',
  quota_scope: 'quota_scope',
  quota_requests: 'quota_requests',
  quota_period_seconds: 'quota_period_seconds',
  rate_requests: 'rate_requests',
  rate_per_seconds: 'rate_per_seconds',
  jwt_scopes: 'jwt_scopes',
  credential_metadata: 'credential_metadata',
  tier: 'tier',
  trial_days: 'trial_days',
  version: 'version',
  credential_kind: 'credential_kind',
  endpoint_rules: 'endpoint_rules',
  boost_allowance: 'boost_allowance',
};

/** Every column of the view, in the view's order. */
export const PLAN_CONTRACT_COLUMNS = Object.keys(SELECT) as PlanContractColumn[];

/** The select list of these columns (and `id`), for statements that read the view among others. */
export function planContractSelectList(columns: readonly PlanContractColumn[]): string {
  return [...new Set<PlanContractColumn>(['id', ...columns])].map((column) => SELECT[column]).join(', ');
}

/** The plans with these ids that exist, by id, with the columns asked for (and `id`). One SELECT. */
export async function readPlanContracts<K extends PlanContractColumn>(
  em: EntityManager,
  ids: readonly string[],
  columns: readonly K[],
): Promise<Map<string, Pick<PlanContractRow, K | 'id'>>> {
  if (!ids.length) return new Map();
  const list = planContractSelectList(columns);
  const rows = await query<Pick<PlanContractRow, K | 'id'>>(em, `select ${list} from plans.plan_contract where id = any(?::uuid[])`, [
    pgArray([...new Set(ids)]),
  ]);
  return new Map(rows.map((row) => [row.id, row]));
}
