/**
 * The usage subgraph's published view `usage.credential_usage_contract`: each credential's traffic
 * per minute, from the rollups (the developers subgraph's staged plan migrations compare the
 * credentials they moved with the rest). Its row type and one reader, declared once; the owner
 * checks the view's columns (`subgraphs/usage/contracts.test.ts`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { query } from '../sql';

/** A row of `usage.credential_usage_contract` (bigint counters come back as strings). */
export interface CredentialUsageContractRow {
  credential_id: string;
  /** Start of the minute. */
  minute: Date;
  requests: string;
  errors_5xx: string;
  latency_sum_ms: string;
}

/** Every column of the view, in the view's order. */
export const CREDENTIAL_USAGE_CONTRACT_COLUMNS: (keyof CredentialUsageContractRow)[] = [
  'credential_id',
  'minute',
  'requests',
  'errors_5xx',
  'latency_sum_ms',
];

export interface CredentialTraffic {
  requests: number;
  errors5xx: number;
  latencySumMs: number;
}

/**
 * The summed traffic of some credentials over the minutes that start at or after `from` and at or
 * before `to` (whole minutes: give `from` on a minute boundary to leave out a partial one).
 */
export async function readCredentialTraffic(
  em: EntityManager,
  credentialIds: readonly string[],
  from: Date,
  to: Date,
): Promise<CredentialTraffic> {
  if (!credentialIds.length) return { requests: 0, errors5xx: 0, latencySumMs: 0 };
  const [row] = await query<{ requests: string | null; errors: string | null; latency: string | null }>(
    em,
    `select sum(requests) as requests, sum(errors_5xx) as errors, sum(latency_sum_ms) as latency
       from usage.credential_usage_contract
      where credential_id = any(?::uuid[]) and minute >= ? and minute <= ?`,
    [`{${credentialIds.join(',')}}`, from, to],
  );
  return { requests: Number(row?.requests ?? 0), errors5xx: Number(row?.errors ?? 0), latencySumMs: Number(row?.latency ?? 0) };
}
